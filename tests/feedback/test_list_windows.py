"""Feedback items by a time and surveys are read in time windows (``windows.time_page``) on the
real database server: each page's queries are index-served and read a bounded number of documents
beside a dense burst, and paging yields exactly the sorted list of the caller's sites and filters."""
import datetime
import random

import pytest

from services.common.auth import Caller
from services.common.windows import sort_key
from services.feedback import items, sla, store, surveys
from services.feedback.workflow import DONE_STATES, OPEN_STATES
from tests.support import windows as support
from tests.support.windows import START, check_queries, page_all, times

watched_db, frozen_clock = support.watched_db, support.frozen_clock
READER_A = Caller("u-a", ["site-a"], ["feedback:read"])
READER_AB = Caller("u-ab", ["site-a", "site-b"], ["feedback:read"])
READER_ALL = Caller("u-all", [], ["feedback:read", "sites:all"])


pytestmark = pytest.mark.usefixtures("frozen_clock")



def seed_items(db, rng):
    documents = []
    for at in times(rng, 600, 400):
        status, severity = rng.choice(OPEN_STATES + DONE_STATES), rng.choice(["low", "high", "critical"])
        due = at + datetime.timedelta(hours=rng.choice([-1, 24, 24 * 400]))
        documents.append({
            "_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice(["site-a", "site-b", "site-c"]),
            "customer_id": rng.choice(["c-1", "c-2", "c-3"]), "status": status,
            "severity": severity, "severity_rank": sla.SEVERITY_RANK[severity], "category": "quality",
            "channel": rng.choice(["web", "phone"]),
            "type": "complaint", "assignee_id": rng.choice([None, "u-1"]), "created_at": at,
            "updated_at": at + datetime.timedelta(seconds=rng.choice([0, 0, 30])),
            "due_at": None if status in DONE_STATES and rng.random() < 0.3 else due, "version": 1})
    db.feedback.insert_many(documents)
    return documents


def sorted_ids(documents, field, descending):
    return [d["_id"] for d in sorted(documents, key=lambda d: sort_key(d.get(field), d["_id"]), reverse=descending)]


def overdue(item):
    return item["status"] in OPEN_STATES and item["due_at"] is not None and item["due_at"] <= START


def test_feedback_pages_to_exactly_the_sorted_filtered_list_of_the_callers_sites(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    documents = seed_items(db, random.Random(1))
    cases = [
        (READER_A, {}, lambda d: d["site_id"] == "site-a"),
        (READER_AB, {"status": "open"}, lambda d: d["site_id"] in ("site-a", "site-b") and d["status"] == "open"),
        (READER_ALL, {"channel": "web"}, lambda d: d["channel"] == "web"),
        (READER_A, {"customer_id": "c-2"}, lambda d: d["site_id"] == "site-a" and d["customer_id"] == "c-2"),
        (READER_A, {"site_id": "site-b"}, lambda d: False),
        (READER_AB, {"overdue": True}, lambda d: d["site_id"] in ("site-a", "site-b") and overdue(d)),
        (READER_ALL, {"overdue": False},
         lambda d: d["status"] in DONE_STATES or (d["due_at"] is not None and d["due_at"] > START)),
    ]
    for sort in ("-created_at", "created_at", "-updated_at", "due_at", "-due_at"):
        field, descending = sort.lstrip("-"), sort.startswith("-")
        for caller, filters, test in cases:
            if "overdue" in filters and not (field == "due_at" and descending):
                continue  # overdue depends on the clock: once is enough
            wanted = sorted_ids([d for d in documents if test(d)], field, descending)
            got = page_all(lambda limit, cursor: items.list_feedback(db, caller, dict(filters, sort=sort), limit,
                                                                     cursor), 120)
            assert got == wanted, (sort, caller.user_id, filters)
    for caller, filters in ((READER_A, {}), (READER_ALL, {}), (READER_ALL, {"customer_id": "c-1"})):
        finds.clear()
        items.list_feedback(db, caller, dict(filters), 25, None)
        check_queries(db.feedback, finds.of("feedback"), 200)


def test_the_severity_sort_reads_windows_of_each_value_and_pages_to_exactly_the_sorted_list(watched_db):
    """Each value's rows cut in the id space: both directions, every caller and filter, ``overdue``
    checked on the rows (no ``$and``); a first page reads a bounded part of the items."""
    db, finds = watched_db
    store.ensure_indexes(db)
    documents = seed_items(db, random.Random(2))
    cases = ((READER_A, {}, lambda d: d["site_id"] == "site-a"),
             (READER_AB, {"status": "open"}, lambda d: d["site_id"] in ("site-a", "site-b") and d["status"] == "open"),
             (READER_AB, {"overdue": True}, lambda d: d["site_id"] in ("site-a", "site-b") and overdue(d)),
             (READER_ALL, {}, lambda d: True),
             (READER_A, {"customer_id": "c-2"}, lambda d: d["site_id"] == "site-a" and d["customer_id"] == "c-2"))
    for sort in ("-severity", "severity"):
        for caller, filters, test in cases:
            wanted = sorted_ids([d for d in documents if test(d)], "severity_rank", sort.startswith("-"))
            got = page_all(lambda limit, cursor: items.list_feedback(db, caller, dict(filters, sort=sort), limit,
                                                                     cursor), 70)
            assert got == wanted, (sort, caller.user_id, filters)
    for caller, filters in ((READER_A, {}), (READER_ALL, {}), (READER_AB, {"overdue": True}),
                            (READER_ALL, {"customer_id": "c-1"})):
        finds.clear()
        page = items.list_feedback(db, caller, dict(filters, sort="-severity"), 25, None)
        assert page["total_is_lower_bound"] and len(page["items"]) == 25
        queries = finds.of("feedback")
        assert not [query for query in queries if any(key.startswith("$") for key in query)], queries
        check_queries(db.feedback, queries, 500 if "overdue" in filters else 200)


def test_surveys_page_newest_first_in_the_callers_sites(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(3)
    documents = [{"_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice(["site-a", "site-b"]),
                  "created_at": at, "title": "s", "questions": [], "version": 1} for at in times(rng, 300, 200)]
    db.surveys.insert_many(documents)
    for caller, sites in ((READER_A, {"site-a"}), (READER_ALL, None)):
        wanted = sorted_ids([d for d in documents if sites is None or d["site_id"] in sites], "created_at", True)
        assert page_all(lambda limit, cursor: surveys.list_surveys(db, caller, limit, cursor), 70) == wanted
        finds.clear()
        surveys.list_surveys(db, caller, 25, None)
        check_queries(db.surveys, finds.of("surveys"), 150)
