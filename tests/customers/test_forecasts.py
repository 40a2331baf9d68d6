"""Reorder forecasts back-tested on generated order histories of known cadence (the last orders held
out), their rules on small hand-made histories, the forecast kept on the customer with its due key,
the expected-orders list, the automation date, and the recommendations (on the real DB)."""
import datetime
import random
import statistics

import pytest

from services.common.auth import Caller
from services.common.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from services.customers import archive, dates, effects, forecasts, listing, parts, recommendations, reorders, store
from tests.support import order_histories

CUSTOMERS_PER_KIND = 60
HOLD_OUT = 3
# Mean absolute error of the held-out orders: (days, amount as a share of the actual amount). The
# noise floors: a gap of 30/60/90 days ± 10 % (sd 3/6/9 days) alone costs 2.4/4.8/7.2 days, an amount
# ± 15 % alone 12 %; the irregular gaps (10 to 120 days, evenly) 27.5 days.
BOUNDS = {"regular_30": (3.5, 0.16), "regular_60": (6.5, 0.17), "regular_90": (9.5, 0.17), "trend": (3.5, 0.13),
          "seasonal": (3.5, 0.14), "irregular": (35.0, 0.65)}


def back_test(kind, customers=CUSTOMERS_PER_KIND, hold_out=HOLD_OUT, seed=19):
    """``{days, amount, date_cover, amount_cover}`` over ``customers`` generated histories of ``kind``,
    each forecast from its history less the last ``k`` orders for k = 1..hold_out, against the k-th last."""
    rng = random.Random("%s-%s" % (seed, kind))
    days, amounts, dates_in, amounts_in = [], [], 0, 0
    for _ in range(customers):
        history = order_histories.history(kind, rng)
        for k in range(1, hold_out + 1):
            found = forecasts.predict(history[:-k])
            day, amount = history[-k]
            days.append(abs((found["expected"] - day).days))
            amounts.append(abs(found["value"] - amount) / amount)
            dates_in += found["earliest"] <= day <= found["latest"]
            amounts_in += found["low"] <= amount <= found["high"]
    n = len(days)
    return {"days": statistics.mean(days), "amount": statistics.mean(amounts), "date_cover": dates_in / n,
            "amount_cover": amounts_in / n}


@pytest.mark.parametrize("kind", order_histories.KINDS)
def test_held_out_orders_are_forecast_within_the_stated_error(kind):
    figures = back_test(kind)
    max_days, max_amount = BOUNDS[kind]
    assert figures["days"] <= max_days, figures
    assert figures["amount"] <= max_amount, figures
    # the 80 % ranges hold about 80 % of what came (a trend's amount range a little less)
    assert 0.70 <= figures["date_cover"] <= 0.92, figures
    assert 0.65 <= figures["amount_cover"] <= 0.92, figures


def test_the_seasonal_and_trend_histories_are_read_as_such():
    rng = random.Random(3)
    seasonal = forecasts.predict(order_histories.history("seasonal", rng))
    trend = forecasts.predict(order_histories.history("trend", rng))
    regular = forecasts.predict(order_histories.history("regular_30", rng, orders=12))
    assert "+seasonal" in seasonal["method"]
    assert "+gap_trend" in trend["method"] and "+amount_trend" in trend["method"]
    assert regular["method"] == "cadence"


def day(text):
    return datetime.date.fromisoformat(text)


