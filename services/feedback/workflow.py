"""The life of a feedback item: open → assigned → in_progress → resolved → closed, and reopening.

Reopening takes a resolved or closed item back to ``in_progress`` (its assignee stays), within
``REOPEN_DAYS`` of its last resolution. Anything else is a Conflict naming the allowed targets.
"""
import datetime

from services.common.errors import Conflict
from services.feedback import contract

STATUSES = contract.STATUSES
OPEN_STATES = ("open", "assigned", "in_progress")
DONE_STATES = ("resolved", "closed")
TRANSITIONS = {
    "open": ("assigned",),
    "assigned": ("in_progress",),
    "in_progress": ("resolved",),
    "resolved": ("closed", "in_progress"),
    "closed": ("in_progress",),
}
REOPEN_DAYS = 30


def is_reopen(current, target):
    return current in DONE_STATES and target in OPEN_STATES


def allowed_targets(item, now):
    """The statuses ``item`` may move to now (reopening only within the window)."""
    allowed = TRANSITIONS[item["status"]]
    resolved_at = item.get("resolved_at")
    if item["status"] in DONE_STATES and (
            resolved_at is None or now - resolved_at > datetime.timedelta(days=REOPEN_DAYS)):
        allowed = tuple(target for target in allowed if not is_reopen(item["status"], target))
    return allowed


def check_transition(item, target, now):
    """Raise Conflict ``illegal_transition`` unless ``item`` may move to ``target``."""
    allowed = allowed_targets(item, now)
    if target in allowed:
        return
    if is_reopen(item["status"], target) and target in TRANSITIONS[item["status"]]:
        message = "Feedback can be reopened only within %d days of its resolution." % REOPEN_DAYS
    else:
        message = "Feedback cannot go from %s to %s; allowed: %s." % (
            item["status"], target, ", ".join(allowed) or "none")
    raise Conflict(message, {"status": ["Allowed from %s: %s." % (item["status"], ", ".join(allowed) or "none")]},
                   code="illegal_transition", extra={"current_status": item["status"], "allowed": list(allowed)})
