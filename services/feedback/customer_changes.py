"""What feedback does when customers tells it a customer moved site or was erased.

A move (``customers.customer_moved``) takes the customer's feedback items and survey links to
the new site, each item with an audit entry, so the old site keeps nothing of it and the new
site sees all of it. An erasure or purge (``customers.customer_erased`` / ``customer_purged``)
blanks who the customer's contacts were (name, e-mail, contact id) on its links and items and
keeps the anonymised answers, scores and items for the reports. Both are safe to run twice.
"""
from services.feedback import events, store

ERASED_LINK_FIELDS = {"name": None, "email": None, "contact_id": None}


def move_customer(db, event):
    """-> how many feedback items moved; the survey links of the customer move along."""
    data = event["data"]
    customer_id, target = data["customer_id"], data["to_site_id"]
    actor = event.get("actor") or "service:feedback"
    moved = 0
    for item in store.feedback_elsewhere(db, customer_id, target):
        audit = events.audit("feedback", item["_id"], "moved",
                             {"site_id": {"before": item["site_id"], "after": target}}, target, actor)
        moved += store.move_feedback(db, item["_id"], item["site_id"], target, audit)
    store.move_links(db, customer_id, target)
    return moved


def erase_customer(db, event):
    """Blank the contacts' identity the customer's links and items keep."""
    customer_id = event["data"]["customer_id"]
    store.blank_links(db, customer_id, ERASED_LINK_FIELDS)
    store.blank_feedback_contacts(db, customer_id)
