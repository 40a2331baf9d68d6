"""Staff measures of feedback: who was assigned and resolved what (with medians and the SLA at its
edge), customers' survey scores (CSAT sums, NPS buckets), the period in the site's days, and the
queries each bounded to the period by an index on the real database server."""
import datetime
import zoneinfo

import pytest

from services.common.auth import Caller
from services.common.clock import day_bounds
from services.common.errors import Forbidden, NotFound, ValidationFailed
from services.feedback import performance, store
from tests.support import windows as support
from tests.support.windows import index_served

watched_db = support.watched_db

UTC = datetime.timezone.utc
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2027, 3, 2, 1, 0, tzinfo=UTC)


def hours(n):
    return datetime.timedelta(hours=n)


def resolved(user_id, took, due_in=72, sla_met=None, breached=None, first_assignee=None):
    return {"assignee_id": user_id, "first_resolved_assignee_id": first_assignee, "created_at": T0,
            "first_resolved_at": T0 + hours(took), "due_at": T0 + hours(due_in), "sla_met": sla_met,
            "sla_breached_at": breached}


def test_a_period_is_whole_days_of_the_sites_time_zone():
    start, end = day_bounds(datetime.date(2027, 3, 1), datetime.date(2027, 3, 31), SHANGHAI)
    assert start == datetime.datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
    assert end == datetime.datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    one_day = day_bounds(datetime.date(2027, 1, 1), datetime.date(2027, 1, 1), UTC)
    assert one_day == (datetime.datetime(2027, 1, 1, tzinfo=UTC), datetime.datetime(2027, 1, 2, tzinfo=UTC))


def test_assigned_counts_items_made_by_their_current_assignee():
    made = [{"assignee_id": "u1"}, {"assignee_id": "u1"}, {"assignee_id": "u2"}, {"assignee_id": None}, {}]
    measures = performance.assignee_measures(made, [])
    assert measures == {
        "u1": {"assigned": 2, "resolved": 0, "resolved_within_sla": 0, "median_hours_to_resolve": None,
               "resolve_hours": []},
        "u2": {"assigned": 1, "resolved": 0, "resolved_within_sla": 0, "median_hours_to_resolve": None,
               "resolve_hours": []}}


def test_medians_of_hours_to_resolve_odd_and_even():
    items = [resolved("u1", 10), resolved("u1", 2), resolved("u1", 30),
             resolved("u2", 1), resolved("u2", 4.25), resolved("u2", 8), resolved("u2", 100)]
    measures = performance.assignee_measures([], items)
    assert measures["u1"]["median_hours_to_resolve"] == 10.0 and measures["u1"]["resolved"] == 3
    assert measures["u2"]["median_hours_to_resolve"] == 6.1  # (4.25 + 8) / 2 = 6.125
    assert measures["u2"]["resolve_hours"] == [1.0, 4.25, 8.0, 100.0]
    odd = [dict(resolved("u3", 0), first_resolved_at=T0 + datetime.timedelta(minutes=20))]
    assert performance.assignee_measures([], odd)["u3"]["median_hours_to_resolve"] == 0.3


def test_the_sla_is_met_on_its_deadline_exactly_and_missed_a_moment_after():
    deadline = resolved("u1", 24, due_in=24)
    late = dict(resolved("u1", 24, due_in=24), first_resolved_at=T0 + hours(24) + datetime.timedelta(seconds=1))
    assert performance.assignee_measures([], [deadline])["u1"]["resolved_within_sla"] == 1
    assert performance.assignee_measures([], [late])["u1"]["resolved_within_sla"] == 0
    # the verdict kept at the resolution decides: a breach after a reopening counts against it, and a
    # due time moved by the reopening changes nothing
    kept = [resolved("u2", 30, due_in=24, sla_met=True), resolved("u2", 2, due_in=24, sla_met=False),
            resolved("u2", 2, due_in=24, sla_met=True, breached=T0 + hours(500)), resolved("u2", 24, due_in=24)]
    measures = performance.assignee_measures([], kept)["u2"]
    assert (measures["resolved"], measures["resolved_within_sla"]) == (4, 2)


def test_a_resolution_counts_for_the_assignee_at_the_first_resolution():
    items = [resolved("u-now", 5, first_assignee="u-then"), resolved("u-now", 7),
             resolved(None, 3, first_assignee=None)]
    measures = performance.assignee_measures([{"assignee_id": "u-now"}], items)
    assert measures["u-then"] == {"assigned": 0, "resolved": 1, "resolved_within_sla": 1,
                                  "median_hours_to_resolve": 5.0, "resolve_hours": [5.0]}
    assert measures["u-now"] == {"assigned": 1, "resolved": 1, "resolved_within_sla": 1,
                                 "median_hours_to_resolve": 7.0, "resolve_hours": [7.0]}
    assert set(measures) == {"u-then", "u-now"}


def test_customers_csat_sums_and_nps_buckets():
    answers = [{"customer_id": "c1", "rating": 5, "nps": 6}, {"customer_id": "c1", "rating": 3, "nps": 7},
               {"customer_id": "c1", "rating": None, "nps": 8}, {"customer_id": "c1", "rating": 4, "nps": 9},
               {"customer_id": "c2", "rating": 1, "nps": None}, {"customer_id": "c2", "rating": 2, "nps": 0},
               {"customer_id": "c2", "rating": None, "nps": 10},
               {"customer_id": "c3", "rating": None, "nps": None},  # text answers only
               {"customer_id": "c4", "rating": 6, "nps": 11}, {"customer_id": "c4", "rating": True, "nps": -1}]
    assert performance.customer_measures(answers) == {
        "c1": {"csat_sum": 12, "csat_count": 3, "promoters": 1, "passives": 2, "detractors": 1},
        "c2": {"csat_sum": 3, "csat_count": 2, "promoters": 1, "passives": 0, "detractors": 1}}
    assert performance.compute([], [], []) == {"assignees": {}, "customers": {}}


