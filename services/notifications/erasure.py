"""Erasure of a customer's personal data from what notifications keeps about it.

``customers.customer_erased`` and ``customers.customer_purged`` (``{customer_id, contact_ids,
records}``: every record of the customer that was blanked) remove the inbox items about them,
blank the subject and body of its e-mails (and the address of those sent to its contacts),
cancel its pending e-mails and deliveries, empty the
``data`` of the events kept in its webhook deliveries (they can no longer be redelivered), and
drop its failed events. Each of those records carries ``subjects``, the customer and contact ids
its event names (``subjects_of``), so all of this rides indexes. The recipient directory holds
users only, never customers or contacts.
"""
from services.common.envelope import source_service
from services.notifications import store

ERASURE_EVENTS = ("customers.customer_erased", "customers.customer_purged")
# The services whose events are about customers and their contacts.
SOURCES = ("customers", "feedback")
ID_FIELDS = ("customer_id", "contact_id", "survivor_id", "entity_id")
ID_LISTS = ("contact_ids", "merged_ids", "restored_ids")


def subjects_of(event):
    """The ids of customers, contacts and other customer records an event names, sorted."""
    if source_service(event.get("type", "")) not in SOURCES:
        return []
    data = event.get("data") or {}
    found = {data.get(field) for field in ID_FIELDS}
    for field in ID_LISTS:
        found.update(data.get(field) or [])
    owner = (data.get("changes") or {}).get("customer_id")
    if isinstance(owner, dict):
        found.update((owner.get("before"), owner.get("after")))
    return sorted(value for value in found if isinstance(value, str) and value)


def apply(db, event):
    """Erase what an erasure event names; other events are ignored."""
    if event["type"] not in ERASURE_EVENTS:
        return
    data = event["data"]
    named = [data["customer_id"]] + list(data.get("contact_ids") or [])
    for ids in (data.get("records") or {}).values():
        named.extend(ids)
    ids = sorted({i for i in named if isinstance(i, str)})
    store.remember_erased(db, ids)  # first: an event about them handled meanwhile sees it (``handle``)
    store.erase_subjects(db, ids, ERASURE_EVENTS)


def handle(db, event, deliver):
    """``deliver(event)`` (webhooks, inbox, mail; it returns how many it stored) unless it names an
    erased record; when the record is erased while it runs, what it stored is erased at once. The
    erasure remembers its ids before it erases, and this checks again after delivering anything, so
    neither order leaves a copy."""
    subjects = subjects_of(event)
    if store.any_erased(db, subjects):
        return
    if deliver(event) and store.any_erased(db, subjects):
        store.erase_subjects(db, subjects, ERASURE_EVENTS)
