"""The only module that touches the customers service's collections.

customers, and one collection per part of a customer (contacts, orders, payments,
service_records, interactions, opportunities, followups), views, settings, tier_history.
Customers and parts are soft-deleted (``deleted_at``), so a delete and its events are one write.
"""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common import paging
from services.common.errors import Conflict
from services.common.events import pending_insert, pending_update, record_events, utcnow

PARTS = ("contacts", "orders", "payments", "service_records", "interactions", "opportunities", "followups")
OUTBOX_COLLECTIONS = ("customers",) + PARTS + ("views",)
HIDDEN = {"_outbox": 0, "_pending": 0, "_outbox_claim": 0}


def ensure_indexes(db):
    customers = db.customers
    customers.create_index([("site_id", ASCENDING), ("created_at", DESCENDING)])
    customers.create_index("search_keys")
    customers.create_index("contact_keys")
    customers.create_index("tax_id_key", sparse=True)
    customers.create_index("name_key")
    customers.create_index([("site_id", ASCENDING), ("external_code", ASCENDING)], sparse=True)
    for field in ("tier.level", "tags", "industry", "addresses.province", "owner_id", "lifecycle_stage",
                  "churn_risk.level", "parent_id", "deleted_at", "legal_name", "updated_at", "next_followup_date",
                  "last_verified_at", "tier_rank", "annual_revenue", "completeness", "last_order_date"):
        customers.create_index([(field, ASCENDING), ("_id", ASCENDING)])
    customers.create_index("_pending", sparse=True)
    for part in PARTS:
        db[part].create_index([("customer_id", ASCENDING), ("created_at", DESCENDING)])
        db[part].create_index([("site_id", ASCENDING), ("created_at", DESCENDING)])
        db[part].create_index("_pending", sparse=True)
    db.orders.create_index([("site_id", ASCENDING), ("order_date", DESCENDING)])
    db.orders.create_index("contract_end_date", sparse=True)
    db.followups.create_index([("status", ASCENDING), ("due_date", ASCENDING)])
    db.contacts.create_index("birthday", sparse=True)
    db.views.create_index([("site_id", ASCENDING), ("owner_id", ASCENDING)])
    db.tier_history.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])


def queue_events(db, *events):
    record_events(db, *events)


# customers

def insert_customer(db, customer, *events):
    try:
        db.customers.insert_one(pending_insert(customer, *events))
    except DuplicateKeyError:
        raise Conflict("This customer already exists.")


def find_customer(db, customer_id, include_deleted=False):
    query = {"_id": customer_id}
    if not include_deleted:
        query["deleted_at"] = None
    return db.customers.find_one(query, HIDDEN)


def find_customers(db, query, projection=None, limit=0):
    return list(db.customers.find(query, projection or HIDDEN).limit(limit))


def update_customer(db, customer_id, version, changes, *events, unset=None, include_deleted=False):
    """Apply ``changes`` if the stored version is ``version`` (None: any); the new document or None."""
    match = {"_id": customer_id}
    if not include_deleted:
        match["deleted_at"] = None
    if version is not None:
        match["version"] = version
    update = {"$set": dict(changes, updated_at=utcnow()), "$inc": {"version": 1}}
    if unset:
        update["$unset"] = {field: "" for field in unset}
    return db.customers.find_one_and_update(match, pending_update(update, *events), projection=HIDDEN,
                                            return_document=ReturnDocument.AFTER)


def set_customer_fields(db, customer_id, changes, *events):
    """A derived-field update (tier, keys, dates) that does not bump the record's version."""
    db.customers.update_one({"_id": customer_id}, pending_update({"$set": changes}, *events))


def search_customers(db, query, sort_field, descending, limit, cursor):
    return paging.page(db.customers, query, sort_field, descending, limit, cursor, HIDDEN)


def iterate_customers(db, query, sort=("_id", ASCENDING), batch_size=500):
    return db.customers.find(query, HIDDEN).sort([sort]).batch_size(batch_size)


def count_customers(db, query):
    return db.customers.count_documents(query)


# parts

def insert_part(db, part, document, *events):
    db[part].insert_one(pending_insert(document, *events))


def find_part(db, part, part_id):
    return db[part].find_one({"_id": part_id, "deleted_at": None}, HIDDEN)


def list_parts(db, part, query, sort_field, limit, cursor):
    return paging.page(db[part], dict(query, deleted_at=None), sort_field, True, limit, cursor, HIDDEN)


def all_parts(db, part, query, sort=None, limit=0):
    cursor = db[part].find(dict(query, deleted_at=None), HIDDEN)
    if sort:
        cursor = cursor.sort(sort)
    return list(cursor.limit(limit))


def update_part(db, part, part_id, version, changes, *events):
    match = {"_id": part_id, "deleted_at": None}
    if version is not None:
        match["version"] = version
    update = {"$set": dict(changes, updated_at=utcnow()), "$inc": {"version": 1}}
    return db[part].find_one_and_update(match, pending_update(update, *events), projection=HIDDEN,
                                        return_document=ReturnDocument.AFTER)


def aggregate(db, collection, pipeline):
    return list(db[collection].aggregate(pipeline))


# saved views and settings

def insert_view(db, view, *events):
    db.views.insert_one(pending_insert(view, *events))


def list_views(db, query):
    return list(db.views.find(dict(query, deleted_at=None), HIDDEN).sort("name", ASCENDING))


def find_view(db, view_id):
    return db.views.find_one({"_id": view_id, "deleted_at": None}, HIDDEN)


def delete_view(db, view_id, *events):
    db.views.update_one({"_id": view_id}, pending_update({"$set": {"deleted_at": utcnow()}}, *events))


def site_settings(db, site_id):
    return db.settings.find_one({"_id": site_id}) or {}


def save_site_settings(db, site_id, settings):
    db.settings.update_one({"_id": site_id}, {"$set": settings}, upsert=True)


def insert_tier_history(db, entry):
    db.tier_history.insert_one(entry)


def tier_history(db, customer_id, limit=50):
    return list(db.tier_history.find({"customer_id": customer_id}).sort("at", DESCENDING).limit(limit))