def test_three_orders_make_a_forecast_and_two_do_not():
    orders = [{"order_date": "2026-01-05", "total_amount": 1000.0},
              {"order_date": "2026-02-04", "total_amount": 1200.0}]
    none = forecasts.customer_forecast(orders, day("2026-03-01"))
    assert none["method"] == "insufficient_history" and none["next_order"] is None and none["overdue_days"] is None
    assert none["history"] == {"orders": 2, "first_order_date": "2026-01-05", "last_order_date": "2026-02-04",
                               "median_gap_days": 30.0}
    assert forecasts.stored(orders) is None
    orders.append({"order_date": "2026-03-08", "total_amount": 1100.0})
    found = forecasts.customer_forecast(orders, day("2026-04-20"))
    assert found["method"] == "cadence"
    nxt = found["next_order"]
    # median gap of 30 and 32 days is 31; median amount 1100; t interval of two residuals (± 1 day, ± 100)
    assert nxt["expected_date"] == "2026-04-08" and nxt["expected_amount"] == 1100.0 and nxt["confidence"] == 0.8
    assert nxt["earliest"] < "2026-04-08" < nxt["latest"] and nxt["amount_low"] < 1100 < nxt["amount_high"]
    assert found["overdue_days"] == 12
    assert forecasts.stored(orders) == {"next_order_date": "2026-04-08", "amount": 1100.0,
                                        "low": nxt["amount_low"], "high": nxt["amount_high"],
                                        "earliest": nxt["earliest"], "latest": nxt["latest"]}


def test_a_kept_forecast_is_reused_while_its_orders_are_the_same():
    orders = [{"order_date": d, "total_amount": 800.0} for d in ("2026-01-01", "2026-02-01", "2026-03-01")]
    made = forecasts.derived({}, orders)
    assert made["forecast"] == forecasts.stored(orders) and made["forecast_basis"] == forecasts.basis(orders)
    kept = {"forecast": {"next_order_date": "kept"}, "forecast_basis": made["forecast_basis"]}
    assert forecasts.derived(kept, orders)["forecast"] == {"next_order_date": "kept"}
    changed = orders + [{"order_date": "2026-03-01", "total_amount": 1.0}]
    assert forecasts.derived(kept, changed)["forecast"] == forecasts.stored(changed)


def test_orders_of_one_day_are_one_purchase():
    orders = [{"order_date": d, "total_amount": 500.0} for d in ("2026-01-01", "2026-01-01", "2026-02-01",
                                                                 "2026-03-01", "2026-03-01")]
    assert forecasts.purchases(orders) == [(day("2026-01-01"), 1000.0), (day("2026-02-01"), 500.0),
                                           (day("2026-03-01"), 1000.0)]
    found = forecasts.customer_forecast(orders, day("2026-03-02"))
    assert found["history"]["orders"] == 5 and found["next_order"]["expected_amount"] == 1000.0


def test_each_product_with_three_order_days_gets_its_forecast_largest_amount_first():
    orders = []
    for n in range(6):
        lines = [{"product": "Spindle", "quantity": 10, "amount": 5000.0}]
        if n % 2 == 0:
            lines.append({"product": "Coolant", "quantity": 4, "amount": 400.0})
        if n == 0:
            lines.append({"product": "Once", "quantity": 1, "amount": 99999.0})
        orders.append({"order_date": (day("2026-01-01") + datetime.timedelta(days=30 * n)).isoformat(),
                       "total_amount": sum(line["amount"] for line in lines), "lines": lines})
    found = forecasts.product_forecasts(orders)
    assert [p["product"] for p in found] == ["Spindle", "Coolant"]
    assert found[0]["expected_date"] == "2026-06-30" and found[0]["expected_quantity"] == 10
    assert found[0]["expected_amount"] == 5000.0
    assert found[1]["expected_date"] == "2026-06-30" and found[1]["expected_quantity"] == 4


# On the database

PERMS = ["customers:read", "customers:write", "orders:read", "orders:write"]
SALES = Caller("u-sales", ["site-a"], PERMS)
OTHER_SITE = Caller("u-other", ["site-b"], PERMS)
NO_ORDERS = Caller("u-service", ["site-a"], ["customers:read"])


def customer_with_orders(db, name, order_dates, products=("Spindle",), site="site-a", caller=SALES, **fields):
    customer = archive.create_customer(db, caller, dict({"legal_name": name, "site_id": site}, **fields), force=True)
    hooks = effects.Effects(db)
    for n, when in enumerate(order_dates):
        parts.create_part(db, caller, customer["id"], "orders", {
            "number": "SO-%s-%d" % (name[:4], n), "order_date": when,
            "lines": [{"product": product, "quantity": 2, "amount": 1000.0} for product in products]}, hooks)
    return customer["id"]


