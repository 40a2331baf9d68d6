"""The satisfaction report's period is closed at both ends on the real database server: an item,
a survey sent or an answer at exactly ``since`` or ``until`` counts, one a microsecond outside
does not (the embedded server's ranges on a field that is not the last of an index are checked
here, where the report's queries meet them)."""
import datetime

import pytest

from services.common.auth import Caller
from services.feedback import reports, store
from tests.support import windows as support

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
