"""The only module that touches the accounts service's collections.

users, sites, refresh_tokens, reset_tokens, logins (history), address_failures, audit.
"""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common import paging
from services.common.errors import Conflict
from services.common.events import pending_insert, pending_update, record_events, utcnow

OUTBOX_COLLECTIONS = ("users", "sites", "reset_tokens")


def ensure_indexes(db):
    db.users.create_index("username_key", unique=True)
    db.users.create_index("email_key", unique=True, sparse=True)
    db.users.create_index([("sites", ASCENDING), ("created_at", DESCENDING)])
    db.users.create_index("roles")
    db.users.create_index("status")
    db.users.create_index("_pending", sparse=True)
    db.sites.create_index("code_key", unique=True)
    db.sites.create_index("_pending", sparse=True)
    db.refresh_tokens.create_index("family_id")
    db.refresh_tokens.create_index("user_id")
    db.refresh_tokens.create_index("expires_at", expireAfterSeconds=0)
    db.reset_tokens.create_index("expires_at", expireAfterSeconds=7 * 24 * 3600)
    db.logins.create_index([("user_id", ASCENDING), ("at", DESCENDING)])
    db.address_failures.create_index([("client_addr", ASCENDING), ("at", DESCENDING)])
    db.address_failures.create_index("at", expireAfterSeconds=24 * 3600)
    db.audit.create_index([("at", DESCENDING)])
    db.audit.create_index([("actor", ASCENDING), ("at", DESCENDING)])
    db.audit.create_index([("entity_type", ASCENDING), ("entity_id", ASCENDING), ("at", DESCENDING)])
    db.audit.create_index([("site_id", ASCENDING), ("at", DESCENDING)])


def queue_events(db, *events):
    record_events(db, *events)


# users

def insert_user(db, user, *events):
    try:
        db.users.insert_one(pending_insert(user, *events))
    except DuplicateKeyError as exc:
        field = "email" if "email_key" in str(exc) else "username"
        raise Conflict("A user with this %s already exists." % field, {field: ["Already taken."]})


def count_users(db):
    return db.users.count_documents({}, limit=1)


def find_user(db, user_id):
    return db.users.find_one({"_id": user_id}, {"_outbox": 0})


def find_user_by_key(db, key):
    """A user by lower-cased username or e-mail."""
    return db.users.find_one({"$or": [{"username_key": key}, {"email_key": key}]}, {"_outbox": 0})


def find_user_by_email(db, email_key):
    return db.users.find_one({"email_key": email_key, "status": "active"}, {"_outbox": 0})


def iterate_users(db, query, projection):
    return db.users.find(query, projection).batch_size(500)


def list_users(db, query, limit, cursor):
    return paging.page(db.users, query, "created_at", True, limit, cursor, {"_outbox": 0})


def update_user(db, user_id, version, changes, *events, unset=None):
    """Apply ``changes`` when the stored version is ``version`` (None: any); the new user or None."""
    match = {"_id": user_id}
    if version is not None:
        match["version"] = version
    update = {"$set": dict(changes, updated_at=utcnow()), "$inc": {"version": 1}}
    if unset:
        update["$unset"] = {field: "" for field in unset}
    try:
        return db.users.find_one_and_update(
            match, pending_update(update, *events), projection={"_outbox": 0},
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError as exc:
        field = "email" if "email_key" in str(exc) else "username"
        raise Conflict("A user with this %s already exists." % field, {field: ["Already taken."]})


def record_failed_login(db, user_id, at, locked_until, *events):
    update = {"$push": {"failed_logins": {"$each": [at], "$slice": -20}}}
    if locked_until:
        update["$set"] = {"locked_until": locked_until}
    db.users.update_one({"_id": user_id}, pending_update(update, *events))


def record_successful_login(db, user_id, at):
    db.users.update_one({"_id": user_id}, {"$set": {"last_login_at": at, "failed_logins": []}})


# sites

def insert_site(db, site, *events):
    try:
        db.sites.insert_one(pending_insert(site, *events))
    except DuplicateKeyError:
        raise Conflict("A site with this code already exists.", {"code": ["Already taken."]})


def list_sites(db, query):
    return list(db.sites.find(query, {"_outbox": 0}).sort("code", ASCENDING))


def site_ids(db, ids):
    return {site["_id"] for site in db.sites.find({"_id": {"$in": list(ids)}}, {"_id": 1})}


# refresh and reset tokens

def insert_refresh_token(db, token):
    db.refresh_tokens.insert_one(token)


def spend_refresh_token(db, token_hash, now):
    """Mark a live token used; returns it, or None when it was unknown, spent, revoked or expired."""
    return db.refresh_tokens.find_one_and_update(
        {"_id": token_hash, "used_at": None, "revoked": False, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now}},
    )


def find_refresh_token(db, token_hash):
    return db.refresh_tokens.find_one({"_id": token_hash})


def revoke_family(db, family_id):
    db.refresh_tokens.update_many({"family_id": family_id}, {"$set": {"revoked": True}})


def revoke_user_sessions(db, user_id):
    db.refresh_tokens.update_many({"user_id": user_id}, {"$set": {"revoked": True}})


def insert_reset_token(db, token, *events):
    db.reset_tokens.insert_one(pending_insert(token, *events))


def find_reset_token(db, token_hash):
    return db.reset_tokens.find_one({"_id": token_hash})


def spend_reset_token(db, token_hash, now):
    return db.reset_tokens.find_one_and_update(
        {"_id": token_hash, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}}
    )


# login history and address failures

def insert_login(db, record):
    db.logins.insert_one(record)


def list_logins(db, user_id, limit, cursor):
    return paging.page(db.logins, {"user_id": user_id}, "at", True, limit, cursor)


def add_address_failure(db, client_addr, at):
    db.address_failures.insert_one({"client_addr": client_addr, "at": at})


def address_failures(db, client_addr, since):
    return [doc["at"] for doc in db.address_failures.find(
        {"client_addr": client_addr, "at": {"$gte": since}}, {"at": 1})]


# audit trail

def insert_audit(db, entry):
    """Idempotent by the event id it came from."""
    try:
        db.audit.insert_one(entry)
    except DuplicateKeyError:
        pass


def anonymise_audit(db, entity_id, fields, placeholder="[erased]", entity_type="user"):
    """Blank the before/after values of personal ``fields`` in the trail of ``entity_id``.

    The trail is read once by its (entity_type, entity_id) index, then each entry that holds a
    personal value is rewritten by id: a filter on ``entity_id`` alone would scan the audit log.
    """
    for entry in db.audit.find({"entity_type": entity_type, "entity_id": entity_id}, {"changes": 1}):
        changes = entry.get("changes") or {}
        erased = {"changes.%s.%s" % (field, side): placeholder for field in fields for side in ("before", "after")
                  if isinstance(changes.get(field), dict) and changes[field].get(side) is not None}
        if erased:
            db.audit.update_one({"_id": entry["_id"]}, {"$set": erased})


def list_audit(db, query, limit, cursor):
    return paging.page(db.audit, query, "at", True, limit, cursor)
