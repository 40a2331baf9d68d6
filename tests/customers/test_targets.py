"""Periods, attainment and the tallies of staff measures: the plain rules of targets and scorecards."""
import collections
import datetime
import zoneinfo

import pytest

from services.common.errors import ValidationFailed
from services.customers import credits, performance, periods, scorecards, targets

D = datetime.date


@pytest.mark.parametrize("key, since, until", [
    ("2027", D(2027, 1, 1), D(2027, 12, 31)),
    ("2027-Q1", D(2027, 1, 1), D(2027, 3, 31)),
    ("2028-Q1", D(2028, 1, 1), D(2028, 3, 31)),
    ("2027-Q4", D(2027, 10, 1), D(2027, 12, 31)),
    ("2028-02", D(2028, 2, 1), D(2028, 2, 29)),
    ("2027-02", D(2027, 2, 1), D(2027, 2, 28)),
    ("2027-12", D(2027, 12, 1), D(2027, 12, 31)),
])
def test_periods(key, since, until):
    period = periods.parse(key)
    assert (period.since, period.until, period.key) == (since, until, key)


@pytest.mark.parametrize("key", ["2027-Q5", "2027-Q0", "2027-13", "2027-00", "27", "1999", "2101", "2027-1",
                                 "2027-q1", "", None, 2027, "2027-Q1 ", "２０２７"])
def test_bad_periods_are_422_on_the_field(key):
    with pytest.raises(ValidationFailed) as refused:
        periods.parse(key)
    assert "period" in refused.value.fields


def test_a_period_s_months():
    assert periods.parse("2027").months()[::11] == ["2027-01", "2027-12"] and len(periods.parse("2027").months()) == 12
    assert periods.parse("2027-Q4").months() == ["2027-10", "2027-11", "2027-12"]
    assert periods.parse("2027-02").months() == ["2027-02"]


def test_the_period_containing_a_day():
    day = D(2027, 5, 17)
    assert [periods.containing(day, kind).key for kind in periods.KINDS] == ["2027", "2027-Q2", "2027-05"]


