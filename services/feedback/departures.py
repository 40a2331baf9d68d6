"""What feedback does when accounts says an assignee may no longer handle some of their items.

After ``accounts.user_updated``, ``user_deleted`` or ``permissions_changed``,
``colleagues.still_allowed`` tells at which sites the user may still be named (all of them, or
none when they were disabled, deleted or lost ``feedback:write``). Every open item assigned to
them at any other site goes back to its site's queue: no assignee, ``assignee_left: {user_id,
at}``, status ``open`` again, with ``feedback_assigned`` (``assignee_id`` null: notifications then
tells the site's managers), ``feedback_status_changed`` and an audit entry in the same write.

Items are taken in batches of ``BATCH``; each write applies only if the item is still assigned as
it was read, so running the same event twice changes nothing more.
"""
from services.common import colleagues
from services.common.clock import utcnow
from services.common.envelope import changes_between, jsonable
from services.feedback import events, store
from services.feedback.items import SERVICE_ACTOR, UNAUDITED
from services.feedback.workflow import OPEN_STATES

PERMISSION = "feedback:write"
UNASSIGNED = "open"
BATCH = 200
NOTE = "The assignee can no longer handle feedback of this site."


def return_to_queue(db, item, now):
    """Take one item from its departed assignee; True when this call did it."""
    user_id, site = item["assignee_id"], item["site_id"]
    changes = {"assignee_id": None, "assignee_left": {"user_id": user_id, "at": now}}
    emitted = [events.event("feedback_assigned", {
        "feedback_id": item["_id"], "customer_id": item["customer_id"], "assignee_id": None,
        "previous_assignee_id": user_id, "due_at": jsonable(item["due_at"])}, site, SERVICE_ACTOR)]
    history = None
    if item["status"] != UNASSIGNED:
        changes.update(status=UNASSIGNED, status_changed_at=now)
        history = {"from": item["status"], "to": UNASSIGNED, "at": now, "by": SERVICE_ACTOR, "note": NOTE}
        emitted.append(events.event("feedback_status_changed", {
            "feedback_id": item["_id"], "customer_id": item["customer_id"], "old_status": item["status"],
            "new_status": UNASSIGNED, "reopened": False}, site, SERVICE_ACTOR))
    emitted.append(events.audit("feedback", item["_id"], "unassigned",
                                changes_between(item, dict(item, **changes), UNAUDITED), site, SERVICE_ACTOR))
    return store.unassign(db, item, changes, *emitted, push={"history": history} if history else None)


def handle(db, event, now=None):
    """Apply one accounts user event; -> how many items went back to their queue."""
    user_id, sites = colleagues.still_allowed(event, PERMISSION)
    if sites is None:
        return 0
    now = now or utcnow()
    returned, seen = 0, set()
    while True:
        batch = [item for item in store.assigned_elsewhere(db, user_id, OPEN_STATES, sites, BATCH)
                 if item["_id"] not in seen]
        if not batch:
            return returned
        for item in batch:
            seen.add(item["_id"])
            returned += return_to_queue(db, item, now)
