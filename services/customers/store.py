"""The only module that touches the customers service's collections.

customers, and one collection per part of a customer (contacts, orders, payments,
service_records, interactions, opportunities, followups), views, settings, tier_history.
Customers and parts are soft-deleted (``deleted_at``), so a delete and its events are one write.
"""
import logging
import re

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError, ExecutionTimeout, PyMongoError

from services.common import config, paging, windows
from services.common.mongo import at_version, changed, claim, drop_index, save_versioned, update_and_fetch
from services.customers import customer_record, identifiers, listing
from services.common.errors import Conflict
from services.common.clock import utcnow
from services.common.outbox import HIDDEN, pending_insert, pending_update, record_events

PARTS = ("contacts", "orders", "payments", "service_records", "interactions", "opportunities", "followups")
# The field each part's list is sorted by, newest first: a time, or an ISO date (text).
PART_SORTS = {"contacts": "created_at", "orders": "order_date", "payments": "payment_date",
              "service_records": "service_date", "interactions": "occurred_at", "opportunities": "created_at",
              "followups": "due_date"}
TEXT_DATES = ("order_date", "payment_date", "service_date", "due_date")
OUTBOX_COLLECTIONS = ("customers",) + PARTS + ("views", "imports", "settings", "import_mappings", "targets")
log = logging.getLogger(__name__)
# Fields the list once filtered and sorted by through an index ``(field, _id)`` each; the window
# indexes (``window_index``) serve them now, and every index costs each write.
LIST_FIELDS_BEFORE_WINDOWS = ("tier.level", "tags", "industry", "region_keys", "lifecycle_stage", "churn_risk.level",
                              "legal_name", "updated_at", "next_followup_date", "tier_rank", "annual_revenue",
                              "completeness", "last_order_date")


# A search text's holders in one site (``holding``).
TEXT_INDEX = [("site_id", ASCENDING), ("deleted_at", ASCENDING), ("all_keys", ASCENDING)]
# The indexes of the key prefixes a search read before it read ``all_keys`` (``customer_record.RETIRED_KEYS``):
# of every site, then of one site. Each held about 70 entries a customer, written by every write of it.
RETIRED_TEXT_INDEXES = ([("key_prefixes", ASCENDING)],
                        [("site_id", ASCENDING), ("deleted_at", ASCENDING), ("key_prefixes", ASCENDING)])


