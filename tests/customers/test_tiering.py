"""Tier rules as plain functions."""
import datetime

from services.customers import settings, tiering

T = settings.DEFAULTS["tier_thresholds"]
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


def test_amounts_read_with_spaces_between_thousands():
    assert tiering.amount_text(1250000) == "1 250 000"
    assert tiering.amount_text(1234.5) == "1 234.50"
    assert tiering.amount_text(0) == "0"


def test_vip_by_amount_explains_why():
    tier = tiering.computed_tier(1250000, 3, 0.5, T)
    assert tier == {"level": "vip", "reasons": ["12-month amount 1 250 000 ≥ 1 000 000"]}


def test_vip_by_amount_and_years():
    tier = tiering.computed_tier(600000, 2, 3.4, T)
    assert tier["level"] == "vip"
    assert tier["reasons"] == ["12-month amount 600 000 ≥ 500 000 and customer for 3.4 years ≥ 3"]
    assert tiering.computed_tier(600000, 2, 2.9, T)["level"] == "key"


def test_key_by_amount_or_order_count():
    assert tiering.computed_tier(200000, 1, 0, T) == {"level": "key", "reasons": ["12-month amount 200 000 ≥ 200 000"]}
    assert tiering.computed_tier(5000, 12, 0, T) == {"level": "key", "reasons": ["12 orders in 12 months ≥ 12"]}


def test_general_says_what_is_missing():
    tier = tiering.computed_tier(199999.5, 11, 10, T)
    assert tier["level"] == "general"
    assert tier["reasons"] == ["12-month amount 199 999.50 < 200 000", "11 orders in 12 months < 12"]


def test_site_thresholds_apply():
    own = dict(T, key_amount=50000, vip_amount=100000)
    assert tiering.computed_tier(120000, 1, 0, own)["reasons"] == ["12-month amount 120 000 ≥ 100 000"]


def test_years_count_from_the_first_order_or_creation_whichever_is_earlier():
    today = datetime.date(2026, 6, 1)
    assert round(tiering.years_as_customer(datetime.date(2023, 6, 1), datetime.date(2025, 1, 1), today), 1) == 3.0
    assert round(tiering.years_as_customer(None, datetime.date(2025, 6, 1), today), 1) == 1.0
    assert tiering.years_as_customer(None, None, today) == 0.0


def test_an_override_wins_until_it_expires():
    computed = {"level": "general", "reasons": ["x"]}
    override = {"level": "vip", "reason": "strategic account", "expires_at": "2026-07-01T00:00:00Z"}
    tier = tiering.effective_tier(computed, override, NOW)
    assert tier["level"] == "vip" and tier["overridden"] and tier["override"] == override
    assert tier["reasons"] == ["Set by hand: strategic account (until 2026-07-01)"]
    assert tier["computed"] == computed
    later = tiering.effective_tier(computed, override, datetime.datetime(2026, 7, 2, tzinfo=datetime.timezone.utc))
    assert later["level"] == "general" and not later["overridden"] and "override" not in later
    forever = tiering.effective_tier(computed, dict(override, expires_at=None), NOW)
    assert forever["reasons"] == ["Set by hand: strategic account"]


def test_times_are_stored_as_fixed_width_text():
    moment = datetime.datetime(2026, 6, 1, 8, 30, 15, 999, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert tiering.time_text(moment) == "2026-06-01T00:30:15Z"
    assert tiering.parse_time("2026-06-01T00:30:15Z") == moment.replace(microsecond=0)
