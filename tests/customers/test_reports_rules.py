"""Report helpers and settings as plain functions."""
import datetime

import pytest

from services.common.auth import Caller
from services.common.errors import NotFound, ValidationFailed
from services.customers import reports, settings

TODAY = datetime.date(2026, 6, 1)


def test_period_defaults_to_the_last_year_and_takes_dates_or_times():
    assert reports.period({}, TODAY) == (datetime.date(2025, 6, 1), TODAY)
    assert reports.period({"since": "2026-01-01T00:00:00+00:00", "until": "2026-03-31"}, TODAY) == (
        datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    with pytest.raises(ValidationFailed):
        reports.period({"since": "2026-04-01", "until": "2026-03-31"}, TODAY)
    with pytest.raises(ValidationFailed):
        reports.period({"since": "soon"}, TODAY)


def test_reports_need_the_permission_and_one_of_your_sites():
    caller = Caller("u1", ["s1"], ["reports:read"])
    assert reports.prepare(caller, {"site_id": "s1"})[1] == "s1" and reports.prepare(caller, {})[1] is None
    with pytest.raises(NotFound):
        reports.prepare(caller, {"site_id": "s2"})
    with pytest.raises(ValidationFailed):
        reports.prepare(caller, {"owner": "x"})


def test_days_fold_into_months():
    days = [{"_id": "2026-01-03", "amount": 10.5, "orders": 1}, {"_id": "2026-01-20", "amount": 4.5, "orders": 2},
            {"_id": "2026-02-01", "amount": 1, "orders": 1}]
    assert reports.by_month(days) == [{"month": "2026-01", "amount": 15.0, "orders": 3},
                                      {"month": "2026-02", "amount": 1, "orders": 1}]


def test_sales_roll_up_to_the_top_account_you_can_see():
    refs = {"g": {"site_id": "s1", "legal_name": "Group", "parent_id": None},
            "e": {"site_id": "s1", "legal_name": "Entity", "parent_id": "g"},
            "p": {"site_id": "s1", "legal_name": "Plant", "parent_id": "e"},
            "x": {"site_id": "s1", "legal_name": "Other", "parent_id": "hidden"},
            "hidden": {"site_id": "s9", "legal_name": "Secret", "parent_id": None}}
    rows = [{"_id": "p", "amount": 100, "orders": 1}, {"_id": "e", "amount": 50, "orders": 2},
            {"_id": "x", "amount": 70, "orders": 1}]
    groups = reports.roll_up(Caller("u1", ["s1"], []), rows, refs)
    assert groups == [{"customer_id": "g", "legal_name": "Group", "amount": 150, "orders": 3, "accounts": 2},
                      {"customer_id": "x", "legal_name": "Other", "amount": 70, "orders": 1, "accounts": 1}]


def test_conversion_is_won_over_decided():
    assert reports.conversion(3, 1) == {"won": 3, "lost": 1, "rate": 0.75}
    assert reports.conversion(0, 0)["rate"] is None


def test_settings_fill_in_defaults():
    stored = {"tier_thresholds": {"key_orders": 6}, "followup_days": {"vip": 14}, "version": 2}
    effective = settings.effective(stored)
    assert effective["tier_thresholds"]["key_orders"] == 6 and effective["tier_thresholds"]["vip_amount"] == 1000000
    assert effective["followup_days"] == {"vip": 14, "key": 60, "general": 90}
    assert effective["review_days"] == 90 and effective["version"] == 2
    assert settings.effective(None)["version"] == 0
