"""Erasure of a customer's personal data: at once on ``erase=true``, or by the purge timer once a
soft-deleted customer's restore window has passed.

Both blank the personal fields of the customer, of every part (contacts above all) and of the
customer's before-images kept by merges, keeping ids, site, dates and business figures (orders,
payments, tiers) so reports stay right; then they mark the customer erased and announce it
(``customer_erased`` / ``customer_purged``: the ids of every record and the names of the fields
blanked, no values): the other services erase their copies,
accounts anonymises the audit trail. The customer keeps
``purge_after`` until its own write, so a purge cut short is finished by the next timer run.
"""
import logging

from pymongo.errors import PyMongoError

from services.common.clock import utcnow
from services.customers import access, events, identifiers, store

log = logging.getLogger(__name__)

ERASED = "[erased]"
SERVICE = "service:customers"
BATCH = 100
CUSTOMER_BLANK = {
    "legal_name": ERASED, "short_name": None, "tax_id": None, "external_code": None, "website": None,
    "phone": None, "email": None, "addresses": [], "notes": None, "next_followup": None,
    "followup_notice_pending": False, "name_key": None, "tax_id_key": None, "search_keys": [], "all_keys": [],
    "key_prefixes": [], "region_keys": [], "phone_keys": [], "email_keys": [], "contact_keys": [],
    "contact_phone_keys": [], "contact_email_keys": [], "name_sort": identifiers.sort_key(ERASED),
}
PART_BLANK = {
    "contacts": {"name": ERASED, "position": None, "phone": None, "email": None, "birthday": None, "notes": None,
                 "name_key": ""},
    "service_records": {"issue": ERASED, "action": None},
    "interactions": {"participants": [], "summary": ERASED, "key_points": None, "decisions": None,
                     "next_step": None},
    "opportunities": {"title": ERASED},
    "followups": {"title": ERASED, "notes": None},
}

# What the audit trail (kept by accounts) blanks, per entity type: the same fields as here.
ERASED_FIELDS = {"customer": sorted(CUSTOMER_BLANK),
                 **{access.ENTITY[part]: sorted(blank) for part, blank in PART_BLANK.items()}}


def purge(db, customer, actor=SERVICE):
    """Blank a deleted customer and its parts; True when this call finished it. An erasure asked
    for (``erased``) is announced as ``customer_erased``, a lapsed window as ``customer_purged``."""
    customer_id, site = customer["_id"], customer["site_id"]
    erased = {"customer": [customer_id]}
    for part, blank in PART_BLANK.items():
        erased[access.ENTITY[part]] = store.part_ids(db, part, customer_id)
        store.blank_parts(db, part, customer_id, blank)
    store.blank_merge_images(db, customer_id, CUSTOMER_BLANK)
    name = "customer_erased" if customer.get("erased") else "customer_purged"
    emitted = [events.event(name, {"customer_id": customer_id, "contact_ids": erased["contact"],
                                   "records": erased, "fields": ERASED_FIELDS}, site, actor)]
    if name == "customer_purged":
        emitted.append(events.audit("customer", customer_id, "purged", {}, site, actor))
    changes = dict(CUSTOMER_BLANK, erased=True, erased_at=utcnow())
    return store.erase_customer(db, customer_id, changes, *emitted, match={"purge_after": customer["purge_after"]})


def _purge_one(db, customer):
    """``purge`` one customer; a failure of its own is logged and skipped, so it cannot hold up
    every customer due after it (the next run tries it again)."""
    try:
        return purge(db, customer)
    except PyMongoError:
        raise
    except Exception:
        log.exception("purging customer %s failed; the next run tries again", customer["_id"])
        return False


def purge_due(db, now=None):
    """Purge the soft-deleted customers whose window has passed (bounded batches); how many."""
    count = 0
    try:
        while True:
            due = store.customers_to_purge(db, now or utcnow(), BATCH)
            done = sum(1 for customer in due if _purge_one(db, customer))
            count += done
            if len(due) < BATCH or not done:
                return count
    except PyMongoError as exc:
        log.warning("purging customers: database unavailable (%s)", type(exc).__name__)
        return count