def test_an_order_write_keeps_the_forecast_and_its_due_key(db):
    customer_id = customer_with_orders(db, "Regular Works", ["2026-01-05", "2026-02-04"])
    stored = store.find_customer(db, customer_id)
    assert stored.get("forecast") is None and not any(k.startswith("expected_order:") for k in stored["due_keys"])
    parts.create_part(db, SALES, customer_id, "orders", {"number": "SO-3", "order_date": "2026-03-06",
                                                        "lines": [{"product": "Spindle", "quantity": 2,
                                                                   "amount": 3000.0}]}, effects.Effects(db))
    stored = store.find_customer(db, customer_id)
    assert stored["forecast"]["next_order_date"] == "2026-04-05" and stored["forecast"]["amount"] == 1000.0
    assert "expected_order:2026-04-05" in stored["due_keys"]
    assert listing.due_keys(stored) == stored["due_keys"]
    shown = archive.get_customer(db, SALES, customer_id)["forecast"]
    assert shown == {"next_order_date": "2026-04-05", "earliest": stored["forecast"]["earliest"],
                     "latest": stored["forecast"]["latest"]}


def test_the_forecast_of_a_customer_and_who_may_read_it(db):
    customer_id = customer_with_orders(db, "Monthly Works", ["2026-01-01", "2026-01-31", "2026-03-02", "2026-04-01"],
                                       products=("Spindle", "Belt"))
    found = reorders.forecast(db, SALES, customer_id, today=day("2026-05-11"))
    assert found["customer_id"] == customer_id and found["method"] == "cadence"
    assert found["next_order"]["expected_date"] == "2026-05-01" and found["overdue_days"] == 10
    assert found["history"]["orders"] == 4 and found["history"]["median_gap_days"] == 30.0
    assert [p["product"] for p in found["products"]] == ["Belt", "Spindle"]
    with pytest.raises(NotFound):
        reorders.forecast(db, OTHER_SITE, customer_id)
    with pytest.raises(Forbidden):
        reorders.forecast(db, NO_ORDERS, customer_id)


def test_expected_orders_by_date_a_page_at_a_time_overdue_ones_when_asked(db):
    today = day("2026-05-01")
    soon = customer_with_orders(db, "Soon Works", ["2026-02-10", "2026-03-12", "2026-04-11"])  # expected 05-11
    later = customer_with_orders(db, "Later Works", ["2026-02-20", "2026-03-22", "2026-04-21"])  # expected 05-21
    late = customer_with_orders(db, "Late Works", ["2026-01-01", "2026-02-01", "2026-03-04"])  # expected 04-04
    far = customer_with_orders(db, "Far Works", ["2026-01-01", "2026-04-01", "2026-06-30"])  # expected 09-28
    customer_with_orders(db, "Other Site", ["2026-02-10", "2026-03-12", "2026-04-11"], site="site-b", caller=OTHER_SITE)
    page = reorders.expected_orders(db, SALES, {}, today=today)
    assert [(i["customer_id"], i["expected_date"], i["overdue_days"]) for i in page["items"]] == [
        (soon, "2026-05-11", 0), (later, "2026-05-21", 0)]
    assert page["items"][0]["legal_name"] == "Soon Works" and page["items"][0]["amount"] == 1000.0
    assert page["next_cursor"] is None and page["total"] == 2
    with_late = reorders.expected_orders(db, SALES, {"overdue_days": 14, "site_id": "site-a"}, today=today)
    assert [(i["customer_id"], i["overdue_days"]) for i in with_late["items"]] == [(late, 27), (soon, 0), (later, 0)]
    assert reorders.expected_orders(db, SALES, {"overdue_days": 28}, today=today)["items"][0]["customer_id"] == soon
    first = reorders.expected_orders(db, SALES, {"within_days": 365, "overdue_days": 0}, limit=2, today=today)
    assert [i["customer_id"] for i in first["items"]] == [late, soon] and first["total_is_lower_bound"]
    rest = reorders.expected_orders(db, SALES, {"within_days": 365, "overdue_days": 0}, cursor=first["next_cursor"],
                                    limit=2, today=today)
    assert [i["customer_id"] for i in rest["items"]] == [later, far] and rest["next_cursor"] is None
    assert rest["total"] == 4 and not rest["total_is_lower_bound"]
    with pytest.raises(BadRequest):  # a cursor of another list
        reorders.expected_orders(db, SALES, {"within_days": 30}, cursor=first["next_cursor"], today=today)
    with pytest.raises(ValidationFailed) as refused:
        reorders.expected_orders(db, SALES, {"within_days": 400})
    assert "within_days" in refused.value.fields
    with pytest.raises(NotFound):
        reorders.expected_orders(db, SALES, {"site_id": "site-b"})
    with pytest.raises(Forbidden):
        reorders.expected_orders(db, NO_ORDERS, {})


