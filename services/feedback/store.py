"""The only module that touches the feedback service's collections.

feedback (items, with their responses and status history embedded), settings (per site),
surveys, and survey_links (one per recipient, keyed by the hash of its token; the answer is
kept on the link it came through).
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.common import windows
from services.common.clock import utcnow
from services.common.errors import Conflict
from services.common.mongo import at_version, changed, drop_index, save_versioned, update_and_fetch
from services.common.outbox import HIDDEN, pending_insert, pending_update
from services.feedback.workflow import DONE_STATES, OPEN_STATES

OUTBOX_COLLECTIONS = ("feedback", "settings", "surveys", "survey_links")


def ensure_indexes(db):
    """Create this service's indexes (idempotent)."""
    feedback = db.feedback
    for field in TIME_SORTS + ("severity_rank",):
        feedback.create_index([("site_id", ASCENDING), (field, ASCENDING), ("_id", ASCENDING)])
    for field in CUSTOMER_SORTS:
        feedback.create_index([("customer_id", ASCENDING), (field, ASCENDING), ("_id", ASCENDING)])
    feedback.create_index([("customer_id", ASCENDING), ("status", ASCENDING)])
    feedback.create_index([("status", ASCENDING), ("sla_breached_at", ASCENDING), ("due_at", ASCENDING)])
    feedback.create_index([("assignee_id", ASCENDING), ("status", ASCENDING)])
    feedback.create_index([("site_id", ASCENDING), ("first_resolved_at", ASCENDING)])
    for field in ("created_at", "updated_at", "due_at", "severity_rank", "category", "channel"):
        feedback.create_index([(field, ASCENDING), ("_id", ASCENDING)])
    db.surveys.create_index([("site_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    db.surveys.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])
    for name, *keys in INDEXES_BEFORE_WINDOWS:
        drop_index(db[name], keys)
    links = db.survey_links
    links.create_index("survey_id")
    links.create_index([("customer_id", ASCENDING), ("created_at", DESCENDING)])
    links.create_index([("site_id", ASCENDING), ("created_at", DESCENDING)])
    links.create_index([("site_id", ASCENDING), ("answered_at", DESCENDING)])
    links.create_index("feedback_pending", sparse=True)


# Indexes no query uses any more, dropped at start (those of the lists before they were read in
# windows, and the SLA scan's before it left out breached items): (collection, keys...).
INDEXES_BEFORE_WINDOWS = (
    ("feedback", ("site_id", ASCENDING), ("created_at", DESCENDING)),
    ("surveys", ("site_id", ASCENDING), ("created_at", DESCENDING)),
    ("feedback", ("status", ASCENDING), ("due_at", ASCENDING)),  # the SLA scan's before it left out breaches
)



# feedback items

def insert_feedback(db, item, *events):
    """Insert ``item`` with its events; False when an item with its id already exists."""
    try:
        db.feedback.insert_one(pending_insert(item, *events))
    except DuplicateKeyError:
        return False
    return True


def find_feedback(db, feedback_id):
    return db.feedback.find_one({"_id": feedback_id}, HIDDEN)


TIME_SORTS = ("created_at", "updated_at", "due_at")
# The sorts a customer's items are read by with the customer as the window's scope.
CUSTOMER_SORTS = ("created_at", "severity_rank")
EQUAL_FILTERS = ("status", "severity", "category", "channel", "type", "assignee_id", "customer_id", "site_id")


def list_feedback(db, filters, sites, sort_field, descending, limit, cursor, now, values=None):
    """A page of feedback items (``filters``: a loaded ``FeedbackFilterSchema`` less its sort) of
    ``sites`` (None: all): (documents, next_cursor, total, total_is_lower_bound).

    Read in windows of one shape, the other filters checked on their rows: a customer's items
    (by creation or severity), else one query per site, else every item. A time sort is cut in
    time (``windows.time_page``); the severity sort, a field of the few ``values``, in the id space
    of each value (``windows.value_page``)."""
    asked = {field: filters[field] for field in EQUAL_FILTERS if filters.get(field)}
    overdue = filters.get("overdue")
    if "customer_id" in asked and sort_field in CUSTOMER_SORTS:
        scopes = [{"customer_id": asked["customer_id"]}]  # index customer_id_1_<sort>_1__id_1
    elif "site_id" in asked or sites is not None:
        wanted = [asked["site_id"]] if "site_id" in asked else sorted(sites)
        # index site_id_1_<sort>_1__id_1, one query per site
        scopes = [{"site_id": site_id} for site_id in wanted if sites is None or site_id in sites]
    else:
        scopes = [{}]  # index <sort>_1__id_1
    rest = {field: value for field, value in asked.items() if field not in scopes[0]} if scopes else {}

    def keep(item):
        if any(item.get(field) != value for field, value in rest.items()):
            return False
        if sites is not None and item.get("site_id") not in sites:
            return False
        return overdue is None or _overdue(item, now) == overdue

    checked = keep if rest or overdue is not None or (sites is not None and scopes and "site_id" not in scopes[0]) \
        else None
    if sort_field not in TIME_SORTS:
        return windows.value_page(db.feedback, scopes, sort_field, values, descending, limit, cursor,
                                  projection=HIDDEN, keep=checked)
    return windows.time_page(db.feedback, scopes, sort_field, descending, limit, cursor, projection=HIDDEN,
                             keep=checked)


def _overdue(item, now):
    """Whether ``item`` is open past its due time (``overdue: true``); ``overdue: false`` is its opposite
    but for an open item without a due time, which is neither."""
    due = item.get("due_at")
    if item.get("status") in DONE_STATES:
        return False
    if item.get("status") not in OPEN_STATES or due is None:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    return due <= now


def count_feedback(db, query):
    return db.feedback.count_documents(query)


def count_open_feedback(db, customer_id, open_states, sites, due_by=None):
    """How many items of a customer are in one of ``open_states`` (and due by ``due_by``, when
    given) at ``sites`` (None: any). Index customer_id + status for every site, else the
    customer's items by a ``(customer_id, ...)`` index: a customer has few."""
    query = {"customer_id": customer_id, "status": {"$in": list(open_states)}}
    if sites is not None:
        query["site_id"] = {"$in": list(sites)}
    if due_by is not None:
        query["due_at"] = {"$lte": due_by}
    return db.feedback.count_documents(query)


def _in_period(sites, field, since, until):
    """A report's query: the site first (one site an equality), then ``field`` from ``since``
    through ``until`` (None: open; both None: any time, the field set)."""
    query = {} if sites is None else {"site_id": sites[0] if len(sites) == 1 else {"$in": list(sites)}}
    bounds = {"$gte": since} if since else {}
    if until:
        bounds.update(windows.through(until))  # until counts, as the embedded server's ranges allow
    query[field] = bounds or {"$ne": None}
    return query


def feedback_made(db, sites, since, until, projection):
    """The items of ``sites`` (None: all) made from ``since`` through ``until``: index
    ``(site_id, created_at, _id)``, each site's period, or ``(created_at, _id)``."""
    if sites is None:
        return list(db.feedback.find(_in_period(None, "created_at", since, until), projection).batch_size(500))
    return _each_site(db.feedback, sites, "created_at", since, until, projection)


def _each_site(collection, sites, field, since, until, projection):
    """The documents of ``sites`` whose ``field`` falls in the period, one query a site: an
    equality and one range, which an index ``(site_id, <field>)`` bounds to the period (a ``$in``
    of the sites would read their whole history)."""
    return [document for site_id in sites
            for document in collection.find(_in_period([site_id], field, since, until), projection).batch_size(500)]


def _between(collection, site_id, field, start, end, projection):
    """The documents of one site whose ``field`` is at or after ``start`` and before ``end``: an
    equality and one half-open range, which an index ``(site_id, <field>, ...)`` bounds to the period."""
    query = {"site_id": site_id, field: {"$gte": start, "$lt": end}}
    return list(collection.find(query, projection).batch_size(500))


def feedback_made_between(db, site_id, start, end, projection):
    """A site's items made in ``[start, end)``: index ``(site_id, created_at, _id)``."""
    return _between(db.feedback, site_id, "created_at", start, end, projection)


def feedback_first_resolved_between(db, site_id, start, end, projection):
    """A site's items first resolved in ``[start, end)``: index ``(site_id, first_resolved_at)``."""
    return _between(db.feedback, site_id, "first_resolved_at", start, end, projection)


def answers_between(db, site_id, start, end, projection):
    """A site's survey links answered in ``[start, end)``: index ``(site_id, answered_at)``."""
    return _between(db.survey_links, site_id, "answered_at", start, end, projection)


def update_feedback(db, feedback_id, version, changes, *events, push=None):
    """Apply ``changes`` (and ``push`` to arrays) if the stored version is ``version`` (None: any)."""
    match = at_version(feedback_id, version)
    update = changed(changes)
    if push:
        update["$push"] = push
    return update_and_fetch(db.feedback, match, pending_update(update, *events), HIDDEN)


def assigned_elsewhere(db, user_id, open_states, sites, limit):
    """Up to ``limit`` open items assigned to ``user_id`` at a site not in ``sites`` (index
    assignee_id + status)."""
    query = {"assignee_id": user_id, "status": {"$in": list(open_states)}, "site_id": {"$nin": list(sites)}}
    return list(db.feedback.find(query, HIDDEN).limit(limit))


def unassign(db, item, changes, *events, push=None):
    """Apply ``changes`` to ``item`` if it is still open and assigned as it was read; True when
    done (index _id)."""
    match = {"_id": item["_id"], "assignee_id": item["assignee_id"], "status": item["status"]}
    update = changed(changes)
    if push:
        update["$push"] = push
    return db.feedback.update_one(match, pending_update(update, *events)).modified_count == 1


def count_site_records(db, site_id):
    """``{collection: n}`` of what is kept for ``site_id`` (each leads with its site_id index)."""
    kept = {"site_id": site_id, "customer_erased": {"$ne": True}}
    return {"feedback": db.feedback.count_documents(kept),
            "surveys": db.surveys.count_documents({"site_id": site_id}),
            "survey_links": db.survey_links.count_documents(kept)}


def feedback_elsewhere(db, customer_id, site_id):
    """A customer's items outside ``site_id`` (index customer_id + status)."""
    return list(db.feedback.find({"customer_id": customer_id, "site_id": {"$ne": site_id}}, HIDDEN))


def move_feedback(db, feedback_id, from_site, to_site, *events):
    """Move one item if it is still at ``from_site``; 1 when moved, else 0 (index _id)."""
    update = changed({"site_id": to_site})
    result = db.feedback.update_one({"_id": feedback_id, "site_id": from_site}, pending_update(update, *events))
    return result.modified_count


def blank_feedback_contacts(db, customer_id):
    """Forget which contact gave each item of an erased customer, and mark the items as an erased
    customer's (``customer_erased``: kept anonymised, never moved, not counted as a site's
    records; index customer_id + status)."""
    db.feedback.update_many({"customer_id": customer_id, "customer_erased": {"$ne": True}},
                            changed({"contact_id": None, "customer_erased": True}))


def overdue_unbreached(db, open_states, now, limit=200):
    """Up to ``limit`` open items past their due time and not marked breached yet, the longest
    overdue first: one query a state (index status_1_sla_breached_at_1_due_at_1), each reading only
    such items (the scan's work), not every open overdue item (the breached stay open until solved)."""
    found = []
    for state in sorted(open_states):
        query = {"status": state, "sla_breached_at": None, "due_at": {"$lte": now}}
        found += db.feedback.find(query, HIDDEN).sort("due_at", ASCENDING).limit(limit)
    return sorted(found, key=lambda item: item["due_at"])[:limit]


def mark_breached(db, feedback_id, open_states, now, *events):
    """Mark one breach, once: None when another scan (or a resolution) got there first."""
    match = {"_id": feedback_id, "status": {"$in": list(open_states)}, "sla_breached_at": None}
    update = {"$set": {"sla_breached_at": now, "sla_met": False}}
    return update_and_fetch(db.feedback, match, pending_update(update, *events), HIDDEN)


# per-site settings

def find_settings(db, site_id):
    return db.settings.find_one({"_id": site_id}, HIDDEN)


def save_settings(db, site_id, version, changes, *events):
    """Apply ``changes`` when the stored version is ``version`` (0: none stored yet); the new settings or None."""
    update = pending_update(changed(changes), *events)
    return save_versioned(db.settings, site_id, version, update, HIDDEN)


# surveys and their links

def insert_survey(db, survey, *events):
    try:
        db.surveys.insert_one(pending_insert(survey, *events))
    except DuplicateKeyError:
        raise Conflict("This survey already exists.")


def find_survey(db, survey_id):
    return db.surveys.find_one({"_id": survey_id}, HIDDEN)


def update_survey(db, survey_id, version, changes, *events):
    """Apply ``changes`` if the stored version is ``version``; the survey after, or None when stale
    (index _id)."""
    update = pending_update(changed(changes), *events)
    return update_and_fetch(db.surveys, {"_id": survey_id, "version": version}, update, HIDDEN)


def list_surveys(db, sites, limit, cursor):
    """The surveys of ``sites`` (None: all), newest first (``windows.time_page``)."""
    scopes = windows.site_scopes(sites)  # index created_at_1__id_1, or site_id_1_created_at_1__id_1
    return windows.time_page(db.surveys, scopes, "created_at", True, limit, cursor, projection=HIDDEN)


def record_survey_sent(db, survey_id, count, *events):
    db.surveys.update_one({"_id": survey_id}, pending_update({"$inc": {"sent_count": count}}, *events))


def record_survey_answered(db, survey_id):
    db.surveys.update_one({"_id": survey_id}, {"$inc": {"response_count": 1}})


def insert_links(db, links):
    """Each link carries its own ``survey_sent`` event (already put on it with ``pending_insert``)."""
    db.survey_links.insert_many(links, ordered=True)


def find_link(db, token_hash):
    return db.survey_links.find_one({"_id": token_hash}, HIDDEN)


def answer_link(db, token_hash, now, changes, *events):
    """Spend a live link and keep the answer on it, in one write; None when used or expired."""
    match = {"_id": token_hash, "used_at": None, "expires_at": {"$gt": now}}
    update = pending_update(changed(dict(changes, used_at=now, answered_at=now), now), *events)
    return update_and_fetch(db.survey_links, match, update, HIDDEN)


def links_awaiting_feedback(db, limit=100):
    return list(db.survey_links.find({"feedback_pending": True}, HIDDEN).limit(limit))


def clear_feedback_pending(db, token_hash):
    db.survey_links.update_one({"_id": token_hash}, {"$unset": {"feedback_pending": ""}})


def links_of_survey(db, survey_id, sites):
    """The links of a survey at ``sites`` (None: any): index ``survey_id``, the survey first (a
    ``site_id`` first would pick a site index: every link of the sites)."""
    query = {"survey_id": survey_id}
    if sites is not None:
        query["site_id"] = {"$in": list(sites)}
    return list(db.survey_links.find(query, HIDDEN).batch_size(500))


def move_links(db, customer_id, site_id):
    """Take a customer's survey links to ``site_id`` (index customer_id + created_at)."""
    db.survey_links.update_many({"customer_id": customer_id, "site_id": {"$ne": site_id}},
                                changed({"site_id": site_id}))


def blank_links(db, customer_id, blanks):
    """Set ``blanks`` on every survey link of a customer and end its live links (index customer_id
    + created_at)."""
    now = utcnow()
    db.survey_links.update_many({"customer_id": customer_id, "used_at": None, "expires_at": {"$gt": now}},
                                {"$set": {"expires_at": now}})
    db.survey_links.update_many({"customer_id": customer_id},
                                changed(dict(blanks, customer_erased=True), now))


def links_in_period(db, field, sites, since, until, projection):
    """The survey links of ``sites`` (a caller of every site names every site known) whose
    ``field`` (``created_at``: sent, or ``answered_at``) falls from ``since`` through ``until``:
    index ``(site_id, <field>)``, each site's period."""
    return _each_site(db.survey_links, sites, field, since, until, projection)


def count_links(db, query):
    return db.survey_links.count_documents(query)
