"""Records naming a user who may no longer be named on them: after accounts says a user was
disabled, deleted, lost a permission or left a site (``colleagues.USER_EVENTS``).

- A customer owned by the user at a site where they may no longer read customers loses its owner
  (``owner_id: None``, ``owner_left: {user_id, at}``), version bumped, with
  ``customers.customer_updated`` and an audit entry in the same write.
- An open follow-up task assigned to the user at a site where they may no longer write
  interactions is unassigned (``assignee_id: None``, ``assignee_left: {user_id, at}``), audited;
  its due reminder then goes to the customer's owner, or to the site's managers.

Both work in bounded batches of records that still name the user, each write conditional on the
version read: a fixed record no longer matches, so a run cut short and run again (the event
retried) finishes the job without touching anything twice. Erased customers are left alone.
"""
from services.common import colleagues
from services.common.clock import isoformat, utcnow
from services.common.envelope import changes_between
from services.customers import access, customer_record, events, parts, store

SERVICE = "service:customers"
OWNER_PERMISSION = "customers:read"
BATCH = 200
STALLED_ROUNDS = 5


class DepartureStalled(RuntimeError):
    """Records kept changing under every attempt: the event is recorded as failed and retried."""


def apply(db, event, now=None):
    """Fix the customers and follow-ups of the user an accounts user event is about;
    ``{"owners_cleared": n, "assignees_cleared": n}``."""
    user_id, owner_sites = colleagues.still_allowed(event, OWNER_PERMISSION)
    _, assignee_sites = colleagues.still_allowed(event, parts.FOLLOWUP_PERMISSION)
    left = {"user_id": user_id, "at": isoformat(now or utcnow())}
    cleared = {"owners_cleared": 0, "assignees_cleared": 0}
    if owner_sites is not None:
        cleared["owners_cleared"] = _in_batches(
            lambda: store.customers_owned_outside(db, user_id, owner_sites, BATCH),
            lambda customer: _clear_owner(db, customer, left))
    if assignee_sites is not None:
        cleared["assignees_cleared"] = _in_batches(
            lambda: store.open_followups_assigned_outside(db, user_id, assignee_sites, BATCH),
            lambda task: _clear_assignee(db, task, left))
    return cleared


def _in_batches(find, fix):
    """Fix every record ``find`` returns, batch after batch, until it returns none."""
    fixed = stalled = 0
    while True:
        batch = find()
        if not batch:
            return fixed
        done = sum(1 for record in batch if fix(record))
        fixed += done
        stalled = 0 if done else stalled + 1
        if stalled >= STALLED_ROUNDS:
            raise DepartureStalled("%d record(s) changed under every attempt" % len(batch))


def _clear_owner(db, customer, left):
    changes = {"owner_id": None, "owner_left": dict(left)}
    after = dict(customer, **changes)
    diff = changes_between(customer, after, customer_record.INTERNAL_FIELDS + ("completeness",))
    site = customer["site_id"]
    updated = store.change_customer(
        db, {"_id": customer["_id"], "owner_id": customer["owner_id"], "version": customer["version"]}, changes,
        events.event("customer_updated", dict(events.customer_data(after), changed_fields=sorted(diff)), site,
                     SERVICE),
        events.audit("customer", customer["_id"], "updated", diff, site, SERVICE))
    return updated is not None


def _clear_assignee(db, task, left):
    changes = {"assignee_id": None, "assignee_left": dict(left)}
    diff = changes_between(task, dict(task, **changes), parts.INTERNAL)
    updated = store.update_part(db, "followups", task["_id"], task["version"], changes,
                                events.audit(access.ENTITY["followups"], task["_id"], "updated", diff, task["site_id"],
                                             SERVICE))
    return updated is not None