def test_an_expected_order_overdue_by_n_days_is_a_date_trigger(db):
    late = customer_with_orders(db, "Late Works", ["2026-01-01", "2026-02-01", "2026-03-04"])  # expected 04-04
    found = dates.matches(db, SALES, "expected_order_overdue", "2026-04-18", days=14, site_id="site-a")
    assert found["items"] == [{"customer_id": late, "contact_id": None, "order_id": None, "date": "2026-04-04"}]
    assert dates.matches(db, SALES, "expected_order_overdue", "2026-04-19", days=14, site_id="site-a")["items"] == []
    with pytest.raises(Forbidden):
        dates.matches(db, NO_ORDERS, "expected_order_overdue", "2026-04-18", days=14, site_id="site-a")


def test_recommendations_from_similar_customers_and_orders_bought_together(db):
    today = day("2026-06-01")
    me = customer_with_orders(db, "Me Works", ["2026-05-01"], products=("Spindle",), industry_code="C34")
    customer_with_orders(db, "Peer One", ["2026-04-01"], products=("Spindle", "Coolant"), industry_code="C34")
    customer_with_orders(db, "Peer Two", ["2026-04-02"], products=("Gauge",), industry_code="C34")
    customer_with_orders(db, "Peer Three", ["2026-04-03"], products=("Gauge", "Chuck"), industry_code="C34")
    customer_with_orders(db, "Outsider", ["2026-04-04", "2026-04-05"], products=("Spindle", "Coolant"),
                         industry_code="A01")
    customer_with_orders(db, "Old", ["2023-01-01"], products=("Ancient",), industry_code="C34")
    customer_with_orders(db, "Far Site", ["2026-04-06"], products=("Spindle", "Secret"), site="site-b",
                         caller=OTHER_SITE)
    found = recommendations.recommendations(db, SALES, me, today=today)
    items = {item["product"]: item for item in found["items"]}
    assert set(items) == {"Coolant", "Gauge", "Chuck"}  # not its own, not too old, not another site's
    # Coolant: 3 of the other orders hold Spindle, all 3 Coolant too: 3 / (3 + 1)
    assert items["Coolant"] == {"product": "Coolant", "score": 0.75, "reason": {
        "kind": "bought_together", "with_product": "Spindle", "orders": 3}}
    # Gauge: 2 of the 3 customers of industry C34 with recent orders: 2 / (3 + 1)
    assert items["Gauge"] == {"product": "Gauge", "score": 0.5, "reason": {
        "kind": "similar_customers", "industry": "C34", "customers": 2}}
    assert [item["product"] for item in found["items"]] == ["Coolant", "Gauge", "Chuck"]
    with pytest.raises(NotFound):
        recommendations.recommendations(db, OTHER_SITE, me)
    with pytest.raises(Forbidden):
        recommendations.recommendations(db, NO_ORDERS, me)