def ensure_indexes(db):
    customers = db.customers
    customers.create_index(TEXT_INDEX)
    for index in RETIRED_TEXT_INDEXES:
        drop_index(customers, index)
    # Every point look-up by a key field (``listing.MATCHED_BY``): duplicates, import links, a
    # user's customers, a parent's children.
    customers.create_index("match_keys")
    for index in FOLDED_INDEXES:
        drop_index(customers, index)
    customers.create_index([("deleted_at", ASCENDING), ("_id", ASCENDING)])
    customers.create_index(window_index(listing.REVIEWED))
    drop_index(customers, [(listing.REVIEWED, ASCENDING), ("_id", ASCENDING)])
    for field in LIST_FIELDS_BEFORE_WINDOWS:
        drop_index(customers, [(field, ASCENDING), ("_id", ASCENDING)])
    for field in listing.SORTS:
        customers.create_index(window_index(field))
        if field not in listing.KEYED_SORTS:
            drop_index(customers, window_index(field, keyed=True))
    drop_index(customers, window_index("legal_name", keyed=True))  # names sort by ``name_sort`` now
    db.list_counts.create_index([("key", ASCENDING), ("site_id", ASCENDING)])
    for part in PARTS:
        db[part].create_index([("customer_id", ASCENDING), ("deleted_at", ASCENDING), (PART_SORTS[part], ASCENDING),
                               ("_id", ASCENDING)])
        drop_index(db[part], [("customer_id", ASCENDING), ("created_at", DESCENDING)])
        db[part].create_index([("site_id", ASCENDING), ("created_at", DESCENDING)])
    db.orders.create_index([("site_id", ASCENDING), ("order_date", DESCENDING)])
    db.orders.create_index("contract_end_date", sparse=True)
    db.followups.create_index([("status", ASCENDING), ("due_date", ASCENDING)])
    db.contacts.create_index("birthday", sparse=True)
    db.views.create_index([("site_id", ASCENDING), ("owner_id", ASCENDING)])
    db.views.create_index("owner_id")
    db.tier_history.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
    db.tier_history.create_index([("site_id", ASCENDING), ("at", ASCENDING)])
    db.feedback_scores.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
    db.feedback_scores.create_index("site_id")
    db.followups.create_index([("assignee_id", ASCENDING), ("_id", ASCENDING)])
    customers.create_index("due_keys")  # the upkeep timers' (``listing.due_keys``)
    db.imports.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
    db.imports.create_index([("status", ASCENDING), ("finished_at", ASCENDING)])
    db.import_chunks.create_index([("import_id", ASCENDING), ("seq", ASCENDING)])
    db.import_errors.create_index([("import_id", ASCENDING), ("row", ASCENDING)])
    db.import_mappings.create_index([("site_id", ASCENDING), ("entity", ASCENDING), ("name", ASCENDING)], unique=True)
    db.import_dry_keys.create_index([("import_id", ASCENDING), ("field", ASCENDING), ("value", ASCENDING)])
    db.merges.create_index([("status", ASCENDING), ("lease_until", ASCENDING)])
    db.merges.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    db.merges.create_index([("site_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    drop_index(db.merges, [("created_at", DESCENDING)])
    drop_index(db.merges, [("site_id", ASCENDING), ("created_at", DESCENDING)])
    db.merges.create_index("survivor_id")
    db.merges.create_index("merged_ids")
    db.merges.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
    db.merge_images.create_index([("merge_id", ASCENDING), ("collection", ASCENDING)])
    ensure_performance_indexes(db)


def queue_events(db, *events):
    record_events(db, *events)


# customers

def insert_customer(db, customer, *events):
    customer = _keyed(customer)
    try:
        db.customers.insert_one(pending_insert(customer, *events))
    except DuplicateKeyError:
        raise Conflict("This customer already exists.")
    _count(db, listing.counted_in(customer))


def find_customer(db, customer_id, include_deleted=False):
    """The customer ``customer_id`` (a deleted one only with ``include_deleted``): read by ``_id``
    alone, its deletion checked here (a second clause makes the embedded server's point read three
    times dearer)."""
    return _live(db.customers.find_one({"_id": customer_id}, HIDDEN), include_deleted)


def _live(document, include_deleted=False):
    """``document`` unless it is deleted (and ``include_deleted`` is false)."""
    if document is None or (document.get("deleted_at") is not None and not include_deleted):
        return None
    return document


def find_customers(db, query, projection=None, limit=0):
    return list(db.customers.find(query, projection or HIDDEN).limit(limit))


def update_customer(db, customer_id, version, changes, *events, unset=None, include_deleted=False):
    """Apply ``changes`` if the stored version is ``version`` (None: any); the new document or None."""
    match = {"_id": customer_id}
    if not include_deleted:
        match["deleted_at"] = None
    if version is not None:
        match["version"] = version
    update = changed(changes)
    if unset:
        update["$unset"] = {field: "" for field in unset}
    return _keyed_update_and_fetch(db, match, pending_update(update, *events))


def customers_owned_outside(db, user_id, site_ids, limit):
    """Customers (soft-deleted ones too, erased ones not) owned by ``user_id`` at a site not in
    ``site_ids`` (index ``match_keys``)."""
    query = {"match_keys": matching("owner_id", [user_id]), "site_id": {"$nin": list(site_ids)},
             "erased": {"$ne": True}}
    return list(db.customers.find(query, HIDDEN).limit(limit))


def set_customer_fields(db, customer_id, changes, *events):
    """A derived-field update (tier, keys, dates) that does not bump the record's version."""
    _keyed_update(db, {"_id": customer_id}, pending_update({"$set": changes}, *events))


# A search's filters (as the list names them; a region and an industry asked by their keys) and
# the fields they ask, in the order its query names them: the most selective first (``search_filter``).
SEARCHED_BY = (("region", "region_keys"), ("industry", "filter_keys"), ("owner_id", "owner_id"),
               ("parent_id", "parent_id"), ("tag", "tags"), ("lifecycle", "lifecycle_stage"),
               ("churn_risk", "churn_risk.level"), ("tier", "tier.level"), ("status", "status"),
               ("site_id", "site_id"))


def search_filter(sites, asked, text=None, contacts=False):
    """The one flat query of a list of deleted customers (``search_customers``) of ``sites`` (None:
    every site): their deletion's range first (index ``(deleted_at, _id)``: they are few beside a
    site's live ones; erased ones left out); the filters ``asked`` (``{name: value}`` of
    ``SEARCHED_BY``) in that order; the site; and last the whole prefix ``text`` checked on the
    names and codes (and on the contacts' keys too with ``contacts``).

    No ``$and`` / ``$or`` at the top (the embedded server would scan the collection), and never a
    ``$regex`` first: the first clause an index serves picks the index. A site asked that is not
    one of ``sites`` leaves an empty ``$in``, which reads nothing."""
    query = {"deleted_at": {"$gte": windows.TIME_FLOOR}}
    query.update((field, asked[name]) for name, field in SEARCHED_BY if name in asked)
    if sites is not None and "site_id" not in query:
        query["site_id"] = {"$in": list(sites)}
    elif sites is not None:
        if not isinstance(query["site_id"], str):
            raise TypeError("a site the query names is one site's id")
        if query["site_id"] not in sites:
            query["site_id"] = {"$in": []}
    query["erased"] = {"$ne": True}
    if text is not None:
        query["all_keys" if contacts else "search_keys"] = {"$regex": "^" + re.escape(text)}
    return query


def holding(site_id, lookup):
    """The live customers of ``site_id`` among those ``lookup`` (``identifiers.prefix_lookup``: the
    range of keys starting with a text) finds (index ``TEXT_INDEX``: the site's and deletion's
    equalities, then the range of ``all_keys``)."""
    return {"site_id": site_id, "deleted_at": None, "all_keys": lookup}


def search_customers(db, query, sort_field, descending, limit, cursor):
    return paging.page(db.customers, query, sort_field, descending, limit, cursor, HIDDEN,
                       time_limit=config.get_float("SEARCH_TIME_LIMIT"))


def search_customers_uncounted(db, query, sort_field, descending, limit, cursor, text):
    """``search_customers`` of a search ``text`` without the count (``paging.uncounted_page``); its
    cursors are made for the text."""
    return paging.uncounted_page(db.customers, query, sort_field, descending, limit, cursor, HIDDEN,
                                 time_limit=config.get_float("SEARCH_TIME_LIMIT"), bound_to=text)


# the customer list: windows, sample and counts (``listing``)

KEYED_TRIES = 20
# Indexes the look-up, upkeep and window indexes serve now (every index costs each write of a customer).
FOLDED_INDEXES = ([[(field, ASCENDING)] for field in ("tax_id_key", "name_key", "phone_keys", "email_keys")]
                  + [[("site_id", ASCENDING), ("external_code", ASCENDING)],
                     [("site_id", ASCENDING), ("created_at", DESCENDING)]]
                  + [[(field, ASCENDING), ("_id", ASCENDING)] for field in ("owner_id", "parent_id", "purge_after")]
                  + [[("followup_notice_pending", ASCENDING), ("next_followup_date", ASCENDING)],
                     [("tier.override.expires_at", ASCENDING)], [("moving_parts", ASCENDING)]])



def window_index(field, keyed=None):
    """The index a window of the list sorted by ``field`` is read from: with the filter keys for
    ``listing.KEYED_SORTS`` (or as ``keyed`` says)."""
    keyed = field in listing.KEYED_SORTS if keyed is None else keyed
    return [("site_id", ASCENDING), ("deleted_at", ASCENDING)] + ([("filter_keys", ASCENDING)] if keyed else []) + [
        (field, ASCENDING), ("_id", ASCENDING)]


def _keyed_update(db, match, update):
    """``update_one`` of one customer (``match`` names ``_id``) keeping its ``filter_keys`` and the
    list counts right; True when it matched.

    The keys are worked out from the customer as read and ``update``; the write is conditional on
    the site, deletion and keys read, so a writer that changed them meanwhile makes this one read
    again. The counts follow in a second write (a recount mends them after a crash in between).
    """
    match = dict({"_id": match["_id"]}, **match)
    for _ in range(KEYED_TRIES):
        before = db.customers.find_one({"_id": match["_id"]}, {field: 1 for field in listing.KEYED_FIELDS})
        if before is None or any(field in match and match[field] != before.get(field)
                                  for field in listing.COUNTED_BY if not isinstance(match.get(field), dict)):
            return False
        after = _keyed(listing.updated(before, update))
        keyed = {operator: changes for operator, changes in update.items() if operator != "$unset"}
        keyed["$set"] = dict(update.get("$set") or {}, **{field: after[field] for field in KEY_ARRAYS})
        unset = {field: "" for field in update.get("$unset") or {} if field not in KEY_ARRAYS}
        unset.update((field, "") for field in customer_record.RETIRED_KEYS if field not in keyed["$set"])
        if unset:
            keyed["$unset"] = unset
        guarded = dict(match, **{field: _also(match.get(field), before.get(field))
                                 for field in listing.COUNTED_BY + KEY_ARRAYS[1:]})
        if db.customers.update_one(guarded, keyed).matched_count:
            _count(db, listing.count_changes(before, after))
            return True
        if db.customers.find_one(match, {"_id": 1}) is None:
            return False
    raise RuntimeError("customer %s changed under %d writes in a row" % (match["_id"], KEYED_TRIES))


def _also(condition, value):
    """``condition`` on a field (a value, an operator document or None) and equal to ``value``."""
    if isinstance(condition, dict):
        return dict(condition, **{"$eq": value}) if "$eq" not in condition else condition
    return value


KEY_ARRAYS = ("filter_keys", "match_keys", "due_keys")


def _keyed(customer):
    """``customer`` with the key arrays its fields make (``listing.filter_keys``, ``match_keys``, ``due_keys``)."""
    return dict(customer, filter_keys=listing.filter_keys(customer), match_keys=listing.match_keys(customer),
                due_keys=listing.due_keys(customer))


def _keyed_update_and_fetch(db, match, update):
    """``_keyed_update`` then the customer as it is now (None when it did not match)."""
    if not _keyed_update(db, match, update):
        return None
    return db.customers.find_one({"_id": match["_id"]}, HIDDEN)


def _count(db, changes):
    """Apply ``{(site_id, key): delta}`` to the list counts. The customer's own write is done by
    then: if this one fails, the counts are off until a recount, which it asks for."""
    if not changes:
        return
    try:
        db.list_counts.bulk_write([UpdateOne({"_id": "%s\x1f%s" % (site_id, key)},
                                             {"$inc": {"n": delta}, "$set": {"site_id": site_id, "key": key}},
                                             upsert=True)
                                   for (site_id, key), delta in changes.items()], ordered=False)
    except PyMongoError as exc:
        log.warning("list counts not kept (%s): a recount is asked for", type(exc).__name__)
        try:
            request_run(db, "recount")
        except PyMongoError:
            log.warning("no recount could be asked for: the daily one mends the counts")


def list_counts(db, site_ids, key):
    """``{site_id: customers with key}`` of the live customers of ``site_ids`` (one ``_id`` lookup)."""
    ids = ["%s\x1f%s" % (site_id, key) for site_id in site_ids]
    return {found["site_id"]: found["n"] for found in db.list_counts.find({"_id": {"$in": ids}})}


def counted_sites(db):
    """Sites with live customers, as the counts know them (index ``(key, site_id)``)."""
    return {found["site_id"] for found in db.list_counts.find({"key": listing.ALL, "n": {"$gt": 0}},
                                                              {"site_id": 1})}


def recount(db, batch=500):
    """Count every live customer again, ``_id`` range by range, and replace the counts (their
    keys mended on the way); for a database that had none, or after a failure between writes."""
    counts = {}
    for low, high in id_ranges(_customers_estimate(db) / batch):
        for customer in db.customers.find(_id_range({"deleted_at": None}, low, high),
                                          {field: 1 for field in listing.KEYED_FIELDS}):
            keyed = _mend_keys(db, customer)
            for place in listing.counted_in(keyed):
                counts[place] = counts.get(place, 0) + 1
    if counts:
        db.list_counts.bulk_write([UpdateOne({"_id": "%s\x1f%s" % place},
                                             {"$set": {"n": n, "site_id": place[0], "key": place[1]}}, upsert=True)
                                   for place, n in counts.items()], ordered=False)
    db.list_counts.delete_many({"_id": {"$nin": ["%s\x1f%s" % place for place in counts]}})


def mend_keys(db, batch=500):
    """Make the key arrays of every customer, deleted ones too, what its fields make (``_id``
    range by range): for customers stored before a kind of key."""
    for low, high in id_ranges(_customers_estimate(db) / batch):
        for customer in db.customers.find(_id_range({}, low, high), {field: 1 for field in listing.KEYED_FIELDS}):
            _mend_keys(db, customer)


def _mend_keys(db, customer):
    """``customer`` (as read, ``listing.KEYED_FIELDS``) with its key arrays, written where they differ."""
    keyed = _keyed(customer)
    if any(keyed[field] != customer.get(field) for field in KEY_ARRAYS):
        _keyed_update(db, {"_id": customer["_id"]}, {})
    return keyed


def _customers_estimate(db):
    return sum(list_counts(db, counted_sites(db), listing.ALL).values()) or db.customers.estimated_document_count()


def _id_range(query, low, high):
    bounds = dict(([("$gte", low)] if low else []) + ([("$lt", high)] if high else []))
    return dict(query, _id=bounds) if bounds else query


def sample_customers(db, share):
    """The live customers whose ids fall in ``listing.sample_ranges(share)``: their site, keys, sort
    fields, duplicate keys and search keys (index ``(deleted_at, _id)``, one bounded range each)."""
    projection = dict({field: 1 for field in listing.SAMPLED_FIELDS + DUPLICATE_KEYS + listing.TEXT_FIELDS},
                      site_id=1, filter_keys=1)
    rows = []
    for low, high in listing.sample_ranges(share):
        rows += db.customers.find(_id_range({"deleted_at": None}, low, high), projection)
    return rows


def live_customer_count(db):
    return sum(list_counts(db, counted_sites(db), listing.ALL).values())


def window_customers(db, scopes, order, start, need, keep=None, closed=False, sizes=None, checks=()):
    """Up to ``need`` customers after ``start`` in ``order`` over ``scopes`` (``windows.read_page``;
    ``closed``: each scope ends at its last cut; ``sizes``: how many customers each scope's key has,
    by the kept counts). Windows checked row by row by ``keep`` (which
    reads only ``filter_keys`` and the fields ``checks``) are read whole: their rows come with only
    what ordering and ``keep`` need (``_checked``), and the page's customers are read after."""
    budget = paging.Budget(config.get_float("SEARCH_TIME_LIMIT"))
    try:
        rows, _ = windows.read_page(db.customers, scopes, order, start, need, _checked(order, keep, checks), keep,
                                    budget.bound, closed=closed, sizes=sizes)
        return rows if keep is None else customers_in_order(db, rows)
    except ExecutionTimeout:
        raise paging.too_broad()


def gather_customers(db, equalities, order, start, need, keep=None, checks=()):
    """Up to ``need`` customers after ``start`` in ``order`` of all those ``equalities`` match (site,
    deletion and one filter key: a prefix of a keyed window index; or a search text's holders in a
    site, ``holding``), sorted here: for a filter or a text few customers of the site have
    (``listing.gathers``), on a sort whose index has no keys, or any sort for a text. Only what
    ordering and ``keep`` need is read of each (``_checked``); the page's customers after."""
    budget = paging.Budget(config.get_float("SEARCH_TIME_LIMIT"))
    after = order.pair_key(start) if start is not None else None
    try:
        rows = [row for row in budget.bound(db.customers.find(equalities, _checked(order, True, checks)))
                if (keep is None or keep(row)) and (after is None or after < order.key(row))]
        return customers_in_order(db, sorted(rows, key=order.key)[:need])
    except ExecutionTimeout:
        raise paging.too_broad()


def _checked(order, keep, checks=()):
    """The projection of rows read to be checked and ordered, not shown (the sort field, the filter
    keys and the fields ``checks``): the embedded server copies each document it returns whole to
    apply an exclusion projection, and sends it whole, which was most of what a window of many rows
    cost. Rows read to be shown get every shown field."""
    return dict({order.field: 1, "filter_keys": 1}, **{field: 1 for field in checks}) if keep else HIDDEN


# The embedded server checks each candidate of an ``$in`` against the whole list: n values cost n²
# (500 ids in one query 213 ms, in five of 100 66 ms). Reads of many ids ask IN_CHUNK at a time.
IN_CHUNK = 100


def in_chunks(values):
    """``values`` (repeats dropped) as lists of up to IN_CHUNK, each one query's ``$in``."""
    values = list(dict.fromkeys(values))
    return [values[start:start + IN_CHUNK] for start in range(0, len(values), IN_CHUNK)]


def customers_in_order(db, rows):
    """The customers of ``rows`` (documents with their ``_id``), in that order: an ``$in`` of ids
    (``in_chunks``)."""
    found = {customer["_id"]: customer for ids in in_chunks(row["_id"] for row in rows)
             for customer in db.customers.find({"_id": {"$in": ids}}, HIDDEN)}
    return [found[row["_id"]] for row in rows if row["_id"] in found]


def iterate_customers(db, query, sort=("_id", ASCENDING), batch_size=500):
    return db.customers.find(query, HIDDEN).sort([sort]).batch_size(batch_size)


def customers_lacking(db, field):
    """Customers where ``field`` is missing or null."""
    return db.customers.find({field: None}, HIDDEN).batch_size(500)


def any_customer(db):
    """Whether any customer is stored, deleted ones too (the ``_id`` order's first)."""
    return db.customers.find_one({}, {"_id": 1}) is not None


def has_marker(db, name):
    return db.runs.count_documents({"_id": name}) > 0


def set_marker(db, name):
    db.runs.update_one({"_id": name}, {"$set": {"at": utcnow()}}, upsert=True)


def count_customers(db, query):
    return db.customers.count_documents(query)


# parts

def insert_part(db, part, document, *events):
    db[part].insert_one(pending_insert(document, *events))


def find_part(db, part, part_id):
    return _live(db[part].find_one({"_id": part_id}, HIDDEN))


def list_parts(db, part, customer_id, limit, cursor):
    """A customer's live ``part`` records, newest first by ``PART_SORTS[part]`` (``windows.time_page``)."""
    field = PART_SORTS[part]
    scope = {"customer_id": customer_id, "deleted_at": None}  # index customer_id_1_deleted_at_1_<sort>_1__id_1
    return windows.time_page(db[part], [scope], field, True, limit, cursor, text=field in TEXT_DATES,
                             projection=HIDDEN)


def all_parts(db, part, query, sort=None, limit=0):
    cursor = db[part].find(dict(query, deleted_at=None), HIDDEN)
    if sort:
        cursor = cursor.sort(sort)
    return list(cursor.limit(limit))


def customers_contacts(db, customer_ids):
    """The live contacts of ``customer_ids``, each customer's primary ones first, then oldest first
    (index ``(customer_id, deleted_at, created_at, _id)``: each customer's contacts; ``in_chunks``)."""
    return [contact for ids in in_chunks(customer_ids) for contact in all_parts(
        db, "contacts", {"customer_id": {"$in": ids}}, sort=[("primary", DESCENDING), ("created_at", ASCENDING)])]


def customers_parts(db, part, customer_ids):
    """The live ``part`` records of ``customer_ids``, each customer's oldest first (index ``(customer_id,
    deleted_at, <the part's sort>, _id)``: each customer's records; ``in_chunks``), or none for none."""
    return [record for ids in in_chunks(customer_ids) for record in all_parts(
        db, part, {"customer_id": {"$in": ids}}, sort=[("created_at", ASCENDING), ("_id", ASCENDING)])]


def opportunities_at(db, customer_id, stages, limit):
    """Up to ``limit`` live opportunities of a customer at one of ``stages``, soonest expected
    close first (index ``(customer_id, deleted_at, created_at, _id)``: the customer's)."""
    return all_parts(db, "opportunities", {"customer_id": customer_id, "stage": {"$in": list(stages)}},
                     sort=[("expected_close_date", ASCENDING)], limit=limit)


def open_followups_assigned_outside(db, user_id, site_ids, limit):
    """Open follow-up tasks (not deleted) assigned to ``user_id`` at a site not in ``site_ids``
    (index ``(assignee_id, _id)``)."""
    query = {"assignee_id": user_id, "status": "open", "deleted_at": None, "site_id": {"$nin": list(site_ids)}}
    return list(db.followups.find(query, HIDDEN).limit(limit))


def update_part(db, part, part_id, version, changes, *events):
    match = at_version(part_id, version, deleted_at=None)
    update = changed(changes)
    return update_and_fetch(db[part], match, pending_update(update, *events), HIDDEN)


# Duplicates: each reason's keys are read through the ``match_keys`` index (``listing.MATCHED_BY``),
# one clause a query, so the query reads exactly the index entries it names (``dedupe``). Deleted
# customers and other sites' are dropped by the caller: a second clause would read no fewer.
DUPLICATE_KEYS = ("tax_id_key", "name_key", "phone_keys", "email_keys")
DUPLICATE_FIELDS = dict({field: 1 for field in DUPLICATE_KEYS}, legal_name=1, site_id=1, tax_id=1, deleted_at=1,
                        contact_phone_keys=1, contact_email_keys=1)


def customers_keyed_between(db, field, low, high, budget):
    """Customers with a ``field`` key from ``low`` (inclusive) to ``high`` (exclusive; None: every
    key from ``low`` on), deleted ones too. Index ``match_keys``: a range of ``field``'s keys."""
    return _bounded(budget, db.customers.find({"match_keys": listing.match_range(field, low, high)}, DUPLICATE_FIELDS))


def customers_keyed_by(db, field, keys, budget):
    """Customers with any of ``keys`` as a ``field`` key, deleted ones too. Index ``match_keys``: an ``$in``."""
    if not keys:
        return []
    return _bounded(budget, db.customers.find({"match_keys": matching(field, sorted(keys))}, DUPLICATE_FIELDS))


def matching(field, values, site_id=None):
    """The ``match_keys`` clause of customers whose ``field`` is (or holds) one of ``values``."""
    return {"$in": listing.match_values(field, values, site_id)}


def customers_matching(db, field, values, projection, limit):
    """Customers (deleted ones too, any site) whose ``field`` is or holds one of ``values`` (index ``match_keys``)."""
    return list(db.customers.find({"match_keys": matching(field, values)}, projection).limit(limit))


def _bounded(budget, cursor):
    try:
        return list(budget.bound(cursor))
    except ExecutionTimeout:
        raise paging.too_broad()


# saved views and settings

def insert_view(db, view, *events):
    db.views.insert_one(pending_insert(view, *events))


def list_views(db, owner_id, sites):
    """The views ``owner_id`` made, and those shared in ``sites`` (None: every site), by name: two
    flat queries (indexes ``owner_id`` and ``(site_id, owner_id)``), where an ``$or`` of them would
    read the whole collection."""
    shared = {"shared": True, "deleted_at": None}
    queries = [{"owner_id": owner_id, "deleted_at": None}]
    queries += [dict({"site_id": site_id}, **shared) for site_id in sorted(sites)] if sites is not None else [shared]
    found = {view["_id"]: view for query in queries for view in db.views.find(query, HIDDEN)}
    return sorted(found.values(), key=lambda view: (view["name"], view["_id"]))


def find_view(db, view_id):
    return _live(db.views.find_one({"_id": view_id}, HIDDEN))


def delete_view(db, view_id, *events):
    db.views.update_one({"_id": view_id}, pending_update({"$set": {"deleted_at": utcnow()}}, *events))


def review_periods(db):
    """{site_id: review_days} of the sites that set their own review period."""
    return {doc["_id"]: doc["review_days"] for doc in db.settings.find({"review_days": {"$gt": 0}},
                                                                       {"review_days": 1})}


def insert_tier_history(db, entry):
    db.tier_history.insert_one(entry)


def tier_history(db, customer_id, limit=50):
    return list(db.tier_history.find({"customer_id": customer_id}).sort("at", DESCENDING).limit(limit))


# --- upkeep: tiers, lifecycle, churn, follow-ups, reports ---

def find_settings(db, site_id):
    return db.settings.find_one({"_id": site_id}, HIDDEN)


def save_settings(db, site_id, version, changes, *events):
    """Apply ``changes`` when the stored version is ``version`` (0: none stored yet); the new settings or None."""
    update = pending_update(changed(changes), *events)
    return save_versioned(db.settings, site_id, version, update, HIDDEN)


def claim_run(db, name, every_seconds, now):
    """True for the one caller that may start the periodic run ``name`` now: none ran in the last
    ``every_seconds``, or one was asked for.

    Each step is one conditional write by _id, so one caller only wins: a run asked for
    (``last_at`` None), then one due, then the first run ever (an insert; a duplicate loses).
    """
    import datetime

    started = {"$set": {"last_at": now}}
    for due in (None, {"$lt": now - datetime.timedelta(seconds=every_seconds)}):
        if db.runs.update_one({"_id": name, "last_at": due}, started).modified_count:
            return True
    try:
        db.runs.insert_one({"_id": name, "last_at": now})
    except DuplicateKeyError:
        return False
    return True


def request_run(db, name):
    db.runs.update_one({"_id": name}, {"$set": {"last_at": None}})


def order_totals(db, customer_ids, not_counted, since):
    """``[{_id: customer_id, amount, orders}]`` of the live orders of ``customer_ids`` dated after
    ``since`` (an ISO date) whose status is not one of ``not_counted`` (index ``(customer_id,
    deleted_at, order_date, _id)``: each customer's orders)."""
    return list(db.orders.aggregate([
        {"$match": {"customer_id": {"$in": list(customer_ids)}, "deleted_at": None,
                    "status": {"$nin": list(not_counted)}, "order_date": {"$gt": since}}},
        {"$group": {"_id": "$customer_id", "amount": {"$sum": "$total_amount"}, "orders": {"$sum": 1}}}]))


def counted_orders(db, customer_ids, not_counted):
    query = {"customer_id": {"$in": list(customer_ids)}, "deleted_at": None, "status": {"$nin": list(not_counted)}}
    return list(db.orders.find(query, {"customer_id": 1, "order_date": 1, "total_amount": 1}))


def save_feedback_score(db, score):
    db.feedback_scores.replace_one({"_id": score["_id"]}, score, upsert=True)


def feedback_scores(db, customer_id, since):
    return list(db.feedback_scores.find({"customer_id": customer_id, "at": {"$gte": since}}))


def set_derived_fields(db, customer, changes, *events):
    """Like ``set_customer_fields``, only if the levels and dates the change was worked out from are
    still stored; True when it was applied."""
    match = {"_id": customer["_id"], "deleted_at": None,
             "tier.level": (customer.get("tier") or {}).get("level"),
             "churn_risk.level": (customer.get("churn_risk") or {}).get("level"),
             "next_followup_date": customer.get("next_followup_date"),
             "followup_announced_date": customer.get("followup_announced_date")}
    return _keyed_update(db, match, pending_update({"$set": changes}, *events))


def iter_customer_ids(db, batch=500):
    """``(id, site_id)`` of every live customer, read one ``_id`` range of about ``batch`` at a time.

    Ids are random hex, so ranges of their first hex digits split the archive evenly; each is one
    range of the ``(deleted_at, _id)`` index. Pages with only a lower bound would make the
    embedded server read every later customer again for each page.
    """
    for low, high in id_ranges(_customers_estimate(db) / batch):
        for found in db.customers.find(_id_range({"deleted_at": None}, low, high), {"site_id": 1}):
            yield found["_id"], found["site_id"]


def customer_fields(db, fields, batch=500):
    """``_id`` and ``fields`` of every customer, deleted ones too, read one ``_id`` range of about
    ``batch`` at a time (as ``iter_customer_ids``)."""
    for low, high in id_ranges(db.customers.estimated_document_count() / batch):
        yield from db.customers.find(_id_range({}, low, high), {field: 1 for field in fields})


def id_ranges(count):
    """About ``count`` contiguous ranges covering every string, split on leading hex digits:
    ``(None, "01"), ("01", "02"), ..., ("ff", None)``."""
    digits = 0
    while 16 ** digits < count:
        digits += 1
    cuts = ["%0*x" % (digits, n) for n in range(1, 16 ** digits)] if digits else []
    return list(zip([None] + cuts, cuts + [None]))


def expired_tier_overrides(db, now_text):
    """Live customers whose tier override ended by ``now_text`` (index ``due_keys``)."""
    return [c["_id"] for c in db.customers.find({"due_keys": listing.due_by("override", now_text)}, {"_id": 1})]


def followups_to_announce(db, today):
    """Live customers with a follow-up due by ``today`` not announced yet (index ``due_keys``)."""
    return db.customers.find({"due_keys": listing.due_by("notice", today)}, HIDDEN).sort("next_followup_date",
                                                                                          ASCENDING)


def mark_followup_announced(db, customer_id, due_date, *events):
    """Record that the follow-up due on ``due_date`` was announced (with its events); 1 if this call did it."""
    update = pending_update({"$set": {"followup_notice_pending": False, "followup_announced_date": due_date}},
                            *events)
    match = {"_id": customer_id, "next_followup_date": due_date, "followup_notice_pending": True}
    return int(_keyed_update(db, match, update))


def contracts_ending(db, first, last):
    query = {"contract_end_date": {"$gte": first, "$lte": last}, "deleted_at": None, "status": {"$ne": "cancelled"}}
    return db.orders.find(query, {"customer_id": 1, "site_id": 1, "number": 1, "contract_end_date": 1,
                                  "contract_notices": 1})


def mark_contract_announced(db, order_id, keys, *events):
    """Record the ``date:threshold`` keys of an order's contract notice; 1 if this call did it."""
    update = pending_update({"$addToSet": {"contract_notices": {"$each": list(keys)}}}, *events)
    return db.orders.update_one({"_id": order_id, "contract_notices": {"$ne": keys[-1]}}, update).matched_count


def child_customers(db, parent_ids, limit=0):
    query = {"match_keys": matching("parent_id", list(parent_ids)), "deleted_at": None}  # index match_keys
    projection = {"legal_name": 1, "site_id": 1, "account_type": 1, "tier": 1, "parent_id": 1}
    return list(db.customers.find(query, projection).sort("name_sort", ASCENDING).limit(limit))


def customer_refs(db, customer_ids, chunk=1000):
    """``{_id, parent_id, site_id, legal_name}`` of the customers (deleted ones too)."""
    found = []
    for start in range(0, len(customer_ids), chunk):
        query = {"_id": {"$in": customer_ids[start:start + chunk]}}
        found.extend(db.customers.find(query, {"parent_id": 1, "site_id": 1, "legal_name": 1}))
    return found


# --- reports: each report's query leads with its sites (one site an equality), never with
# ``deleted_at: None`` before them, which would pick the ``(deleted_at, _id)`` index: every live customer.

def tier_counts(db, site_ids, levels):
    """``{level: live customers}`` of ``site_ids`` from the kept list counts (one ``_id`` look-up
    a level, not a read of every customer); a customer with no level counts as the last of ``levels``."""
    counts = {level: sum(list_counts(db, site_ids, "tier:%s" % level).values()) for level in levels}
    untiered = sum(list_counts(db, site_ids, listing.ALL).values()) - sum(counts.values())
    counts[levels[-1]] += max(untiered, 0)
    return counts


def _per_site(collection, site_ids, period, stages, rest=None):
    """The rows of a pipeline for each of ``site_ids``: its leading ``$match`` one site and the
    ``period`` (``{field: range}``), which an index ``(site_id, <field>)`` bounds (a ``$in`` of the
    sites, or another clause beside them, would read the sites' whole history); ``rest`` is
    matched after it, then ``stages``."""
    after = [{"$match": rest}] if rest else []
    return [row for site_id in site_ids
            for row in collection.aggregate([{"$match": dict({"site_id": site_id}, **period)}] + after + stages)]


def _summed(rows, key, fields):
    """``rows`` of several sites with the same ``key`` added up field by field (first seen kept)."""
    merged = {}
    for row in rows:
        found = merged.get(row[key])
        if found is None:
            merged[row[key]] = dict(row)
        else:
            for field in fields:
                found[field] += row[field]
    return list(merged.values())


def tier_moves(db, site_ids, start, end):
    """``[{_id: {from, to}, count}]`` of the tier changes of ``site_ids`` from ``start`` to before
    ``end``, most first (index ``(site_id, at)``, each site's period)."""
    rows = _per_site(db.tier_history, site_ids, {"at": {"$gte": start, "$lt": end}},
                     [{"$group": {"_id": {"from": "$old_tier", "to": "$new_tier"}, "count": {"$sum": 1}}}])
    merged = _summed([dict(row, key=(row["_id"]["from"], row["_id"]["to"])) for row in rows], "key", ("count",))
    return sorted(({"_id": row["_id"], "count": row["count"]} for row in merged),
                  key=lambda row: (-row["count"], str(row["_id"]["from"]), str(row["_id"]["to"])))


def order_sums(db, site_ids, first_day, last_day, not_counted, products):
    """The live orders of ``site_ids`` dated ``first_day`` to ``last_day`` (ISO dates, both included)
    whose status is not one of ``not_counted``, summed four ways, each rows of ``{_id, amount,
    orders}``: ``(by day, the top ``products`` by product (with ``quantity``), by customer (with
    ``site_id``), by site)``. Index ``(site_id, order_date)``: each site's period."""
    period = {"order_date": {"$gte": first_day, "$lte": last_day}}
    counted = {"status": {"$nin": list(not_counted)}, "deleted_at": None}
    sums = {"amount": {"$sum": "$total_amount"}, "orders": {"$sum": 1}}

    def summed(stages):
        return _per_site(db.orders, site_ids, period, stages, counted)

    days = _summed(summed([{"$group": dict(sums, _id="$order_date")}]), "_id", ("amount", "orders"))
    by_product = _summed(summed([
        {"$unwind": "$lines"},
        {"$group": {"_id": "$lines.product", "amount": {"$sum": "$lines.amount"},
                    "quantity": {"$sum": "$lines.quantity"}, "orders": {"$sum": 1}}}]),
        "_id", ("amount", "quantity", "orders"))
    by_customer = _summed(summed([{"$group": dict(sums, _id="$customer_id", site_id={"$first": "$site_id"})}]),
                          "_id", ("amount", "orders"))
    by_site = summed([{"$group": dict(sums, _id="$site_id")}])
    by_amount = lambda row: (-row["amount"], str(row["_id"]))  # noqa: E731
    return (days, sorted(by_product, key=by_amount)[:products], sorted(by_customer, key=by_amount),
            sorted(by_site, key=lambda row: -row["amount"]))


def opportunity_stages(db, site_ids, start, end):
    """``[{_id: stage, count, amount}]`` of the live opportunities of ``site_ids`` made from
    ``start`` to before ``end`` (index ``(site_id, created_at)``, each site's period)."""
    rows = _per_site(db.opportunities, site_ids, {"created_at": {"$gte": start, "$lt": end}},
                     [{"$group": {"_id": "$stage", "count": {"$sum": 1}, "amount": {"$sum": "$expected_amount"}}}],
                     {"deleted_at": None})
    return _summed(rows, "_id", ("count", "amount"))


def customers_at_risk(db, site_ids, levels, limit):
    """Up to ``limit`` live customers of ``site_ids`` at a churn level of ``levels``, by level, tier
    (highest first), name and id, and how many there are. One query per site, its customers with
    one of those levels' filter keys (index ``(site_id, deleted_at, filter_keys, updated_at,
    _id)``), the level checked on each row: not every live customer, nor a count read again."""
    keys = ["churn:%s" % level for level in levels]  # as ``listing.filter_keys`` makes them
    found = [customer for site_id in site_ids
             for customer in db.customers.find({"site_id": site_id, "deleted_at": None, "filter_keys": {"$in": keys}},
                                               HIDDEN)
             if (customer.get("churn_risk") or {}).get("level") in levels]
    found.sort(key=lambda c: (c["churn_risk"]["level"], -(c.get("tier_rank") or 0), c["legal_name"], c["_id"]))
    return found[:limit], len(found)


# --- archive upkeep: import jobs, merges ---

def insert_import(db, job):
    db.imports.insert_one(job)


def find_import(db, import_id):
    return db.imports.find_one({"_id": import_id}, HIDDEN)


def update_import(db, import_id, changes, *events, match=None):
    """Set ``changes`` on the job if it still matches ``match``; True when it did."""
    update = pending_update({"$set": dict(changes, updated_at=utcnow())}, *events)
    return db.imports.update_one(dict(match or {}, _id=import_id), update).matched_count == 1


def claim_import(db, owner, token, until):
    """Lease a running job to ``token`` until ``until``: one nobody works on, preferring the oldest;
    the owner that released it last may take it again at once (its reader is still open).
    ``claims`` counts the leases not released since: a worker that died holding it. A job taken
    from a worker whose lease ran out while it was busy importing rows (it died, or stalled) is
    marked ``recount_after``: rows of the batch it cut short may be stored without their list
    counts, and writing them again counts them as unchanged (``import_jobs.finish`` has them
    recounted). The phases before write no records, so a worker dying in them asks for nothing.

    The candidates are read one condition at a time (each ``status`` + one field, index
    status_1_created_at_1; a top-level ``$or`` would scan), then claimed by a compare-and-swap
    on the lease fields as read (``claim``): a new lease changes ``lease_token``.
    """
    now = utcnow()
    found = {}
    for condition in ({"lease_until": None}, {"lease_until": {"$lt": now}}, {"lease_owner": owner, "busy": False}):
        for job in db.imports.find(dict({"status": "running"}, **condition), HIDDEN):
            found[job["_id"]] = job
    candidates = sorted(found.values(), key=lambda job: (job["created_at"], job["_id"]))
    update = {"$set": {"busy": True, "lease_owner": owner, "lease_token": token, "lease_until": until},
              "$inc": {"claims": 1}}
    won = claim(db.imports, candidates, update, ("status", "lease_until", "lease_owner", "lease_token", "busy"),
                HIDDEN)
    taken = found[won["_id"]] if won is not None else {}
    if taken.get("busy") and taken.get("phase") == "import" and not won.get("recount_after"):
        db.imports.update_one({"_id": won["_id"], "lease_token": token}, {"$set": {"recount_after": True}})
        won["recount_after"] = True
    return won


def release_import(db, import_id, token, until):
    """Free the job; until ``until`` only its last owner may claim it again."""
    db.imports.update_one({"_id": import_id, "lease_token": token},
                          {"$set": {"busy": False, "lease_until": until, "claims": 0}})


def abandoned_imports(db, before, limit=20):
    """Uploads begun before ``before`` and never started (index status_1_created_at_1)."""
    return list(db.imports.find({"status": "uploading", "created_at": {"$lt": before}}, HIDDEN)
                .sort("created_at", ASCENDING).limit(limit))


def save_import_chunk(db, import_id, seq, data):
    db.import_chunks.replace_one({"_id": "%s:%07d" % (import_id, seq)},
                                 {"import_id": import_id, "seq": seq, "size": len(data), "data": data}, upsert=True)


def import_chunk_stats(db, import_id):
    """(number of chunks, highest seq, bytes) of an upload."""
    found = list(db.import_chunks.aggregate([
        {"$match": {"import_id": import_id}},
        {"$group": {"_id": None, "count": {"$sum": 1}, "last": {"$max": "$seq"}, "size": {"$sum": "$size"}}}]))
    if not found:
        return 0, -1, 0
    return found[0]["count"], found[0]["last"], found[0]["size"]


def iter_import_chunks(db, import_id, from_seq):
    """``(seq, bytes)`` of an upload from ``from_seq`` on, fetched one at a time."""
    cursor = db.import_chunks.find({"import_id": import_id, "seq": {"$gte": from_seq}}, {"seq": 1, "data": 1})
    for chunk in cursor.sort("seq", ASCENDING).batch_size(1):
        yield chunk["seq"], bytes(chunk["data"])


def delete_import_chunks(db, import_id, below=None):
    """An upload's chunks (those under seq ``below`` only, when given)."""
    query = {"import_id": import_id}
    if below is not None:
        query["seq"] = {"$lt": below}
    db.import_chunks.delete_many(query)


def insert_import_errors(db, errors):
    """Keep row errors; one already kept (a batch worked again after a restart) stays as it is."""
    if errors:
        db.import_errors.bulk_write([UpdateOne({"_id": e["_id"]}, {"$setOnInsert": e}, upsert=True) for e in errors],
                                    ordered=False)


def import_errors(db, import_id, limit=0, warnings=False):
    """A job's row errors, or its warnings (rows kept with a remark), by row (index ``(import_id, row)``)."""
    query = {"import_id": import_id, "warning": True if warnings else {"$ne": True}}
    return db.import_errors.find(query).sort([("row", ASCENDING), ("_id", ASCENDING)]).limit(limit)


def insert_import_dry_keys(db, keys):
    """The keys of customers a workbook's dry run would create (``{import_id, field, value,
    customer}``), for its later sheets to link to; one kept already (a batch run again) stays."""
    if keys:
        db.import_dry_keys.bulk_write([UpdateOne({"_id": "%s:%s:%s" % (k["import_id"], k["field"], k["value"])},
                                                 {"$setOnInsert": k}, upsert=True) for k in keys], ordered=False)


def import_dry_keys(db, import_id, field, values):
    """The dry run's stand-in customers of ``field`` in ``values`` (index import_id_1_field_1_value_1)."""
    return list(db.import_dry_keys.find({"import_id": import_id, "field": field, "value": {"$in": list(values)}}))


def delete_import_dry_keys(db, import_id):
    db.import_dry_keys.delete_many({"import_id": import_id})


def find_import_mapping(db, site_id, entity, name):
    """Index site_id_1_entity_1_name_1."""
    return db.import_mappings.find_one({"site_id": site_id, "entity": entity, "name": name}, HIDDEN)


def find_import_mapping_by_id(db, mapping_id):
    return db.import_mappings.find_one({"_id": mapping_id}, HIDDEN)


def count_import_mappings(db, site_id, limit):
    """How many mappings a site keeps, counting no further than ``limit`` (None: all; index
    site_id_1_entity_1_name_1, one site's range: a site keeps a few hundred at most)."""
    cursor = db.import_mappings.find({"site_id": site_id}, {"_id": 1})
    return len(list(cursor.limit(limit) if limit else cursor))


def save_import_mapping(db, saved, *events):
    db.import_mappings.update_one({"_id": saved["_id"]}, pending_update({"$set": saved}, *events), upsert=True)


def list_import_mappings(db, sites, entity=None):
    """The mappings of ``sites`` (None: every site), by name: one query per site (index
    site_id_1_entity_1_name_1); a site keeps at most a few hundred."""
    query = {} if entity is None else {"entity": entity}
    scopes = [{}] if sites is None else [{"site_id": site_id} for site_id in sites]
    found = [saved for scope in scopes for saved in db.import_mappings.find(dict(scope, **query), HIDDEN)]
    return sorted(found, key=lambda saved: (saved["name"], saved["_id"]))


def delete_import_mapping(db, mapping_id, *events):
    """The mapping gone, its audit event queued first (a crash between leaves the mapping, to delete again)."""
    record_events(db, *events)
    db.import_mappings.delete_one({"_id": mapping_id})


def insert_customers(db, customers):
    """New customers in one round trip (their events go through ``queue_import_events``)."""
    if customers:
        customers = [_keyed(customer) for customer in customers]
        db.customers.insert_many(customers, ordered=False)
        counts = {}
        for customer in customers:
            for place, delta in listing.counted_in(customer).items():
                counts[place] = counts.get(place, 0) + delta
        _count(db, counts)


def queue_import_events(db, documents):
    """Outbox documents ``[(id, events)]`` in one round trip; one already queued (its batch ran
    again after a crash) stays as it is."""
    if documents:
        db.outbox.bulk_write([UpdateOne({"_id": document_id},
                                        {"$setOnInsert": pending_insert({"created_at": utcnow()}, *events)},
                                        upsert=True) for document_id, events in documents], ordered=False)


def find_import_matches(db, site_id, wanted):
    """Live customers of ``site_id`` whose ``field`` is one of ``wanted[field]`` (oldest first).

    One query per field, each an ``$in`` of the ``match_keys`` index (the embedded server scans
    the whole collection for an ``$or`` of them); a legal name is found by its name key, then
    compared whole.
    """
    found = {}
    for field, values in wanted.items():
        if not values:
            continue
        keys = {identifiers.name_key(value) for value in values} if field == "legal_name" else values
        matched = "name_key" if field == "legal_name" else field
        for customer in db.customers.find({"match_keys": matching(matched, sorted(keys), site_id)}, HIDDEN):
            if customer["site_id"] == site_id and customer.get("deleted_at") is None and (
                    field != "legal_name" or customer["legal_name"] in values):
                found[customer["_id"]] = customer
    return sorted(found.values(), key=lambda customer: (customer["created_at"], customer["_id"]))


def insert_merge(db, merge):
    db.merges.insert_one(merge)


def list_merges(db, sites, limit, cursor):
    """The merges whose survivor is in ``sites`` (None: all), newest first (``windows.time_page``)."""
    scopes = windows.site_scopes(sites)  # index created_at_1__id_1, or site_id_1_created_at_1__id_1
    return windows.time_page(db.merges, scopes, "created_at", True, limit, cursor)


def find_merge(db, merge_id):
    return db.merges.find_one({"_id": merge_id})


def update_merge(db, merge_id, changes):
    db.merges.update_one({"_id": merge_id}, {"$set": dict(changes, updated_at=utcnow())})


def claim_merge(db, until, merge_id=None, status=None):
    """Lease a merge whose lease ran out (a done one any time, to revert it): one given by id, or
    any pending or reverting one (index status_1_lease_until_1); ``status`` is set with the lease,
    by a compare-and-swap on ``status`` and ``lease_until`` as read (``claim``)."""
    now = utcnow()
    if merge_id is None:
        candidates = [merge for wanted in ("pending", "reverting")
                      for merge in db.merges.find({"status": wanted, "lease_until": {"$lt": now}})
                      .sort("lease_until", ASCENDING).limit(20)]
    else:
        candidates = [merge for merge in db.merges.find({"_id": merge_id})
                      if merge["status"] == "done" or merge["status"] in ("pending", "reverting")
                      and _lease_over(merge, now)]
    changes = {"lease_until": until, "updated_at": now}
    if status:
        changes["status"] = status
    return claim(db.merges, candidates, {"$set": changes}, ("status", "lease_until"))


def _lease_over(merge, now):
    """Whether ``merge``'s lease ran out before ``now`` (as ``{lease_until: {$lt: now}}`` matches)."""
    lease = merge.get("lease_until")
    if lease is None:
        return False
    if lease.tzinfo is None:
        lease = lease.replace(tzinfo=now.tzinfo)
    return lease < now


# --- retention of finished jobs ---

def finished_imports(db, status, before, limit):
    """Ids of jobs that ended as ``status`` before ``before``, oldest first (index status_1_finished_at_1)."""
    query = {"status": status, "finished_at": {"$lt": before}}
    return [job["_id"] for job in db.imports.find(query, {"_id": 1}).sort("finished_at", ASCENDING).limit(limit)]


def delete_import(db, import_id):
    """A finished job with its chunks and row errors (index import_id of each); the job last, so a
    purge cut short is found again."""
    db.import_chunks.delete_many({"import_id": import_id})
    db.import_errors.delete_many({"import_id": import_id})
    db.imports.delete_one({"_id": import_id})


def finished_merges(db, status, before, limit, after=None):
    """Merges last changed to ``status`` before ``before`` (and after ``after``), oldest first
    (index status_1_updated_at_1)."""
    window = {"$lt": before}
    if after is not None:
        window["$gt"] = after
    return list(db.merges.find({"status": status, "updated_at": window}).sort("updated_at", ASCENDING).limit(limit))


def delete_merge(db, merge_id):
    """A finished merge with its before-images (index merge_id); the merge last."""
    db.merge_images.delete_many({"merge_id": merge_id})
    db.merges.delete_one({"_id": merge_id})


def save_merge_images(db, merge_id, collection, documents):
    """Before-images of documents a merge is about to change; an image already kept stays."""
    db.merge_images.bulk_write([UpdateOne(
        {"_id": "%s:%s:%s" % (merge_id, collection, d["_id"])},
        {"$setOnInsert": {"merge_id": merge_id, "collection": collection, "image": d}}, upsert=True)
        for d in documents], ordered=False)


def merge_images(db, merge_id, collection):
    for found in db.merge_images.find({"merge_id": merge_id, "collection": collection}).sort("_id", ASCENDING):
        yield found["image"]


def count_merge_images(db, merge_id):
    grouped = db.merge_images.aggregate([{"$match": {"merge_id": merge_id}},
                                         {"$group": {"_id": "$collection", "n": {"$sum": 1}}}])
    return {found["_id"]: found["n"] for found in grouped}


def part_refs(db, part, customer_ids, limit):
    """Owner fields of parts (deleted ones too) of ``customer_ids``."""
    cursor = db[part].find({"customer_id": {"$in": customer_ids}}, {"customer_id": 1, "site_id": 1})
    return list(cursor.limit(limit))


def move_parts(db, part, part_ids, from_ids, customer_id, site_id):
    db[part].update_many({"_id": {"$in": part_ids}, "customer_id": {"$in": from_ids}},
                         changed({"customer_id": customer_id, "site_id": site_id}))


def restore_parts(db, part, images, current_customer_id, batch=500):
    """Give parts back the owner fields of their images, where they still belong to the survivor."""
    groups = {}
    for image in images:
        ids = groups.setdefault((image["customer_id"], image["site_id"]), [])
        ids.append(image["_id"])
        if len(ids) >= batch:
            move_parts(db, part, groups.pop((image["customer_id"], image["site_id"])), [current_customer_id],
                       image["customer_id"], image["site_id"])
    for (customer_id, site_id), ids in groups.items():
        move_parts(db, part, ids, [current_customer_id], customer_id, site_id)


def retire_merged(db, customer_id, version, merge_id, changes, *events):
    """``change_customer`` of a customer a merge retires, if still at ``version`` and not yet
    retired by ``merge_id`` (by ``_id``); the new document or None."""
    match = {"_id": customer_id, "version": version, "merge_id": {"$ne": merge_id}}
    return change_customer(db, match, changes, *events)


def child_refs(db, parent_ids, skip):
    """Customers (deleted ones too) whose parent is one of ``parent_ids``, but for ``skip``."""
    query = {"match_keys": matching("parent_id", parent_ids), "_id": {"$nin": skip}}  # index match_keys
    return list(db.customers.find(query, HIDDEN))


def change_customer(db, match, changes, *events, unset=None):
    """Apply ``changes`` (version moves on) to the customer matching ``match``; the new document or None."""
    update = changed(changes)
    if unset:
        update["$unset"] = {field: "" for field in unset}
    return _keyed_update_and_fetch(db, match, pending_update(update, *events))


# --- moves between sites, erasure, purge ---

MOVED_WITH_CUSTOMER = PARTS + ("tier_history", "feedback_scores")


def move_customer_records(db, customer_id, site_id):
    """Give every record of a customer (parts, deleted ones too, tier history, feedback scores) its
    site; each by its ``(customer_id, ...)`` index. Running it again changes nothing."""
    for collection in MOVED_WITH_CUSTOMER:
        db[collection].update_many({"customer_id": customer_id, "site_id": {"$ne": site_id}},
                                   {"$set": {"site_id": site_id}})


def customers_moving(db, limit=100):
    """Customers whose records have not all followed them to their site yet (index ``due_keys``)."""
    return list(db.customers.find({"due_keys": "moving"}, {"site_id": 1}).limit(limit))


def finish_move(db, customer_id, site_id):
    """Clear the move mark, unless the customer moved on again meanwhile (then it stays, to redo)."""
    _keyed_update(db, {"_id": customer_id, "site_id": site_id, "moving_parts": True}, {"$unset": {"moving_parts": ""}})


def erased_customer_ids(db, site_id):
    """Ids of the erased customers of a site (a site's range of a window index)."""
    return [found["_id"] for found in db.customers.find({"site_id": site_id, "erased": True}, {"_id": 1})]


def count_site_records(db, site_id, erased_ids):
    """``{collection: n}`` of the customer data of a site, the erased customers and their records
    left out: customers (soft-deleted ones too), their parts (deleted ones too), tier history,
    feedback scores, and saved views not deleted. Each count is one ``site_id`` range of an index
    ``(site_id, ...)``."""
    others = {"customer_id": {"$nin": erased_ids}} if erased_ids else {}
    counts = {"customers": db.customers.count_documents({"site_id": site_id, "erased": {"$ne": True}})}
    for collection in MOVED_WITH_CUSTOMER:
        counts[collection] = db[collection].count_documents(dict({"site_id": site_id}, **others))
    counts["views"] = db.views.count_documents({"site_id": site_id, "deleted_at": None})
    counts["import_mappings"] = count_import_mappings(db, site_id, None)
    return counts


def customers_to_purge(db, now, limit=100):
    """Soft-deleted customers past their restore window (index ``due_keys``, one bounded range)."""
    query = {"due_keys": listing.due_by("purge", listing.due_time(now))}
    return list(db.customers.find(query, HIDDEN).sort("purge_after", ASCENDING).limit(limit))


def part_ids(db, part, customer_id):
    """Ids of a customer's parts, deleted ones too (index ``(customer_id, created_at)``)."""
    return [found["_id"] for found in db[part].find({"customer_id": customer_id}, {"_id": 1})]


def blank_parts(db, part, customer_id, changes):
    """Set ``changes`` on every part of a customer, deleted ones too (index ``(customer_id, created_at)``)."""
    db[part].update_many({"customer_id": customer_id}, changed(changes))


def blank_merge_images(db, customer_id, changes):
    """Set ``changes`` on the customer's before-image in every merge it took part in (indexes
    ``survivor_id`` and ``merged_ids``), so a revert cannot bring erased data back."""
    update = {"$set": {"images.%s.%s" % (customer_id, field): value for field, value in changes.items()}}
    db.merges.update_many({"survivor_id": customer_id}, update)
    db.merges.update_many({"merged_ids": customer_id}, update)


def erase_customer(db, customer_id, changes, *events, match=None):
    """Blank a customer (deleted or not) with its events in the same write; True when this call did it."""
    update = pending_update(dict(changed(changes), **{"$unset": {"purge_after": "", "moving_parts": ""}}), *events)
    return _keyed_update(db, dict(match or {}, _id=customer_id), update)


# the dates automation rules look for (``dates.py``)

def customers_due_on(db, site_id, keys, after, limit):
    """Live customers of ``site_id`` holding one of the ``due_keys`` ``keys``, by ``_id`` after ``after``
    (index due_keys: a day's customers of a key, every site's; the key is the query's one clause, as any
    other makes the embedded server scan the collection), each with ``due_date``, the date its key names."""
    projection = {"due_keys": 1, "customer_since": 1, "created_at": 1, "site_id": 1, "deleted_at": 1}
    found = sorted((c for c in db.customers.find({"due_keys": {"$in": list(keys)}}, projection)
                    if c.get("site_id") == site_id and c.get("deleted_at") is None and (not after or c["_id"] > after)),
                   key=lambda c: c["_id"])[:limit]
    for customer in found:
        since = listing.anniversary_of(customer)
        customer["due_date"] = since if any(key.startswith("since:") for key in keys) else keys[0].split(":", 1)[1]
    return found


def contacts_born(db, site_id, birthdays, after, limit):
    """Live contacts of ``site_id`` born on one of ``birthdays`` (ISO dates; index birthday), by ``_id``."""
    query = {"birthday": {"$in": list(birthdays)}, "site_id": site_id, "deleted_at": None}
    if after:
        query["_id"] = {"$gt": after}
    return list(db.contacts.find(query, {"customer_id": 1, "birthday": 1}).sort("_id", ASCENDING).limit(limit))


def orders_ending(db, site_id, end, after, limit):
    """Live orders of ``site_id`` whose contract ends on ``end`` (index contract_end_date), by ``_id``."""
    query = {"contract_end_date": end, "site_id": site_id, "deleted_at": None, "status": {"$ne": "cancelled"}}
    if after:
        query["_id"] = {"$gt": after}
    return list(db.orders.find(query, {"customer_id": 1}).sort("_id", ASCENDING).limit(limit))


# --- targets and staff performance (``targets``, ``performance``, ``credits``): each measure is read
# per site over the period, by a range on the date it counts by (an index ``(site_id, <that date>)``).

def ensure_performance_indexes(db):
    db.targets.create_index([("site_id", ASCENDING), ("period", ASCENDING), ("measure", ASCENDING),
                             ("holder_kind", ASCENDING), ("holder_id", ASCENDING), ("deleted_at", ASCENDING)],
                            unique=True)
    db.targets.create_index("parent_id", sparse=True)
    db.payments.create_index([("site_id", ASCENDING), ("payment_date", ASCENDING)])
    db.opportunities.create_index([("site_id", ASCENDING), ("decided_at", ASCENDING)])
    db.interactions.create_index([("site_id", ASCENDING), ("occurred_at", ASCENDING)])
    db.followups.create_index([("site_id", ASCENDING), ("due_date", ASCENDING)])
    db.opportunities.create_index([("site_id", ASCENDING), ("expected_close_date", ASCENDING)])


def insert_target(db, target, *events):
    try:
        db.targets.insert_one(pending_insert(target, *events))
    except DuplicateKeyError:
        raise Conflict("This holder already has a target of this measure for the period.",
                       {"holder_id": ["Already has a target of this measure for the period."]})


def find_target(db, target_id):
    return _live(db.targets.find_one({"_id": target_id}, HIDDEN))


def site_targets(db, site_id, period):
    """The live targets of a site for a period (index ``(site_id, period, ...)``)."""
    return list(db.targets.find({"site_id": site_id, "period": period, "deleted_at": None}, HIDDEN))


def target_children(db, target_id):
    """The live targets that break ``target_id`` down (index ``parent_id``)."""
    return [t for t in db.targets.find({"parent_id": target_id}, HIDDEN) if t.get("deleted_at") is None]


def update_target(db, target_id, version, changes, *events):
    return update_and_fetch(db.targets, at_version(target_id, version, deleted_at=None),
                            pending_update(changed(changes), *events), HIDDEN)


def credited_orders(db, site_id, first_day, last_day, not_counted):
    """``[{_id: {owner, customer}, amount, orders}]``: a site's counted orders dated in the period
    (ISO days, both included), by whom they count for (index ``(site_id, order_date)``)."""
    return _per_site(db.orders, [site_id], {"order_date": {"$gte": first_day, "$lte": last_day}}, [
        {"$group": {"_id": {"owner": "$owner_id", "customer": "$customer_id"}, "amount": {"$sum": "$total_amount"},
                    "orders": {"$sum": 1}}}], {"status": {"$nin": list(not_counted)}, "deleted_at": None})


def credited_payments(db, site_id, first_day, last_day):
    """``[{_id: {owner, customer}, amount}]`` of a site's payments dated in the period (index
    ``(site_id, payment_date)``)."""
    return _per_site(db.payments, [site_id], {"payment_date": {"$gte": first_day, "$lte": last_day}}, [
        {"$group": {"_id": {"owner": "$owner_id", "customer": "$customer_id"}, "amount": {"$sum": "$amount"}}}],
        {"deleted_at": None})


def decided_opportunities(db, site_id, start, end):
    """``[{_id: {owner, customer, stage}, count}]`` of a site's opportunities won or lost from
    ``start`` to before ``end`` (index ``(site_id, decided_at)``)."""
    return _per_site(db.opportunities, [site_id], {"decided_at": {"$gte": start, "$lt": end}}, [
        {"$group": {"_id": {"owner": "$owner_id", "customer": "$customer_id", "stage": "$stage"},
                    "count": {"$sum": 1}}}], {"deleted_at": None})


def logged_interactions(db, site_id, start, end):
    """``[{_id: {by, kind}, count}]`` of a site's interactions that took place from ``start`` to
    before ``end``, by who logged them (index ``(site_id, occurred_at)``)."""
    return _per_site(db.interactions, [site_id], {"occurred_at": {"$gte": start, "$lt": end}}, [
        {"$group": {"_id": {"by": "$created_by", "kind": "$kind"}, "count": {"$sum": 1}}}], {"deleted_at": None})


def followups_due(db, site_id, first_day, last_day):
    """A site's live follow-ups due in the period (index ``(site_id, due_date)``), with what decides
    whether they were done on time."""
    fields = {"assignee_id": 1, "created_by": 1, "status": 1, "due_date": 1, "done_at": 1, "updated_at": 1}
    return list(db.followups.find({"site_id": site_id, "due_date": {"$gte": first_day, "$lte": last_day},
                                   "deleted_at": None}, fields))


def customers_created(db, site_id, start, end):
    """``{_id, owner_id}`` of a site's live customers created from ``start`` to before ``end``
    (index ``(site_id, deleted_at, created_at, _id)``, the list's window)."""
    return list(db.customers.find({"site_id": site_id, "deleted_at": None, "created_at": {"$gte": start, "$lt": end}},
                                  {"owner_id": 1}))


def dormant_customers(db, site_id, months):
    """``{_id, owner_id, dormant_since}`` of a site's live customers that became dormant in one of
    ``months`` (``YYYY-MM``): the months' due keys alone (index due_keys; any other clause makes the
    embedded server scan the collection), the site and the rest checked here."""
    found = db.customers.find({"due_keys": {"$in": ["dormant:%s" % month for month in months]}},
                              {"owner_id": 1, "dormant_since": 1, "lifecycle_stage": 1, "site_id": 1, "deleted_at": 1})
    return [c for c in found if c.get("site_id") == site_id and c.get("deleted_at") is None
            and c.get("lifecycle_stage") == "dormant"]


def tier_changes(db, site_id, start, end):
    """``{customer_id, old_tier, new_tier}`` of a site's tier changes from ``start`` to before ``end``
    (index ``(site_id, at)``)."""
    return list(db.tier_history.find({"site_id": site_id, "at": {"$gte": start, "$lt": end}},
                                     {"customer_id": 1, "old_tier": 1, "new_tier": 1}))


def customer_owners(db, customer_ids, chunk=1000):
    """``{customer_id: owner_id}`` of the customers (by ``_id``)."""
    owners, customer_ids = {}, list(customer_ids)
    for start in range(0, len(customer_ids), chunk):
        for found in db.customers.find({"_id": {"$in": customer_ids[start:start + chunk]}}, {"owner_id": 1}):
            owners[found["_id"]] = found.get("owner_id")
    return owners


def unstamped_decisions(db):
    """Opportunities won or lost stored before their decision was stamped (once: a scan of the
    collection, whose decided ones are a fraction of a site's records)."""
    return db.opportunities.find({"stage": {"$in": ["won", "lost"]}, "decided_at": {"$exists": False}},
                                 {"stage": 1, "stage_history": 1, "updated_at": 1}).batch_size(500)


def stamp(db, part, part_id, fields):
    db[part].update_one({"_id": part_id}, {"$set": fields})


def open_opportunities_closing(db, site_id, first_day, last_day, open_stages):
    """``[{_id: stage, count, amount}]`` of a site's live open opportunities expected to close in the
    period (index ``(site_id, expected_close_date)``)."""
    return _per_site(db.opportunities, [site_id], {"expected_close_date": {"$gte": first_day, "$lte": last_day}}, [
        {"$group": {"_id": "$stage", "count": {"$sum": 1}, "amount": {"$sum": "$expected_amount"}}}],
        {"stage": {"$in": list(open_stages)}, "deleted_at": None})


def customers_due(db, site_id, keys):
    """``{_id, forecast}`` of a site's live customers holding one of the due ``keys`` (index ``due_keys``)."""
    found = db.customers.find({"due_keys": {"$in": list(keys)}}, {"site_id": 1, "deleted_at": 1, "forecast": 1})
    return [c for c in found if c.get("site_id") == site_id and c.get("deleted_at") is None]


# reorder forecasts and recommendations (``reorders.py``, ``recommendations.py``)

def orders_with_lines(db, customer_id, not_counted, limit):
    """The live orders of ``customer_id`` whose status is not one of ``not_counted``, newest first, with
    their lines, at most ``limit`` (index ``(customer_id, deleted_at, order_date, _id)``: its orders)."""
    query = {"customer_id": customer_id, "deleted_at": None, "status": {"$nin": list(not_counted)}}
    return list(db.orders.find(query, {"order_date": 1, "total_amount": 1, "lines": 1}).sort(
        [("order_date", DESCENDING), ("_id", DESCENDING)]).limit(limit))


def customers_expected(db, days):
    """Customers whose reorder forecast expects their next order on one of ``days`` (ISO), of every site
    (index due_keys: the days' keys; the key alone, as any other clause makes the embedded server scan
    the collection: the caller picks the sites)."""
    projection = {"legal_name": 1, "site_id": 1, "owner_id": 1, "tier.level": 1, "last_order_date": 1, "forecast": 1,
                  "deleted_at": 1}
    return list(db.customers.find({"due_keys": {"$in": ["expected_order:%s" % day for day in days]}}, projection))


def site_order_products(db, site_id, first_day, last_day, not_counted):
    """``[{_id, customer_id, lines: [{product}]}]`` of the live orders of ``site_id`` dated ``first_day``
    to ``last_day`` (ISO, both included) whose status is not one of ``not_counted`` (index
    ``(site_id, order_date)``: the site's days)."""
    query = {"site_id": site_id, "order_date": {"$gte": first_day, "$lte": last_day}, "deleted_at": None,
             "status": {"$nin": list(not_counted)}}
    return list(db.orders.find(query, {"customer_id": 1, "lines.product": 1}))


def customer_profiles(db, customer_ids, chunk=1000):
    """Site, industry and tier of the live customers among ``customer_ids`` (by ``_id``, ``chunk`` at a time)."""
    ids, found = list(customer_ids), []
    projection = {"site_id": 1, "industry": 1, "industry_code": 1, "tier.level": 1, "deleted_at": 1}
    for start in range(0, len(ids), chunk):
        found += [c for c in db.customers.find({"_id": {"$in": ids[start:start + chunk]}}, projection)
                  if c.get("deleted_at") is None]
    return found
