"""The only module that touches the accounts service's collections.

users, sites, refresh_tokens, reset_tokens, session_revocations, logins (history), throttle (attempt
counters), audit, automation_grants (``automation_grants.py``), teams (``teams.py``). Expired tokens, revocations and
counters are deleted by ``sweep_expired`` (a timer), not by TTL indexes: the embedded server's TTL
sweeper scans whole collections.
"""
import logging
from datetime import timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.common import windows
from services.common.mongo import (at_version, changed, drop_index, insert_new, replace_ttl_index, sweep,
                                   update_and_fetch)
from services.common.clock import utcnow
from services.common.errors import Conflict
from services.common.outbox import HIDDEN, pending_insert, pending_update, record_events

log = logging.getLogger(__name__)
OUTBOX_COLLECTIONS = ("users", "sites", "reset_tokens", "session_revocations", "teams")
RESET_TOKEN_KEEP = timedelta(days=7)  # spent or expired reset tokens stay a week, for the trail
# Collections swept by expires_at, each with how long a document stays after it.
EXPIRING = {"refresh_tokens": timedelta(0), "reset_tokens": RESET_TOKEN_KEEP,
            "session_revocations": timedelta(0), "throttle": timedelta(0)}


def ensure_indexes(db):
    db.users.create_index("username_key", unique=True)
    db.users.create_index("email_key", unique=True, sparse=True)
    db.users.create_index([("sites", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.users.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    db.users.create_index("roles")
    db.users.create_index("status")
    db.users.create_index("tokens_revoked_at", sparse=True)
    db.sites.create_index("code_key", unique=True)
    db.refresh_tokens.create_index("family_id")
    db.refresh_tokens.create_index("user_id")
    db.reset_tokens.create_index("user_id")
    db.session_revocations.create_index("at")
    db.logins.create_index([("user_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])
    db.throttle.create_index("account", sparse=True)
    for name in EXPIRING:
        replace_ttl_index(db[name], "expires_at")
    for shape in AUDIT_SHAPES:
        db.audit.create_index([(field, ASCENDING) for field in shape] + [("at", ASCENDING), ("_id", ASCENDING)])
    for keys in INDEXES_BEFORE_WINDOWS:
        drop_index(db[keys[0]], keys[1:])
    db.erased_records.create_index("records")
    db.automation_grants.create_index("rule_id")
    db.teams.create_index([("site_id", ASCENDING), ("name_key", ASCENDING)], unique=True)
    db.teams.create_index("member_ids")


# Indexes of the lists before they were read in windows: (collection, keys...).
INDEXES_BEFORE_WINDOWS = (
    ("users", ("sites", ASCENDING), ("created_at", DESCENDING)),
    ("logins", ("user_id", ASCENDING), ("at", DESCENDING)),
    ("audit", ("at", DESCENDING)),
    ("audit", ("actor", ASCENDING), ("at", DESCENDING)),
    ("audit", ("entity_type", ASCENDING), ("entity_id", ASCENDING), ("at", DESCENDING)),
    ("audit", ("site_id", ASCENDING), ("at", DESCENDING)),
)



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
    return db.users.find_one({"_id": user_id}, HIDDEN)


def find_user_by_key(db, key):
    """The user whose lower-cased username or e-mail is ``key``: one query each (indexes
    ``username_key`` and ``email_key``; an ``$or`` of them reads every user). None when there is no
    such user, or when one user's username is another's e-mail: a sign-in must not guess which."""
    by_name = db.users.find_one({"username_key": key}, HIDDEN)
    by_email = db.users.find_one({"email_key": key}, HIDDEN)
    if by_name and by_email and by_name["_id"] != by_email["_id"]:
        log.warning("sign-in key names two users (one's username, another's e-mail): refused")
        return None
    return by_name or by_email


def find_user_by_email(db, email_key):
    return db.users.find_one({"email_key": email_key, "status": "active"}, HIDDEN)


def active_users(db, projection, ids=None, sites=None):
    """The active users (of ``ids``, working at any of ``sites``; None: any), batch by batch. Index
    ``status``, the other clauses checked on its rows: users are few."""
    query = {"status": "active"}
    if ids:
        query["_id"] = {"$in": list(ids)}
    if sites is not None:
        query["sites"] = {"$in": list(sites)}
    return db.users.find(query, projection).batch_size(500)


def list_users(db, filters, sites, limit, cursor):
    """Users newest first (``windows.time_page``): those of ``filters`` (loaded ``UserFilterSchema``)
    in any of ``sites`` (None: every user). Users are few: what the shape does not express (status,
    role, the text prefix, the caller's sites) is checked on the rows of each window."""
    if filters.get("site_id"):
        scope = {"sites": filters["site_id"]}  # index sites_1_created_at_1__id_1
    else:
        scope = {}  # index created_at_1__id_1
    status, role, prefix = filters.get("status"), filters.get("role"), filters.get("q")

    def keep(user):
        return ((user.get("status") == status if status else user.get("status") != "deleted")
                and (not role or role in (user.get("roles") or ()))
                and (sites is None or bool(set(user.get("sites") or ()) & set(sites)))
                and (not prefix or any((user.get(key) or "").startswith(prefix)
                                       for key in ("username_key", "email_key"))))

    return windows.time_page(db.users, [scope], "created_at", True, limit, cursor, projection=HIDDEN,
                             keep=keep)


def users_not_deleted(db):
    """Every user but the deleted ones, batch by batch (index ``status``): a one-time pass."""
    return db.users.find({"status": {"$in": ["active", "disabled"]}}, HIDDEN).batch_size(500)


def has_marker(db, name):
    return db.markers.find_one({"_id": name}) is not None


def set_marker(db, name):
    db.markers.update_one({"_id": name}, {"$set": {"at": utcnow()}}, upsert=True)


def update_user(db, user_id, version, changes, *events, unset=None):
    """Apply ``changes`` when the stored version is ``version`` (None: any); the new user or None."""
    match = at_version(user_id, version)
    update = changed(changes)
    if unset:
        update["$unset"] = {field: "" for field in unset}
    try:
        return update_and_fetch(db.users, match, pending_update(update, *events), HIDDEN)
    except DuplicateKeyError as exc:
        field = "email" if "email_key" in str(exc) else "username"
        raise Conflict("A user with this %s already exists." % field, {field: ["Already taken."]})


def record_failed_login(db, user_id, *events, delayed_until=None):
    """Queue the events of a failed login on the user (by _id); a delay that starts is kept as
    ``locked_until`` for the admins' view (cleared by an unlock)."""
    update = {"$set": {"locked_until": delayed_until}} if delayed_until else {}
    if events or update:
        db.users.update_one({"_id": user_id}, pending_update(update, *events))


def record_successful_login(db, user_id, at):
    db.users.update_one({"_id": user_id}, {"$set": {"last_login_at": at}})


# sites

def insert_site(db, site, *events):
    try:
        db.sites.insert_one(pending_insert(site, *events))
    except DuplicateKeyError:
        raise Conflict("A site with this code already exists.", {"code": ["Already taken."]})


def list_sites(db, ids=None, but_status=None):
    """The sites of ``ids`` (None: every site) but those of status ``but_status``, by code: the ids
    lead (``_id`` point look-ups), never the ``$ne``; without ids the whole collection (sites are few)."""
    query = {} if ids is None else {"_id": {"$in": list(ids)}}
    if but_status is not None:
        query["status"] = {"$ne": but_status}
    return list(db.sites.find(query, HIDDEN).sort("code", ASCENDING))


def find_site_by_code(db, code_key):
    """The site of a (lower-cased) code, tombstones too (index code_key)."""
    return db.sites.find_one({"code_key": code_key}, HIDDEN)


def site_ids(db, ids):
    """Those of ``ids`` that are active sites (a user may be given no other)."""
    return {site["_id"] for site in db.sites.find({"_id": {"$in": list(ids)}}, {"_id": 1, "status": 1})
            if site.get("status", "active") == "active"}


def find_site(db, site_id):
    return db.sites.find_one({"_id": site_id}, HIDDEN)


def update_site(db, site_id, version, changes, *events):
    """Apply ``changes`` when the stored version is ``version``; the new site or None."""
    try:
        return update_and_fetch(
            db.sites, {"_id": site_id, "version": version},
            pending_update(changed(changes), *events),
            HIDDEN)
    except DuplicateKeyError:
        raise Conflict("A site with this code already exists.", {"code": ["Already taken."]})


def count_site_users(db, site_id):
    """Users (deleted ones aside) who still work at ``site_id``."""
    return db.users.count_documents({"sites": site_id, "status": {"$ne": "deleted"}})


# refresh and reset tokens

def insert_refresh_token(db, token):
    db.refresh_tokens.insert_one(token)


def spend_refresh_token(db, token_hash, now):
    """Mark a live token used; returns it (spent), or None when it was unknown, spent, revoked or
    expired. The conditional update by _id is what one caller only can win."""
    return update_and_fetch(db.refresh_tokens,
                            {"_id": token_hash, "used_at": None, "revoked": False, "expires_at": {"$gt": now}},
                            {"$set": {"used_at": now}})


def find_refresh_token(db, token_hash):
    return db.refresh_tokens.find_one({"_id": token_hash})


def revoke_family(db, family_id):
    db.refresh_tokens.update_many({"family_id": family_id}, {"$set": {"revoked": True}})


def users_revoked_since(db, since):
    """Users whose access tokens were ended from ``since`` on (index tokens_revoked_at)."""
    return list(db.users.find({"tokens_revoked_at": {"$gte": since}},
                              {"tokens_min_version": 1, "tokens_revoked_at": 1}))


def insert_session_revocation(db, record, *events):
    """Record a session's end with its events; a session ended already stays as it was (by _id)."""
    try:
        db.session_revocations.insert_one(pending_insert(record, *events))
    except DuplicateKeyError:
        pass


def sessions_revoked_since(db, since):
    """Sessions ended from ``since`` on (index at)."""
    return list(db.session_revocations.find({"at": {"$gte": since}}, {"user_id": 1, "expires_at": 1}))


def revoke_user_sessions(db, user_id):
    db.refresh_tokens.update_many({"user_id": user_id}, {"$set": {"revoked": True}})


def insert_reset_token(db, token, *events):
    db.reset_tokens.insert_one(pending_insert(token, *events))


def find_reset_token(db, token_hash):
    return db.reset_tokens.find_one({"_id": token_hash})


def spend_reset_token(db, token_hash, now):
    """True when the live token was spent now (by _id); False when it was used, voided or expired."""
    return db.reset_tokens.update_one(
        {"_id": token_hash, "used_at": None, "voided_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now}}).modified_count == 1


def void_reset_tokens(db, user_id, now):
    """Void every unspent reset token of the user (index user_id)."""
    db.reset_tokens.update_many({"user_id": user_id, "used_at": None, "voided_at": None},
                                {"$set": {"voided_at": now}})


def sweep_expired(db, now):
    """Delete what expired (index expires_at of each collection); ``{collection: deleted}``.

    Nothing relies on the sweep for correctness: spending a refresh or reset token checks its
    ``expires_at``, revocations are read with theirs, and a throttle counter past its
    ``expires_at`` has outlived every rule window.
    """
    return {name: sweep(db[name], "expires_at", now - keep) for name, keep in EXPIRING.items()}


# login history

def insert_login(db, record):
    db.logins.insert_one(record)


def list_logins(db, user_id, limit, cursor):
    """A user's sign-ins, newest first (``windows.time_page``)."""
    return windows.time_page(db.logins, [{"user_id": user_id}], "at", True, limit, cursor)  # user_id_1_at_1__id_1


# attempt counters: {_id: key, rev, count, last_at, next_at, known, account, expires_at}

def find_throttle(db, key):
    """By _id."""
    return db.throttle.find_one({"_id": key})


def claim_throttle(db, key, rev, state):
    """Store ``state`` if the counter is still at ``rev`` (None: absent); -> whether this call won (by _id)."""
    if rev is None:
        try:
            db.throttle.insert_one(dict(state, _id=key, rev=1, known=False))
            return True
        except DuplicateKeyError:
            return False
    return db.throttle.update_one({"_id": key, "rev": rev}, {"$set": state, "$inc": {"rev": 1}}).modified_count == 1


def refund_throttle(db, key):
    """By _id."""
    db.throttle.update_one({"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1, "rev": 1}})


def clear_throttle(db, key, known, expires_at):
    """By _id; ``known`` stays once set."""
    update = {"$set": {"count": 0, "next_at": None, "expires_at": expires_at}, "$inc": {"rev": 1}}
    if known:
        update["$set"]["known"] = True
    db.throttle.update_one({"_id": key}, update)


def clear_account_throttles(db, account):
    """Lift every delay on an account's sign-ins (index account)."""
    db.throttle.update_many({"account": account}, {"$set": {"count": 0, "next_at": None}, "$inc": {"rev": 1}})


# audit trail

def remember_erased(db, customer_id, records, fields):
    """Keep which records of an erased customer (``"<entity_type>:<id>"``) lose which fields, for
    audit entries that arrive after the erasure."""
    db.erased_records.update_one({"_id": customer_id}, {"$set": {"records": records, "fields": fields}},
                                 upsert=True)


def erased_fields(db, records):
    """``{(entity_type, entity_id): fields to blank}`` of the erased ones among ``records`` (``(entity_type,
    entity_id)`` pairs), for their audit entries (multikey index ``records``, one read)."""
    keys = {"%s:%s" % record: record for record in records}
    erased = {}
    for found in db.erased_records.find({"records": {"$in": sorted(keys)}}, {"fields": 1, "records": 1}):
        for key in keys.keys() & set(found["records"]):
            entity_type = keys[key][0]
            erased[keys[key]] = found["fields"].get(entity_type, [])
    return {record: fields for record, fields in erased.items() if fields}


def insert_audit(db, entry):
    """Idempotent by the event id it came from."""
    insert_audit_entries(db, [entry])


def insert_audit_entries(db, entries):
    """Idempotent by the event id each came from: one already kept stays as it is."""
    insert_new(db.audit, entries)


def anonymise_audit(db, entity_id, fields, placeholder="[erased]", entity_type="user"):
    """Blank the before/after values of personal ``fields`` in the trail of ``entity_id``.

    The trail is read once by its (entity_type, entity_id) index, then each entry that holds a
    personal value is rewritten by id: a filter on ``entity_id`` alone would scan the audit log.
    """
    for entry in db.audit.find({"entity_type": entity_type, "entity_id": entity_id}, {"changes": 1}):
        erased = erased_paths(entry.get("changes") or {}, fields, placeholder)
        if erased:
            db.audit.update_one({"_id": entry["_id"]}, {"$set": erased})


def erased_paths(changes, fields, placeholder="[erased]"):
    """``{"changes.<field>.<side>": placeholder}`` for each personal value an entry's ``changes`` hold."""
    return {"changes.%s.%s" % (field, side): placeholder for field in fields for side in ("before", "after")
            if isinstance(changes.get(field), dict) and changes[field].get(side) is not None}


# The equalities an audit page is read by, most selective first; each has an index
# (fields..., at, _id): a record's trail, an actor's entries, a site's, the whole trail.
AUDIT_SHAPES = (
    ("entity_type", "entity_id"),  # index entity_type_1_entity_id_1_at_1__id_1
    ("actor",),  # index actor_1_at_1__id_1
    ("site_id",),  # index site_id_1_at_1__id_1, one query per site
    (),  # index at_1__id_1
)
AUDIT_FIELDS = ("actor", "entity_type", "entity_id", "site_id", "action")


def list_audit(db, filters, sites, limit, cursor):
    """Entries newest first (``windows.time_page``): those of ``filters`` (loaded
    ``AuditFilterSchema``; since/until bound the windows) with a site of ``sites`` (None: every
    entry, with a site or without). The first shape of ``AUDIT_SHAPES`` the filters give is the
    query (one per site of ``sites`` for the site shape); the other filters are checked on its rows."""
    asked = {field: filters[field] for field in AUDIT_FIELDS if filters.get(field)}
    shape = next(shape for shape in AUDIT_SHAPES if all(field in asked for field in shape))
    if shape == () and sites is not None:
        shape = ("site_id",)
    if shape == ("site_id",):
        wanted = [asked["site_id"]] if "site_id" in asked else sorted(sites)
        scopes = [{"site_id": site_id} for site_id in wanted if sites is None or site_id in sites]
    else:
        scopes = [{field: asked[field] for field in shape}]
    rest = {field: value for field, value in asked.items() if field not in shape}

    def keep(entry):
        return all(entry.get(field) == value for field, value in rest.items()) and (
            sites is None or entry.get("site_id") in sites)

    checked = rest or (sites is not None and shape != ("site_id",))
    return windows.time_page(db.audit, scopes, "at", True, limit, cursor, since=filters.get("since"),
                             until=filters.get("until"), keep=keep if checked else None)


# automation grants (``automation_grants.py``): a few per rule at most, looked up by hash (``_id``)

def replace_automation_grant(db, grant):
    """Store ``grant`` (its ``_id`` is the secret's hash) and drop the rule's earlier ones at the same
    site (index rule_id): never another site's."""
    db.automation_grants.insert_one(grant)
    db.automation_grants.delete_many({"rule_id": grant["rule_id"], "site_id": grant["site_id"],
                                      "_id": {"$ne": grant["_id"]}})


def automation_grants_of(db, rule_id):
    """``{_id, user_id, site_id}`` of the grants bound to ``rule_id`` (index rule_id)."""
    return list(db.automation_grants.find({"rule_id": rule_id}, {"user_id": 1, "site_id": 1}))


def find_automation_grant(db, grant_hash):
    return db.automation_grants.find_one({"_id": grant_hash})


def delete_automation_grants(db, grant_ids):
    return db.automation_grants.delete_many({"_id": {"$in": list(grant_ids)}}).deleted_count if grant_ids else 0


# teams (``teams.py``): a site's sales teams, a few per site; a deleted one stays as a tombstone
# (status deleted, no members, its name_key freed)

TEAM_NAME_TAKEN = "A team of this name already exists at the site."


def insert_team(db, team, *events):
    try:
        db.teams.insert_one(pending_insert(team, *events))
    except DuplicateKeyError:
        raise Conflict(TEAM_NAME_TAKEN, {"name": ["Already taken."]})


def find_team(db, team_id):
    return db.teams.find_one({"_id": team_id}, HIDDEN)


def list_teams(db, sites):
    """The teams of ``sites`` (None: every site), tombstones too, by site and name: one query per site
    (index site_id_1_name_key_1); without sites the whole collection (teams are few)."""
    if sites is None:
        return list(db.teams.find({}, HIDDEN).sort([("site_id", ASCENDING), ("name_key", ASCENDING)]))
    return [team for site_id in sorted(set(sites))
            for team in db.teams.find({"site_id": site_id}, HIDDEN).sort("name_key", ASCENDING)]


def member_teams(db, user_id):
    """The teams ``user_id`` is a member of (multikey index member_ids; a tombstone has no members)."""
    return list(db.teams.find({"member_ids": user_id}, HIDDEN))


def update_team(db, team_id, version, changes, *events):
    """Apply ``changes`` to a live team when the stored version is ``version``; the team after, or None."""
    try:
        return update_and_fetch(db.teams, at_version(team_id, version, status="active"),
                                pending_update(changed(changes), *events), HIDDEN)
    except DuplicateKeyError:
        raise Conflict(TEAM_NAME_TAKEN, {"name": ["Already taken."]})


def count_site_teams(db, site_id):
    """The live teams of ``site_id`` (index site_id_1_name_key_1, status checked on its rows)."""
    return db.teams.count_documents({"site_id": site_id, "status": "active"})