# The use case on the real database server.

SITE, OTHER = "site-perf-a", "site-perf-b"
READER = Caller("u-reader", [SITE], ["feedback:read"])
MANAGER = Caller("u-manager", [SITE], ["targets:manage"])
# 2027-03-01 00:00 and 2027-04-01 00:00 in Shanghai (UTC+8)
START = datetime.datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
END = datetime.datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
MS = datetime.timedelta(milliseconds=1)


def item(ident, created, assignee="u1", first_resolved=None, site=SITE, due=None, sla_met=None):
    return {"_id": ident, "site_id": site, "customer_id": "c1", "status": "resolved" if first_resolved else "assigned",
            "assignee_id": assignee, "first_resolved_assignee_id": assignee if first_resolved else None,
            "created_at": created, "first_resolved_at": first_resolved, "due_at": due or created + hours(24),
            "sla_met": sla_met, "sla_breached_at": None, "version": 1}


def link(ident, answered, customer="c1", rating=None, nps=None, site=SITE):
    return {"_id": ident, "site_id": site, "customer_id": customer, "answered_at": answered, "rating": rating,
            "nps": nps, "created_at": answered - hours(1)}


@pytest.fixture
def seeded(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    db.site_directory.insert_many([
        {"_id": SITE, "code": "PA", "name": "Plant A", "timezone": "Asia/Shanghai", "status": "active", "version": 1},
        {"_id": OTHER, "code": "PB", "name": "Plant B", "timezone": "UTC", "status": "active", "version": 1}])
    db.feedback.insert_many([
        item("first-moment", START, first_resolved=START + hours(4), sla_met=True),
        item("before", START - MS, first_resolved=START + hours(2), sla_met=True),  # resolved in, made before
        item("last-moment", END - MS, assignee="u2"),
        item("after", END, assignee="u2", first_resolved=END + hours(1)),
        item("late", START + hours(10), first_resolved=START + hours(40), sla_met=False),
        item("queued", START + hours(11), assignee=None),
        item("elsewhere", START + hours(12), site=OTHER, first_resolved=START + hours(13)),
    ])
    db.survey_links.insert_many([
        link("l1", START, rating=4, nps=9), link("l2", END - MS, rating=2, nps=6), link("l3", END, rating=5, nps=10),
        link("l4", START - MS, rating=1), link("l5", START + hours(1), customer="c2", nps=7),
        link("l6", START + hours(1), customer="c3", site=OTHER, rating=5),
    ])
    finds.clear()
    return db, finds


def test_the_measures_of_a_period_from_the_database(seeded):
    db, finds = seeded
    measures = performance.staff_measures(db, READER, SITE, "2027-03-01", "2027-03-31")
    assert measures == {
        "assignees": {
            "u1": {"assigned": 2, "resolved": 3, "resolved_within_sla": 2, "median_hours_to_resolve": 4.0,
                   "resolve_hours": [2.0, 4.0, 30.0]},
            "u2": {"assigned": 1, "resolved": 0, "resolved_within_sla": 0, "median_hours_to_resolve": None,
                   "resolve_hours": []}},
        "customers": {
            "c1": {"csat_sum": 6, "csat_count": 2, "promoters": 1, "passives": 0, "detractors": 1},
            "c2": {"csat_sum": 0, "csat_count": 0, "promoters": 0, "passives": 1, "detractors": 0}}}
    assert performance.staff_measures(db, MANAGER, SITE, "2027-04-01", "2027-04-01")["assignees"] == {
        "u2": {"assigned": 1, "resolved": 1, "resolved_within_sla": 1, "median_hours_to_resolve": 1.0,
               "resolve_hours": [1.0]}}
    queries = finds.of("feedback") + finds.of("survey_links")
    assert len(queries) == 6
    assert all(index_served(db[name], query) for name, query in finds.sent if name != "site_directory")
    for query in queries:
        assert query["site_id"] == SITE and len(query) == 2


def test_who_may_ask_and_what_input_is_refused(seeded):
    db, _ = seeded
    with pytest.raises(Forbidden):
        performance.staff_measures(db, Caller("u-x", [SITE], ["customers:read"]), SITE, "2027-03-01", "2027-03-31")
    with pytest.raises(NotFound):
        performance.staff_measures(db, READER, OTHER, "2027-03-01", "2027-03-31")
    everywhere = Caller("u-all", [], ["feedback:read", "sites:all"])
    assert performance.staff_measures(db, everywhere, OTHER, "2027-03-01", "2027-03-31")["assignees"]["u1"][
        "resolved"] == 1
    for since, until, field in (("2027-02-30", "2027-03-31", "since"), ("2027-03-01", None, "until"),
                                ("2027-03-31", "2027-03-01", "until"), ("2027-01-01", "2028-01-02", "until"),
                                (20270301, "2027-03-31", "since")):
        with pytest.raises(ValidationFailed) as refused:
            performance.staff_measures(db, READER, SITE, since, until)
        assert set(refused.value.fields) == {field}, (since, until)
    with pytest.raises(ValidationFailed) as no_site:
        performance.staff_measures(db, READER, "", "2027-03-01", "2027-03-31")
    assert set(no_site.value.fields) == {"site_id"}
    for since, until in (("2028-01-01", "2028-12-31"), ("2027-01-01", "2028-01-01")):  # 366 days at most
        assert set(performance.staff_measures(db, READER, SITE, since, until)) == {"assignees", "customers"}
