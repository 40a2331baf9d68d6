"""Lifecycle stage and churn risk as plain functions."""
import datetime

from services.customers import lifecycle

TODAY = datetime.date(2026, 6, 1)


def orders(*spec):
    """(days ago, amount) pairs -> order dicts."""
    return [{"order_date": (TODAY - datetime.timedelta(days=ago)).isoformat(), "total_amount": amount}
            for ago, amount in spec]


def stats(*spec):
    return lifecycle.order_stats(orders(*spec), TODAY)


def test_order_figures():
    figures = stats((10, 100), (40, 200), (400, 50), (800, 1000))
    assert figures["count"] == 4 and figures["orders_12m"] == 2
    assert figures["amount_12m"] == 300 and figures["amount_prev_12m"] == 50
    assert figures["cadence_days"] == 360 and figures["days_since_last"] == 10
    assert figures["years_with_orders"] == {0, 1, 2}


def test_stages_from_prospect_to_loyal():
    assert lifecycle.stage(stats()) == "prospect"
    assert lifecycle.stage(stats((10, 1))) == "first_purchase"
    assert lifecycle.stage(stats((10, 1), (50, 1))) == "repeat"
    assert lifecycle.stage(stats((10, 1), (400, 1), (750, 1))) == "loyal"
    ten_over_two_years = stats(*[(10 + 10 * n, 1) for n in range(9)] + [(800, 1)])
    assert ten_over_two_years["years_with_orders"] == {0, 2}
    assert lifecycle.stage(ten_over_two_years) == "loyal"
    assert lifecycle.stage(stats(*[(10 + 10 * n, 1) for n in range(10)])) == "repeat"


def test_dormant_after_twice_the_usual_gap_and_at_least_180_days():
    assert lifecycle.stage(stats((181, 1))) == "dormant"
    assert lifecycle.stage(stats((170, 1), (200, 1))) == "repeat"
    assert lifecycle.stage(stats((300, 1), (500, 1))) == "repeat"
    assert lifecycle.stage(stats((401, 1), (601, 1))) == "dormant"


def test_no_risk_for_a_steady_customer():
    risk = lifecycle.churn_risk(stats((20, 100), (50, 100), (80, 100), (400, 300)), [], TODAY)
    assert risk == {"level": "none", "reasons": []}


def test_order_gap_longer_than_usual_is_low_twice_as_long_is_high():
    low = lifecycle.churn_risk(stats((45, 100), (75, 100), (105, 100)), [], TODAY)
    assert low["level"] == "low"
    assert low["reasons"] == ["No order for 45 days; the usual gap between orders is 30 days"]
    assert lifecycle.churn_risk(stats((65, 100), (95, 100), (125, 100)), [], TODAY)["level"] == "high"


def test_short_gaps_are_not_flagged_under_two_weeks():
    assert lifecycle.churn_risk(stats((9, 1), (14, 1), (19, 1)), [], TODAY)["level"] == "none"


def test_falling_spend():
    low = lifecycle.churn_risk(stats((10, 60000), (400, 100000)), [], TODAY)
    assert low["reasons"][-1] == "12-month spend 60 000 is 40 % below the previous 12 months (100 000)"
    high = lifecycle.churn_risk(stats((10, 30000), (400, 100000)), [], TODAY)
    assert high["level"] == "high"


def test_low_feedback_scores_count_when_recent():
    recent = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc)
    old = datetime.datetime(2025, 5, 1, tzinfo=datetime.timezone.utc)
    one = lifecycle.churn_risk(stats(), [{"rating": 2, "nps": None, "at": recent},
                                         {"rating": 5, "nps": 9, "at": recent},
                                         {"rating": 1, "nps": None, "at": old}], TODAY)
    assert one == {"level": "low", "reasons": [
        "1 low feedback score in the last 180 days (rating ≤ 2 or NPS ≤ 6)"]}
    two = lifecycle.churn_risk(stats(), [{"rating": None, "nps": 6, "at": recent}, {"rating": 1, "at": recent}], TODAY)
    assert two["level"] == "high"


def test_risk_rises_only_upwards():
    assert lifecycle.risk_rose("none", "low") and lifecycle.risk_rose("low", "high")
    assert lifecycle.risk_rose(None, "high")
    assert not lifecycle.risk_rose("high", "low") and not lifecycle.risk_rose("low", "low")
