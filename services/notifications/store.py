"""The only module that touches the notifications service's collections.

directory (users, from accounts events), inbox, preferences, emails (the e-mail outbox; sent
ones are deleted after 30 days by ``sweep_sent_emails``, a timer: no TTL index, whose sweeper
scans the whole collection), webhooks, deliveries, automation_rules and automation_runs (finished
runs are deleted after ``RUN_DAYS`` by the same kind of timer). Inbox items, e-mails and deliveries carry
``subjects``, the customer records their event names, for erasure (``erasure.py``). E-mails and
deliveries are work items: a timer claims due ones by moving their ``next_attempt_at`` forward
(a lease) in one compare-and-swap update, so replicas never take the same item and an item held
by a killed process is due again when its lease runs out.

The active hooks and the enabled event rules, read for every event, are kept per process while the
``generations`` document ``reactors`` is unchanged (a point read per call); every write here that
changes them ``$inc``s it, so each replica reads them again at its next event (``reactors``).
"""
import collections
import copy
import datetime
import time
import uuid

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.common import outbox, paging, windows
from services.common.clock import utcnow
from services.common.mongo import (
    changed, claim_many, drop_index, insert_new, replace_ttl_index, sweep, update_and_fetch,
)
from services.common.outbox import pending_insert, pending_update
from services.notifications import hook_secrets

OUTBOX_COLLECTIONS = ("webhooks", "emails", "deliveries", "preferences", "automation_rules", "automation_runs",
                      "campaigns", "opt_outs", "report_subscriptions")
HIDDEN = dict(outbox.HIDDEN, claim=0)  # a delivery's or e-mail's lease token is never returned either
SENT_EMAIL_DAYS = 30
RUN_DAYS = 90
ERASED = "(erased)"
# Where a failed event names a customer record; each path has a sparse index.
FAILED_EVENT_IDS = ("event.data.customer_id", "event.data.contact_id", "event.data.entity_id")