def test_a_period_s_days_run_in_the_site_s_time_zone():
    start, end = periods.parse("2027-03").bounds(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert start == datetime.datetime(2027, 2, 28, 16, tzinfo=datetime.timezone.utc)
    assert end == datetime.datetime(2027, 3, 31, 16, tzinfo=datetime.timezone.utc)


def test_progress_in_the_middle_of_a_period():
    period = periods.parse("2027-04")  # 30 days
    shown = targets.progress(3000.0, 10000.0, period, D(2027, 4, 10))
    assert shown == {"actual": 3000.0, "percent": 0.3, "remaining": 7000.0, "days_elapsed": 10, "days_total": 30,
                     "run_rate_needed": 350.0, "projection": 9000.0}


def test_progress_before_after_and_beyond_the_target():
    period = periods.parse("2027-04")
    before = targets.progress(0, 100.0, period, D(2027, 3, 1))
    assert (before["days_elapsed"], before["projection"], before["run_rate_needed"]) == (0, None, round(100 / 30, 2))
    after = targets.progress(120.0, 100.0, period, D(2027, 6, 1))
    assert (after["percent"], after["remaining"], after["run_rate_needed"], after["projection"]) == (
        1.2, 0, None, 120.0)
    hidden = targets.progress(None, 100.0, period, D(2027, 4, 2))
    assert hidden["actual"] is None and hidden["percent"] is None and hidden["projection"] is None


def test_measures_of_a_user_a_team_and_the_site():
    tallies = performance.Tallies()
    for user, key, value in (("ann", "order_amount", 1000.5), ("ann", "orders", 2), ("bo", "order_amount", 500),
                             ("bo", "orders", 1), (None, "order_amount", 99), ("ann", "opportunities_won", 3),
                             ("ann", "opportunities_lost", 1), ("ann", "interactions.call", 2),
                             ("bo", "interactions.visit", 1), ("ann", "promoters", 2), ("ann", "detractors", 1),
                             ("bo", "passives", 1), ("ann", "csat_sum", 9), ("ann", "csat_count", 2)):
        tallies.add(user, key, value)
    tallies.resolve_hours.update({"ann": [1.0, 5.0], "bo": [3.0]})
    ann = performance.measures(tallies, ["ann"], True)
    assert (ann["order_amount"], ann["orders"], ann["win_rate"], ann["csat"], ann["nps"]) == (1000.5, 2, 0.75, 4.5, 33)
    assert ann["interactions"] == {"call": 2, "meeting": 0, "email": 0, "visit": 0, "total": 2}
    assert ann["median_hours_to_resolve"] == 3.0
    team = performance.measures(tallies, ["ann", "bo"], True)
    assert (team["order_amount"], team["orders"], team["nps"], team["median_hours_to_resolve"]) == (1500.5, 3, 25, 3.0)
    site = performance.measures(tallies, [performance.SITE], True)
    assert site["order_amount"] == 1599.5 and site["interactions"]["total"] == 3
    hidden = performance.measures(tallies, ["ann"], False)
    assert hidden["order_amount"] is None and hidden["payments"] is None and hidden["orders"] == 2
    assert performance.value_of(team, "interactions") == 3
    nobody = performance.measures(tallies, ["cy"], True)
    assert (nobody["win_rate"], nobody["csat"], nobody["nps"], nobody["median_hours_to_resolve"]) == (
        None, None, None, None)


def test_what_a_record_counts_for_is_stamped_as_it_is_written():
    now = datetime.datetime(2027, 4, 2, 8, tzinfo=datetime.timezone.utc)
    customer = {"owner_id": "ann"}
    assert credits.on_create("orders", customer, {}, now) == {"owner_id": "ann"}
    assert credits.on_create("opportunities", customer, {"stage": "won"}, now) == {"owner_id": "ann",
                                                                                   "decided_at": now}
    assert credits.on_create("followups", customer, {"status": "open"}, now) == {"done_at": None}
    assert credits.on_update("opportunities", {"stage": "proposal"}, {"stage": "lost"}, now) == {"decided_at": now}
    assert credits.on_update("opportunities", {"stage": "won"}, {"stage": "proposal"}, now) == {"decided_at": None}
    assert credits.on_update("opportunities", {"stage": "won"}, {"title": "x"}, now) == {}
    assert credits.on_update("followups", {"status": "open"}, {"status": "done"}, now) == {"done_at": now}
    assert credits.on_create("contacts", customer, {}, now) == {}


def test_tallies_of_several_holders_add_up():
    tallies = performance.Tallies()
    tallies.add("ann", "orders", 2)
    tallies.add("bo", "orders", 3)
    assert tallies.of(["ann", "bo"]) == collections.Counter({"orders": 5})
    assert tallies.of([performance.SITE])["orders"] == 5


def test_a_leaderboard_ranks_best_first_ties_shared_and_no_value_last():
    rows = [{"user_id": u, "name": u, "value": v} for u, v in (("a", 5), ("b", None), ("c", 9), ("d", 5), ("e", 0))]
    best = scorecards.ranked([dict(r) for r in rows], "order_amount")
    assert [(r["user_id"], r["rank"]) for r in best] == [("c", 1), ("a", 2), ("d", 2), ("e", 4), ("b", 5)]
    quickest = scorecards.ranked([dict(r) for r in rows], "median_hours_to_resolve")
    assert [(r["user_id"], r["rank"]) for r in quickest] == [("e", 1), ("a", 2), ("d", 2), ("c", 4), ("b", 5)]


def test_records_stored_before_the_stamps_count_by_their_history(db):
    """An opportunity decided before ``decided_at`` gets it from its stage history once; a follow-up done
    before ``done_at`` counts by its last change; an order without an owner stamp counts for the
    customer's owner now."""
    from services.common.auth import Caller

    at = datetime.datetime(2027, 4, 10, 3, tzinfo=datetime.timezone.utc)
    db.customers.insert_one({"_id": "c1", "site_id": "s1", "owner_id": "ann", "deleted_at": None})
    db.opportunities.insert_one({"_id": "o1", "site_id": "s1", "customer_id": "c1", "stage": "won", "deleted_at": None,
                                 "updated_at": at, "stage_history": [
                                     {"stage": "proposal", "at": "2027-03-01T00:00:00+00:00"},
                                     {"stage": "won", "at": at.isoformat()}]})
    db.followups.insert_one({"_id": "f1", "site_id": "s1", "customer_id": "c1", "status": "done",
                             "due_date": "2027-04-12", "assignee_id": "bo", "updated_at": at, "deleted_at": None})
    db.orders.insert_one({"_id": "r1", "site_id": "s1", "customer_id": "c1", "order_date": "2027-04-02",
                          "status": "confirmed", "total_amount": 500.0, "deleted_at": None})
    credits.stamp_stored(db)
    assert db.opportunities.find_one({"_id": "o1"})["decided_at"].replace(tzinfo=datetime.timezone.utc) == at
    tallies = performance.tally(db, Caller.service("test"), "s1", periods.parse("2027-04"), today=D(2027, 4, 30),
                                feedback=False)
    assert performance.measures(tallies, ["ann"], True)["opportunities_won"] == 1
    assert performance.measures(tallies, ["ann"], True)["order_amount"] == 500.0
    assert performance.measures(tallies, ["bo"], True)["followups_on_time"] == 1
