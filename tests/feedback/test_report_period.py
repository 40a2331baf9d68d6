"""The satisfaction report's period is closed at both ends on the real database server: an item,
a survey sent or an answer at exactly ``since`` or ``until`` counts, one a microsecond outside
does not (the embedded server's ranges on a field that is not the last of an index are checked
here, where the report's queries meet them)."""
import datetime

import pytest

from services.common.auth import Caller
from services.feedback import items as feedback_items, reports, store
from tests.support import windows as support
from tests.support.sites import TEST_SITES, known_sites

watched_db = support.watched_db
SINCE = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.timezone.utc)
UNTIL = datetime.datetime(2026, 3, 31, 18, 30, tzinfo=datetime.timezone.utc)
TICK = datetime.timedelta(microseconds=1000)  # BSON keeps milliseconds
READER_A = Caller("u-a", ["site-a"], ["reports:read"])
READER_ALL = Caller("u-all", [], ["reports:read", "sites:all"])


def item(number, at, site="site-a"):
    return {"_id": "f%d" % number, "site_id": site, "customer_id": "c-1", "status": "open", "severity": "normal",
            "severity_rank": 2, "category": "quality", "channel": "web", "type": "complaint", "rating": 4,
            "created_at": at, "updated_at": at, "due_at": at, "version": 1}


def link(number, at, answered=None, site="site-a"):
    return {"_id": "l%d" % number, "site_id": site, "customer_id": "c-1", "survey_id": "s-1", "created_at": at,
            "answered_at": answered, "used_at": answered, "rating": 5 if answered else None, "nps": None}


@pytest.fixture
def db(watched_db):
    database, _ = watched_db
    store.ensure_indexes(database)
    known_sites(database)
    moments = [SINCE - TICK, SINCE, SINCE + datetime.timedelta(days=9), UNTIL, UNTIL + TICK]
    database.feedback.insert_many([item(n, at) for n, at in enumerate(moments)]
                                  + [item(10 + n, at, "site-b") for n, at in enumerate(moments)])
    database.survey_links.insert_many([link(n, at, at) for n, at in enumerate(moments)])
    return database


@pytest.mark.parametrize("caller, site_id, items, answers", [
    (READER_A, None, 3, 3), (READER_A, "site-a", 3, 3), (READER_ALL, None, 6, 3), (READER_ALL, "site-b", 3, 0),
])
def test_both_ends_of_the_period_count(db, caller, site_id, items, answers):
    filters = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    if site_id:
        filters["site_id"] = site_id
    report = reports.satisfaction(db, caller, filters)
    assert report["feedback"]["total"] == items
    assert report["response_rate"]["sent"] == answers
    assert report["csat"]["count"] == items + answers  # each item and each answer carries a rating


def test_the_queries_lead_with_the_site_and_a_surveys_links_with_the_survey(db, watched_db):
    """One query a site and its period (index ``(site_id, <date>)``); every site's items by their
    time (index ``(created_at, _id)``), every site's links one query a site known (no index leads
    with a link's dates)."""
    _, finds = watched_db
    finds.clear()
    for caller in (READER_A, Caller("u-ab", ["site-a", "site-b"], ["reports:read"]), READER_ALL):
        reports.satisfaction(db, caller, {"since": SINCE.isoformat()})
    made, links = finds.of("feedback"), finds.of("survey_links")
    assert [list(query) for query in made] == [["site_id", "created_at"]] * 3 + [["created_at"]]
    assert [query["site_id"] for query in made[:3]] == ["site-a", "site-a", "site-b"]
    assert [list(query) for query in links] == (
        [["site_id", "created_at"]] * 1 + [["site_id", "answered_at"]] * 1
        + [["site_id", "created_at"]] * 2 + [["site_id", "answered_at"]] * 2
        + [["site_id", "created_at"]] * len(TEST_SITES) + [["site_id", "answered_at"]] * len(TEST_SITES))
    assert {query["site_id"] for query in links[6:]} == set(TEST_SITES)
    finds.clear()
    assert len(store.links_of_survey(db, "s-1", ["site-a"])) == 5 and store.links_of_survey(db, "s-1", ["site-b"]) == []
    assert len(store.links_of_survey(db, "s-1", None)) == 5
    assert finds.of("survey_links") == [{"survey_id": "s-1", "site_id": {"$in": ["site-a"]}},
                                        {"survey_id": "s-1", "site_id": {"$in": ["site-b"]}}, {"survey_id": "s-1"}]


def test_a_customers_open_items_are_counted_in_the_callers_sites(db):
    reader = Caller("u-f", ["site-a"], ["feedback:read"])
    assert feedback_items.open_feedback_count(db, reader, "c-1") == {"customer_id": "c-1", "open": 5, "overdue": 5}
    assert store.count_open_feedback(db, "c-1", ["open"], ["site-a"], due_by=SINCE) == 2
    assert store.count_open_feedback(db, "c-1", ["open"], None, due_by=SINCE) == 4
    assert store.count_open_feedback(db, "c-1", ["resolved"], None) == 0