def ensure_indexes(db):
    db.directory.create_index("sites")
    db.directory.create_index("permissions")
    db.inbox.create_index([("user_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.inbox.create_index([("user_id", ASCENDING), ("read_at", ASCENDING), ("created_at", ASCENDING),
                           ("_id", ASCENDING)])
    for name in ("emails", "deliveries"):
        db[name].create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
    db.emails.create_index([("status", ASCENDING), ("failed_at", ASCENDING), ("_id", ASCENDING)])
    db.emails.create_index([("status", ASCENDING), ("site_id", ASCENDING), ("failed_at", ASCENDING),
                            ("_id", ASCENDING)])
    replace_ttl_index(db.emails, "sent_at")
    db.deliveries.create_index([("webhook_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.deliveries.create_index([("webhook_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING),
                                ("_id", ASCENDING)])
    db.webhooks.create_index([("site_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.webhooks.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    db.webhooks.create_index("active")
    for name in ("inbox", "emails", "deliveries", "automation_runs"):
        db[name].create_index("subjects", sparse=True)
    for path in FAILED_EVENT_IDS:
        db.failed_events.create_index(path, sparse=True)
    db.automation_rules.create_index([("site_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.automation_rules.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    db.automation_rules.create_index([("trigger.event_type", ASCENDING), ("site_id", ASCENDING)])
    db.automation_rules.create_index("next_fire_at", sparse=True)
    db.automation_runs.create_index([("rule_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.automation_runs.create_index([("rule_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING),
                                     ("_id", ASCENDING)])
    db.automation_runs.create_index([("pending", ASCENDING), ("resume_at", ASCENDING)], sparse=True)
    db.automation_runs.create_index("finished_at", sparse=True)
    db.campaigns.create_index([("site_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.campaigns.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    db.campaigns.create_index("active", sparse=True)
    db.recipients.create_index([("campaign_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)])
    db.recipients.create_index([("campaign_id", ASCENDING), ("_id", ASCENDING)])
    db.recipients.create_index("subjects", sparse=True)
    db.opt_outs.create_index("address_keys")
    db.report_subscriptions.create_index("user_id")
    db.report_subscriptions.create_index("next_send_at")
    db.opt_outs.create_index("subjects", sparse=True)
    for name, *keys in INDEXES_BEFORE_WINDOWS:
        drop_index(db[name], keys)
    seal_plaintext_secrets(db)


# Indexes of the lists before they were read in windows: (collection, keys...).
INDEXES_BEFORE_WINDOWS = (
    ("inbox", ("user_id", ASCENDING), ("created_at", DESCENDING)),
    ("inbox", ("user_id", ASCENDING), ("read_at", ASCENDING)),
    ("emails", ("status", ASCENDING), ("failed_at", DESCENDING)),
    ("deliveries", ("webhook_id", ASCENDING), ("created_at", DESCENDING)),
)



def seal_plaintext_secrets(db):
    """At start: seal the signing secrets of hooks stored before secrets were encrypted (a one-off
    migration; a hook collection is small and ``secret`` exists on none once it has run)."""
    for hook in db.webhooks.find({"secret": {"$exists": True}}, {"secret": 1}):
        seal_secret(db, hook["_id"], hook_secrets.seal(hook["secret"]))


def insert_ignoring_duplicate(collection, document, *events):
    """Insert once: work derived from an event has an id derived from it, so a re-run adds nothing."""
    try:
        collection.insert_one(pending_insert(document, *events))
        return True
    except DuplicateKeyError:
        return False


# directory

def save_directory_entry(db, user_id, fields, at):
    """Apply a user's fields from an event that happened ``at``, unless a newer one or the deletion won.

    Events arrive on several queues in any order, and not every event carries every field
    (``permissions_changed`` has no ``sites``): an older event still fills the fields the entry
    lacks, so a user first heard of through a later, partial event is not left without sites."""
    try:
        db.directory.update_one(
            {"_id": user_id, "status": {"$ne": "deleted"}, "event_at": {"$lte": at}},
            {"$set": dict(fields, event_at=at)}, upsert=True)
    except DuplicateKeyError:
        for field, value in fields.items():
            db.directory.update_one({"_id": user_id, "status": {"$ne": "deleted"}, field: {"$exists": False}},
                                    {"$set": {field: value}})


def erase_directory_entry(db, user_id, at):
    """Keep only a tombstone, so a late event about the user cannot bring it back; drop the user's
    inbox (index user_id, created_at) and text-message number (by _id)."""
    db.directory.replace_one({"_id": user_id}, {"_id": user_id, "status": "deleted", "event_at": at}, upsert=True)
    db.inbox.delete_many({"user_id": user_id})
    db.preferences.update_one({"_id": user_id}, {"$set": {"sms_kinds": []}, "$unset": {"sms_number": ""}})


def known_ids(db, user_ids):
    return {entry["_id"] for entry in db.directory.find({"_id": {"$in": list(user_ids)}}, {"_id": 1})}


def active_users(db, user_ids):
    """The active users among ``user_ids`` (by ``_id``: point look-ups)."""
    return list(db.directory.find({"_id": {"$in": list(user_ids)}, "status": "active"}))


def active_holders(db, permissions, site_id=None):
    """The active users holding every one of ``permissions`` (at ``site_id``, when given): index
    ``sites``, else ``permissions`` (one permission an equality: no index serves ``$all``), the
    rest checked on its rows."""
    query = {"sites": site_id} if site_id is not None else {}
    query["permissions"] = {"$all": list(permissions)} if len(permissions) > 1 else permissions[0]
    query["status"] = "active"
    return list(db.directory.find(query))


# inbox and preferences

def list_inbox(db, user_id, unread, limit, cursor):
    """A user's notifications (only the unread ones with ``unread``), newest first (``windows.time_page``)."""
    if unread:
        scope = {"user_id": user_id, "read_at": None}  # index user_id_1_read_at_1_created_at_1__id_1
    else:
        scope = {"user_id": user_id}  # index user_id_1_created_at_1__id_1
    return windows.time_page(db.inbox, [scope], "created_at", True, limit, cursor)


def count_unread(db, user_id):
    """(index user_id_1_read_at_1_created_at_1__id_1: reads the unread ones only)"""
    return db.inbox.count_documents({"user_id": user_id, "read_at": None})


def mark_read(db, user_id, notification_id, now):
    found = update_and_fetch(db.inbox, {"_id": notification_id, "user_id": user_id, "read_at": None},
                             {"$set": {"read_at": now}})
    return found or db.inbox.find_one({"_id": notification_id, "user_id": user_id})


def mark_all_read(db, user_id, now):
    return db.inbox.update_many({"user_id": user_id, "read_at": None}, {"$set": {"read_at": now}}).modified_count


def find_preferences(db, user_id):
    return db.preferences.find_one({"_id": user_id})


def save_preferences(db, user_id, values, version, *events):
    """Replace a user's preferences when the stored version is ``version``; None when stale."""
    now = utcnow()
    update = pending_update(changed(values, now), *events)
    if version is None:
        return update_and_fetch(db.preferences, {"_id": user_id}, update, HIDDEN, upsert=True)
    if version == 0:
        try:
            document = dict(values, _id=user_id, updated_at=now, version=1)
            db.preferences.insert_one(pending_insert(document, *events))
            return document
        except DuplicateKeyError:
            return None
    return update_and_fetch(db.preferences, {"_id": user_id, "version": version}, update, HIDDEN)


# work items: emails and deliveries

def due_items(collection, now, limit):
    """Up to ``limit`` due pending items (their ids and times), the longest due first: windows of
    index status_1_next_attempt_at_1 (``windows.due``: a backlog is not read whole for each batch).
    Each is to be claimed (``claim_items``) before the next batch is read."""
    return windows.due(collection, {"status": "pending"}, "next_attempt_at", now, limit, {"next_attempt_at": 1})


def claim_items(collection, candidates, now, lease_seconds):
    """Those of ``candidates`` still due that this worker wins, each taken for ``lease_seconds``
    with its ``claim`` token, in one write (``claim_many``): the lease moves ``next_attempt_at``
    past ``now``, so of parallel claimers one only wins an item."""
    due = {"status": "pending", "next_attempt_at": {"$lte": now}}
    lease = {"next_attempt_at": now + datetime.timedelta(seconds=lease_seconds)}
    return claim_many(collection, candidates, due, lease, outbox.HIDDEN)


def claim_due(collection, now, lease_seconds, limit):
    """Take up to ``limit`` due pending items for ``lease_seconds`` each (``due_items`` then
    ``claim_items``); the items taken, the longest due first."""
    return claim_items(collection, due_items(collection, now, limit), now, lease_seconds)


def finish_attempt(collection, item, update, *events):
    """Record an attempt on ``item`` if this worker still holds its claim; the item after, or None."""
    return update_and_fetch(collection, {"_id": item["_id"], "claim": item["claim"]}, pending_update(update, *events),
                            HIDDEN)


def sweep_sent_emails(db, now):
    """Delete the e-mails sent more than SENT_EMAIL_DAYS ago (index sent_at); how many."""
    return sweep(db.emails, "sent_at", now - datetime.timedelta(days=SENT_EMAIL_DAYS))


def list_failed_emails(db, sites, limit, cursor):
    """The e-mails that failed every retry, of ``sites`` (None: all), newest failure first."""
    if sites is None:
        scopes = [{"status": "failed"}]  # index status_1_failed_at_1__id_1
    else:
        # index status_1_site_id_1_failed_at_1__id_1, one query per site
        scopes = [{"status": "failed", "site_id": site_id} for site_id in sorted(sites)]
    return windows.time_page(db.emails, scopes, "failed_at", True, limit, cursor, projection=HIDDEN)


# the hooks and rules every event is checked against, kept per process

REACTORS = "reactors"  # the _id of their document in ``generations``
REACTORS_MAX_SECONDS = 60  # a change made by hand, outside this module, is seen within this long
# What is kept leaves out the fields that change with each delivery or run (and bump nothing):
# nothing that reads the kept documents uses them, and it cannot read them stale.
KEPT_HOOK = dict(HIDDEN, consecutive_exhausted=0)
KEPT_RULE = dict(HIDDEN, turns=0, last_run_at=0, next_fire_at=0)
_reactors = {}  # db.name -> (generation, kept until (time.monotonic()), hooks, {(event_type, site_id): rules})


def reactors(db):
    """``(active hooks, {(event_type, site_id): enabled rules})``, read again when the generation changed:
    one point read a call, so an event's handling makes one and passes what it got on (``kept``).

    Writers bump the generation after their write: a call that reads the new generation then reads
    the collections after the write. A call that read the old one just before a write may act on
    the old hooks and rules for that one event, as it would have had it come a moment earlier.
    """
    generation = db.generations.find_one({"_id": REACTORS}, {"_id": 0})  # index _id
    kept = _reactors.get(db.name)
    if kept and kept[0] == generation and time.monotonic() < kept[1]:
        return kept[2], kept[3]
    hooks = list(db.webhooks.find({"active": True}, KEPT_HOOK))  # index active
    rules = {}
    # index trigger.event_type_1_site_id_1: every rule with an event trigger (a small collection)
    for rule in db.automation_rules.find({"trigger.event_type": {"$gt": ""}, "enabled": True,
                                          "deleted": {"$ne": True}}, KEPT_RULE):
        rules.setdefault((rule["trigger"]["event_type"], rule.get("site_id")), []).append(rule)
    _reactors[db.name] = (generation, time.monotonic() + REACTORS_MAX_SECONDS, hooks, rules)
    return hooks, rules


def bump_reactors(db):
    """Make every process read the hooks and rules again: called after each write that changes them."""
    update = {"$inc": {"n": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}}
    try:
        db.generations.update_one({"_id": REACTORS}, update, upsert=True)
    except DuplicateKeyError:  # another process's first bump created the document at the same moment
        db.generations.update_one({"_id": REACTORS}, update, upsert=True)


# webhooks and deliveries

def insert_webhook(db, webhook, *events):
    db.webhooks.insert_one(pending_insert(webhook, *events))
    bump_reactors(db)


def find_webhook(db, webhook_id):
    return db.webhooks.find_one({"_id": webhook_id}, HIDDEN)


def list_webhooks(db, sites, limit, cursor):
    """The live hooks of ``sites`` (None: all), newest first; a deleted hook (few) is dropped from its window."""
    scopes = windows.site_scopes(sites)  # index created_at_1__id_1, or site_id_1_created_at_1__id_1
    return windows.time_page(db.webhooks, scopes, "created_at", True, limit, cursor, projection=HIDDEN,
                             keep=lambda hook: hook.get("deleted") is not True)


def update_webhook(db, webhook_id, version, changes, *events):
    """Apply ``changes`` to a live hook stored at ``version``; the hook after, or None (index _id)."""
    update = pending_update(changed(changes), *events)
    found = update_and_fetch(db.webhooks, {"_id": webhook_id, "version": version, "deleted": {"$ne": True}},
                             update, HIDDEN)
    if found is not None:
        bump_reactors(db)
    return found


def count_site_webhooks(db, site_id):
    """The live hooks of one site (a scan of a small collection: hooks number in the tens)."""
    return db.webhooks.count_documents({"site_id": site_id, "deleted": {"$ne": True}})


def active_webhooks(db, kept=None):
    """The active hooks (``kept``, else ``reactors``), without ``consecutive_exhausted``: new dicts
    whose lists (``event_types``) are shared with the cache and must not be changed."""
    return [dict(hook) for hook in (kept or reactors(db))[0]]


def delete_webhook(db, webhook_id, *events):
    """Turn the hook into a deleted record (its events still to publish) and cancel its pending work;
    the deleted hook, or None when it was deleted already."""
    found = update_and_fetch(
        db.webhooks, {"_id": webhook_id, "deleted": {"$ne": True}},
        pending_update({"$set": {"deleted": True, "active": False, "updated_at": utcnow()},
                        "$unset": {"secret": "", "sealed_secret": ""}}, *events), HIDDEN)
    if found is not None:
        bump_reactors(db)
    cancel_deliveries(db, webhook_id, "webhook deleted")
    return found


def seal_secret(db, webhook_id, sealed):
    """Replace a hook's plaintext secret (stored before secrets were encrypted) by its sealed form."""
    if db.webhooks.update_one({"_id": webhook_id, "secret": {"$exists": True}},
                              {"$set": {"sealed_secret": sealed}, "$unset": {"secret": ""}}).modified_count:
        bump_reactors(db)


def cancel_deliveries(db, webhook_id, reason):
    db.deliveries.update_many({"webhook_id": webhook_id, "status": "pending"},
                              {"$set": {"status": "cancelled", "error": reason, "completed_at": utcnow()}})


def count_exhausted(db, webhook_id, exhausted):
    """Count one more exhausted delivery of a hook (reset by a success); the hook after.

    The ``$inc`` is atomic; the read after it may already hold another replica's increment or
    reset, never an older value. That is enough: the count only decides whether to try
    ``disable_webhook``, whose own condition (active, count at the threshold) lets one replica
    only disable the hook, and a reset read here means a success came after the failures. The
    count is not part of the kept hooks (``KEPT_HOOK``): no bump.
    """
    update = {"$inc": {"consecutive_exhausted": 1}} if exhausted else {"$set": {"consecutive_exhausted": 0}}
    return update_and_fetch(db.webhooks, {"_id": webhook_id}, update, HIDDEN)


def disable_webhook(db, webhook_id, threshold, *events):
    """Disable an active hook at ``threshold`` consecutive exhausted deliveries; the hook, or None if
    it was not (another replica did it first, or a success reset the count)."""
    found = update_and_fetch(
        db.webhooks, {"_id": webhook_id, "active": True, "consecutive_exhausted": {"$gte": threshold}},
        pending_update({"$set": {"active": False, "disabled_at": utcnow(), "updated_at": utcnow()}}, *events),
        HIDDEN)
    if found is not None:
        bump_reactors(db)
    return found


def find_delivery(db, delivery_id):
    return db.deliveries.find_one({"_id": delivery_id}, HIDDEN)


def list_deliveries(db, webhook_id, status, limit, cursor):
    """A hook's deliveries (of one ``status`` if given), newest first."""
    if status:
        scope = {"webhook_id": webhook_id, "status": status}  # index webhook_id_1_status_1_created_at_1__id_1
    else:
        scope = {"webhook_id": webhook_id}  # index webhook_id_1_created_at_1__id_1
    return windows.time_page(db.deliveries, [scope], "created_at", True, limit, cursor,
                             projection=dict(HIDDEN, event=0))


# erasure

def remember_erased(db, ids):
    """Keep the ids of erased records (``_id``), for events about them that arrive later."""
    insert_new(db.erased_subjects, [{"_id": i} for i in ids])  # some may be remembered already


def any_erased(db, ids):
    """Whether any of ``ids`` was erased (``_id`` index)."""
    return bool(ids) and db.erased_subjects.find_one({"_id": {"$in": list(ids)}}, {"_id": 1}) is not None


def erase_subjects(db, ids, keep_types):
    """Erase what names any of ``ids`` (``erasure.py``). Each query leads with ``subjects`` (its
    sparse multikey index) or, for failed events, one ``event.data.*`` path (its sparse index);
    failed events of ``keep_types`` (the erasures themselves) stay, to be retried."""
    named = {"subjects": {"$in": list(ids)}}
    now = utcnow()
    db.inbox.delete_many(named)
    db.automation_runs.update_many(dict(named, pending=True), {
        "$set": {"status": "skipped", "error": "The customer was erased.", "finished_at": now},
        "$unset": {"pending": "", "resume_at": ""}})
    db.automation_runs.update_many(named, {"$set": {"event_data": {}}})
    db.recipients.update_many(dict(named, status="queued"), {"$set": {"status": "skipped", "reason": "no_address"}})
    db.recipients.update_many(named, {"$set": {"name": ERASED, "legal_name": ERASED, "address": None}})
    db.emails.update_many(dict(named, status="pending"), {"$set": {"status": "cancelled", "cancelled_at": now,
                                                                    "next_attempt_at": None}})
    db.emails.update_many(named, {"$set": {"subject": ERASED, "errors": [], "last_error": None},
                                  "$unset": {"body": ""}})
    db.emails.update_many(dict(named, user_id=None), {"$set": {"to": None}})
    db.deliveries.update_many(dict(named, status="pending"), {"$set": {
        "status": "cancelled", "error": "erased", "completed_at": now, "next_attempt_at": None}})
    db.deliveries.update_many(named, {"$set": {"event.data": {}, "erased": True}})
    for path in FAILED_EVENT_IDS:
        db.failed_events.delete_many({path: {"$in": list(ids)}, "event.type": {"$nin": list(keep_types)}})


# automation rules and their runs (``automations.py``)

def insert_rule(db, rule, *events):
    db.automation_rules.insert_one(pending_insert(rule, *events))
    bump_reactors(db)


def find_rule(db, rule_id):
    found = db.automation_rules.find_one({"_id": rule_id}, HIDDEN)
    return None if found is None or found.get("deleted") else found


def list_rules(db, sites, limit, cursor):
    """The live rules of ``sites`` (None: all), newest first (index created_at_1__id_1, or
    site_id_1_created_at_1__id_1 a site at a time); a deleted rule (few) is dropped from its window."""
    return windows.time_page(db.automation_rules, windows.site_scopes(sites), "created_at", True, limit, cursor,
                             projection=HIDDEN, keep=lambda rule: rule.get("deleted") is not True)


def update_rule(db, rule_id, version, changes, *events):
    """Apply ``changes`` to a live rule stored at ``version``; the rule after, or None (index _id)."""
    update = pending_update(changed(changes), *events)
    found = update_and_fetch(db.automation_rules, {"_id": rule_id, "version": version, "deleted": {"$ne": True}},
                             update, HIDDEN)
    if found is not None:
        bump_reactors(db)
    return found


def delete_rule(db, rule_id, *events):
    db.automation_rules.update_one({"_id": rule_id}, pending_update(
        {"$set": {"deleted": True, "enabled": False, "updated_at": utcnow()}, "$unset": {"sealed_grant": ""},
         "$inc": {"version": 1}}, *events))
    bump_reactors(db)


def rules_triggered_by(db, event_type, site_id, kept=None):
    """The enabled rules an event of ``event_type`` at ``site_id`` triggers: the site's, then those of
    every site (``kept``, else ``reactors``; copies, without the fields ``KEPT_RULE`` leaves out)."""
    rules = (kept or reactors(db))[1]
    scopes = [None] if site_id is None else [site_id, None]
    return copy.deepcopy([rule for scope in scopes for rule in rules.get((event_type, scope), ())])


def rules_to_fire(db, now, limit):
    """Enabled rules with a date or schedule trigger whose ``next_fire_at`` has come (index next_fire_at)."""
    return list(db.automation_rules.find({"next_fire_at": {"$lte": now}, "enabled": True, "deleted": {"$ne": True}},
                                         HIDDEN).sort("next_fire_at", ASCENDING).limit(limit))


def move_fire_time(db, rule_id, fired, following):
    """``next_fire_at`` from ``fired`` to ``following``, unless someone moved it first (not kept: no bump)."""
    return db.automation_rules.update_one({"_id": rule_id, "next_fire_at": fired},
                                          {"$set": {"next_fire_at": following}}).modified_count == 1


def next_turn(db, rule_id, action_index):
    """The count of round-robin assignments the rule's action made before this one (not kept: no bump)."""
    field = "turns.%d" % action_index
    found = update_and_fetch(db.automation_rules, {"_id": rule_id}, {"$inc": {field: 1}}, {field: 1})
    return ((found or {}).get("turns") or {}).get(str(action_index), 1) - 1


def mark_rule_ran(db, rule_id, at):
    """The rule's ``last_run_at`` (not in the kept rules: no bump)."""
    db.automation_rules.update_one({"_id": rule_id}, {"$set": {"last_run_at": at}})


def insert_run(db, run, *events):
    """A run of a rule for one trigger, once: its id is derived from the rule, version and event."""
    return insert_ignoring_duplicate(db.automation_runs, run, *events)


def claim_due_runs(db, now, lease_seconds, limit):
    """Take up to ``limit`` pending runs whose ``resume_at`` has come, each for ``lease_seconds``
    (windows of index pending_1_resume_at_1, then one write, as ``claim_due`` does)."""
    due = {"pending": True, "resume_at": {"$lte": now}}
    candidates = windows.due(db.automation_runs, {"pending": True}, "resume_at", now, limit, {"resume_at": 1})
    lease = {"resume_at": now + datetime.timedelta(seconds=lease_seconds)}
    return claim_many(db.automation_runs, candidates, due, lease, outbox.HIDDEN)


def save_run(db, run, update, *events):
    """Record progress of ``run`` if this worker still holds its claim; the run after, or None."""
    return update_and_fetch(db.automation_runs, {"_id": run["_id"], "claim": run["claim"]},
                            pending_update(update, *events), HIDDEN)


def list_runs(db, rule_id, status, limit, cursor):
    """A rule's runs, newest first (index rule_id_1_created_at_1__id_1, or with status)."""
    scope = {"rule_id": rule_id} if status is None else {"rule_id": rule_id, "status": status}
    return windows.time_page(db.automation_runs, [scope], "created_at", True, limit, cursor, projection=HIDDEN)


def find_run(db, run_id):
    return db.automation_runs.find_one({"_id": run_id}, HIDDEN)


def sweep_runs(db, now):
    """Delete the runs finished more than RUN_DAYS ago (index finished_at); how many."""
    return sweep(db.automation_runs, "finished_at", now - datetime.timedelta(days=RUN_DAYS))


# campaigns, their recipients and the contacts' opt-outs (``campaigns.py``)

def insert_campaign(db, campaign, *events):
    db.campaigns.insert_one(pending_insert(campaign, *events))


def find_campaign(db, campaign_id):
    found = db.campaigns.find_one({"_id": campaign_id}, HIDDEN)
    return None if found is None or found.get("deleted") else found


def list_campaigns(db, sites, limit, cursor):
    """The live campaigns of ``sites`` (None: all), newest first (as ``list_rules``)."""
    return windows.time_page(db.campaigns, windows.site_scopes(sites), "created_at", True, limit, cursor,
                             projection=HIDDEN, keep=lambda campaign: campaign.get("deleted") is not True)


def update_campaign(db, campaign_id, version, changes, *events, status=None):
    """Apply ``changes`` to a live campaign at ``version`` (and ``status``, when given); after, or None."""
    match = {"_id": campaign_id, "version": version, "deleted": {"$ne": True}}
    if status:
        match["status"] = status
    return update_and_fetch(db.campaigns, match, pending_update(changed(changes), *events), HIDDEN)


def active_campaigns(db):
    """Campaigns scheduled or sending (index active, sparse: set only while so)."""
    return list(db.campaigns.find({"active": True}, HIDDEN))


def move_campaign(db, campaign, fields, *events, unset=()):
    """Set ``fields`` on a campaign still at the ``step`` read (a compare-and-swap of the sending timers)."""
    update = {"$set": dict(fields, step=campaign.get("step", 0) + 1)}
    if unset:
        update["$unset"] = {name: "" for name in unset}
    return update_and_fetch(db.campaigns, {"_id": campaign["_id"], "step": campaign.get("step", 0)},
                            pending_update(update, *events), HIDDEN)


def count_recipients(db, campaign_id, changes):
    """Add ``changes`` (``{(status, reason or None): delta}``) to a campaign's counts, in one write."""
    increments = collections.Counter()
    for (status, reason), delta in changes.items():
        increments["counts.%s" % status] += delta
        if reason:
            increments["skipped_by.%s" % reason] += delta
    increments = {field: delta for field, delta in increments.items() if delta}
    if increments:
        db.campaigns.update_one({"_id": campaign_id}, {"$inc": increments})


def recount_recipients(db, campaign_id):
    """``(counts by status, skipped by reason)`` of a campaign's recipients, counted (index
    campaign_id_1_status_1__id_1): once, when it ends, to mend what a crash between a recipient's
    write and its count left."""
    counts = {status: db.recipients.count_documents({"campaign_id": campaign_id, "status": status})
              for status in ("queued", "sent", "failed", "skipped")}
    reasons = {reason: db.recipients.count_documents({"campaign_id": campaign_id, "status": "skipped",
                                                      "reason": reason}) for reason in ("opted_out", "no_address")}
    return counts, {reason: n for reason, n in reasons.items() if n}


def insert_recipients(db, recipients):
    """Recipients (ids derived from the campaign and the contact) not stored yet; -> those that were new."""
    if not recipients:
        return []
    known = {found["_id"] for found in db.recipients.find({"_id": {"$in": [r["_id"] for r in recipients]}},
                                                          {"_id": 1})}
    new = [r for r in recipients if r["_id"] not in known]
    failed = insert_new(db.recipients, new)
    return [r for r in new if r["_id"] not in failed]


_QUEUED = windows.Order("status", False, "queued")
_send_positions = {}  # campaign id -> the last recipient this process read of it


def queued_recipients(db, campaign_id, limit):
    """Up to ``limit`` queued recipients of a campaign, in ``_id`` order from where this process's
    last batch of it ended, then (once the end is reached) from its first (index
    campaign_id_1_status_1__id_1). "Every queued recipient, sorted, the first ``limit``" is one
    range the embedded server reads whole, for each batch of a campaign; read in windows of the id
    space (``windows.id_cuts``: ids are random hex) from the last batch's end, a batch reads about
    its own rows. A recipient still queued behind that end (its batch was cut short) is read when
    the campaign's end is reached."""
    after = _send_positions.get(campaign_id)
    rows = _queued_after(db, campaign_id, after, limit)
    if after is not None and len(rows) < limit:
        rows += [row for row in _queued_after(db, campaign_id, None, limit - len(rows)) if row["_id"] <= after]
    if rows:
        _send_positions[campaign_id] = rows[-1]["_id"]
    return rows


def _queued_after(db, campaign_id, after, limit):
    start, cuts = windows.id_cuts(_QUEUED, None if after is None else ("queued", after), ["queued"])
    rows, _ = windows.read_page(db.recipients, [({"campaign_id": campaign_id}, cuts, 1)], _QUEUED, start, limit,
                                fixed=True, closed=True)  # the list ends with the last queued: no other status
    return rows


def finish_recipient(db, recipient_id, fields):
    """A queued recipient's outcome; False when it was no longer queued (another worker took it)."""
    return db.recipients.update_one({"_id": recipient_id, "status": "queued"}, {"$set": fields}).modified_count == 1


def fail_sent_recipient(db, recipient_id, error):
    """A text marked sent before it went, which the provider then refused."""
    db.recipients.update_one({"_id": recipient_id, "status": "sent"}, {"$set": {"status": "failed", "error": error}})


def find_recipient(db, recipient_id):
    return db.recipients.find_one({"_id": recipient_id})


def list_recipients(db, campaign_id, status, limit, cursor):
    """A campaign's recipients by ``_id`` (index campaign_id_1__id_1, or with status)."""
    query = {"campaign_id": campaign_id} if status is None else {"campaign_id": campaign_id, "status": status}
    return paging.uncounted_page(db.recipients, query, "_id", False, limit, cursor)


def opted_out(db, contact_id, address_key):
    """Whether the contact, or anyone at that address, asked to receive no more campaigns."""
    if contact_id and db.opt_outs.find_one({"_id": contact_id}, {"_id": 1}):
        return True
    return bool(address_key) and db.opt_outs.find_one({"address_keys": address_key}, {"_id": 1}) is not None


def save_opt_out(db, contact_id, address_key, fields, *events):
    """Keep a contact's opt-out (once; a later one adds its address)."""
    update = {"$setOnInsert": fields}
    if address_key:
        update["$addToSet"] = {"address_keys": address_key}
    db.opt_outs.update_one({"_id": contact_id}, pending_update(update, *events), upsert=True)


# report subscriptions (``report_subscriptions.py``)

def insert_subscription(db, subscription, *events):
    db.report_subscriptions.insert_one(pending_insert(subscription, *events))


def find_subscription(db, subscription_id):
    return db.report_subscriptions.find_one({"_id": subscription_id}, HIDDEN)


def subscriptions_of(db, user_id):
    """A user's subscriptions (index user_id: a handful each)."""
    return list(db.report_subscriptions.find({"user_id": user_id}, HIDDEN).sort("created_at", ASCENDING))


def delete_subscription(db, subscription_id, *events):
    outbox.record_events(db, *events)
    db.report_subscriptions.delete_one({"_id": subscription_id})


def subscriptions_due(db, now, limit):
    """Subscriptions whose ``next_send_at`` has come (index next_send_at)."""
    return list(db.report_subscriptions.find({"next_send_at": {"$lte": now}}, HIDDEN).sort(
        "next_send_at", ASCENDING).limit(limit))


def move_subscription(db, subscription, following, sent_at, error):
    """``next_send_at`` on to ``following`` unless someone moved it first; the outcome kept."""
    return db.report_subscriptions.update_one(
        {"_id": subscription["_id"], "next_send_at": subscription["next_send_at"]},
        {"$set": {"next_send_at": following, "last_sent_at": None if error else sent_at, "error": error}}
    ).modified_count == 1


# the automation and campaign reports (``automation_reports.py``)

def rules_of_sites(db, sites):
    """The live rules of ``sites`` (None: all; index site_id_1_created_at_1__id_1 a site at a time)."""
    scopes = [{}] if sites is None else [{"site_id": site_id} for site_id in sorted(sites)]
    return [rule for scope in scopes for rule in db.automation_rules.find(scope, {"name": 1, "site_id": 1,
                                                                                   "enabled": 1, "deleted": 1})
            if not rule.get("deleted")]


def runs_between(db, rule_id, since, until):
    """The statuses of a rule's runs started between ``since`` and ``until`` (index rule_id_1_created_at_1__id_1)."""
    return db.automation_runs.find({"rule_id": rule_id, "created_at": {"$gte": since, "$lte": until}},
                                   {"status": 1})


def campaigns_of_sites(db, sites):
    """The live campaigns of ``sites`` (None: all; index site_id_1_created_at_1__id_1 a site at a time)."""
    scopes = [{}] if sites is None else [{"site_id": site_id} for site_id in sorted(sites)]
    return [campaign for scope in scopes for campaign in db.campaigns.find(scope, HIDDEN)
            if not campaign.get("deleted")]
