"""Reorder forecasts and recommendations through the gateway, on the real broker and database servers:
orders recorded make a customer's forecast, its expected order on the list and, once overdue, a
date trigger of an automation rule; recommendations come with their reason; another site's customer
is 404 and a user without orders:read is 403 (issue: forecasts and recommendations)."""
import datetime
import types
import zoneinfo

import pytest

from tests.e2e.test_automations import create_rule, finished_runs, move_clock_to_next_fire
from tests.e2e.test_identity import create_user, signed_in
from tests.support.customers import add_part, create_customer, create_site, unique

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def crew(stack, admin_api):
    """Sites A and B; in A a manager (who records orders), a sales user and a service user (no
    orders:read); in B a manager. All signed in."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {name: create_user(admin_api, [site["id"]], [role]) for name, site, role in (
        ("manager_a", site_a, "manager"), ("sales_a", site_a, "sales"), ("service_a", site_a, "service"),
        ("manager_b", site_b, "manager"))}
    return types.SimpleNamespace(site_a=site_a, site_b=site_b, users=users,
                                 **{name: signed_in(stack, user) for name, user in users.items()})


def today():
    """The day at the sites (Asia/Shanghai), which the forecasts count from."""
    return datetime.datetime.now(SHANGHAI).date()


def days_from_today(days):
    return (today() + datetime.timedelta(days=days)).isoformat()


def customer_ordering(api, site, days_ago, products=("Spindle",), amount=10000.0, **fields):
    """A customer of ``site`` with an order ``n`` days ago for each n of ``days_ago``, each of ``products``."""
    customer = create_customer(api, site_id=site["id"], **fields)
    for days in days_ago:
        add_part(api, customer["id"], "orders", {
            "number": unique("SO-"), "order_date": days_from_today(-days),
            "lines": [{"product": product, "quantity": 5, "amount": amount} for product in products]})
    return customer


def expected_orders(api, **params):
    response = api.get("/forecasts/expected-orders", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_orders_recorded_make_a_forecast_and_an_expected_order(crew):
    customer = customer_ordering(crew.manager_a, crew.site_a, [70, 40], products=("Spindle", "Coolant"))
    found = crew.sales_a.get("/customers/%s/forecast" % customer["id"]).json()
    assert found["method"] == "insufficient_history" and found["next_order"] is None
    assert found["history"]["orders"] == 2 and found["products"] == []
    add_part(crew.manager_a, customer["id"], "orders", {
        "number": unique("SO-"), "order_date": days_from_today(-10),
        "lines": [{"product": "Spindle", "quantity": 5, "amount": 10000.0},
                  {"product": "Coolant", "quantity": 5, "amount": 10000.0}]})

    found = crew.sales_a.get("/customers/%s/forecast" % customer["id"]).json()
    expected = days_from_today(20)  # every 30 days
    assert found["customer_id"] == customer["id"] and found["method"] == "cadence"
    assert found["history"] == {"orders": 3, "first_order_date": days_from_today(-70),
                                "last_order_date": days_from_today(-10), "median_gap_days": 30.0}
    nxt = found["next_order"]
    assert nxt["expected_date"] == expected and nxt["earliest"] <= expected <= nxt["latest"]
    assert nxt["expected_amount"] == 20000.0 and nxt["amount_low"] <= 20000.0 <= nxt["amount_high"]
    assert nxt["confidence"] == 0.8 and found["overdue_days"] == 0
    assert [(p["product"], p["expected_date"], p["expected_quantity"], p["expected_amount"])
            for p in found["products"]] == [("Coolant", expected, 5, 10000.0), ("Spindle", expected, 5, 10000.0)]
    assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["forecast"]["next_order_date"] == expected

    late = customer_ordering(crew.manager_a, crew.site_a, [100, 70, 40])  # expected 10 days ago
    listed = expected_orders(crew.sales_a, site_id=crew.site_a["id"])
    assert [(i["customer_id"], i["expected_date"], i["overdue_days"]) for i in listed["items"]] == [
        (customer["id"], expected, 0)]
    item = listed["items"][0]
    assert item["legal_name"] == customer["legal_name"] and item["site_id"] == crew.site_a["id"]
    assert item["amount"] == 20000.0 and item["low"] <= 20000.0 <= item["high"]
    with_late = expected_orders(crew.sales_a, overdue_days=7, limit=1)
    assert [(i["customer_id"], i["overdue_days"]) for i in with_late["items"]] == [(late["id"], 10)]
    rest = expected_orders(crew.sales_a, overdue_days=7, limit=1, cursor=with_late["next_cursor"])
    assert [i["customer_id"] for i in rest["items"]] == [customer["id"]] and rest["next_cursor"] is None
    assert expected_orders(crew.sales_a, overdue_days=11)["items"] == [item]

    # an order moves the forecast, and the list follows
    add_part(crew.manager_a, late["id"], "orders", {"number": unique("SO-"), "order_date": days_from_today(0),
                                                    "lines": [{"product": "Spindle", "quantity": 5,
                                                               "amount": 10000.0}]})
    relisted = expected_orders(crew.sales_a, overdue_days=7)["items"]
    assert [(i["customer_id"], i["expected_date"]) for i in relisted] == [
        (customer["id"], expected), (late["id"], days_from_today(30))]


def test_recommendations_name_products_of_similar_customers_and_bought_together(crew):
    mine = customer_ordering(crew.manager_a, crew.site_a, [20], products=("Lathe",), industry_code="C34")
    customer_ordering(crew.manager_a, crew.site_a, [30], products=("Lathe", "Chuck"), industry_code="A01")
    customer_ordering(crew.manager_a, crew.site_a, [25], products=("Lathe", "Chuck"), industry_code="A01")
    for n in range(3):
        customer_ordering(crew.manager_a, crew.site_a, [15 + n], products=("Gauge",), industry_code="C34")
    customer_ordering(crew.manager_b, crew.site_b, [10], products=("Lathe", "Secret"), industry_code="C34")
    answer = crew.sales_a.get("/customers/%s/recommendations" % mine["id"])
    assert answer.status_code == 200, answer.text
    items = {item["product"]: item for item in answer.json()["items"]}
    assert "Lathe" not in items and "Secret" not in items  # its own; another site's
    assert items["Chuck"]["reason"] == {"kind": "bought_together", "with_product": "Lathe", "orders": 2}
    assert items["Gauge"]["reason"] == {"kind": "similar_customers", "industry": "C34", "customers": 3}
    assert 0 < items["Chuck"]["score"] <= 1 and 0 < items["Gauge"]["score"] <= 1


def test_another_sites_customer_is_404_and_without_orders_read_403(crew):
    customer = customer_ordering(crew.manager_a, crew.site_a, [60, 30, 1])
    for path in ("/customers/%s/forecast", "/customers/%s/recommendations"):
        assert crew.manager_b.get(path % customer["id"]).status_code == 404
        refused = crew.service_a.get(path % customer["id"])
        assert refused.status_code == 403 and refused.json()["error"]["permission"] == "orders:read", refused.text
    assert crew.service_a.get("/forecasts/expected-orders").status_code == 403
    assert crew.manager_b.get("/forecasts/expected-orders", params={"site_id": crew.site_a["id"]}).status_code == 404
    assert customer["id"] not in str(crew.manager_b.get("/forecasts/expected-orders").json())
    bad = crew.sales_a.get("/forecasts/expected-orders", params={"within_days": 400})
    assert bad.status_code == 422 and "within_days" in bad.json()["error"]["fields"], bad.text
    bad = crew.sales_a.get("/forecasts/expected-orders", params={"overdue_days": "soon"})
    assert bad.status_code == 422 and "overdue_days" in bad.json()["error"]["fields"], bad.text


def test_a_rule_follows_up_an_expected_order_overdue_by_14_days(crew, stack):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Reorder overdue",
                       trigger={"kind": "date", "date": "expected_order_overdue", "days": 14, "hour": 8},
                       actions=[{"kind": "create_followup", "title": "Reorder check {{customer.legal_name}}",
                                 "due_in_days": 0}])
    assert rule["trigger"] == {"kind": "date", "date": "expected_order_overdue", "days": 14, "hour": 8}
    overdue = customer_ordering(crew.manager_a, crew.site_a, [104, 74, 44])  # expected 14 days ago
    on_time = customer_ordering(crew.manager_a, crew.site_a, [103, 73, 43])  # expected 13 days ago
    move_clock_to_next_fire(stack, rule["id"])
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert [(run["customer_id"], run["status"], run["event_type"]) for run in done] == [
        (overdue["id"], "succeeded", "date.expected_order_overdue")]
    followups = crew.manager_a.get("/customers/%s/followups" % overdue["id"]).json()["items"]
    assert [f["title"] for f in followups] == ["Reorder check %s" % overdue["legal_name"]]
    assert crew.manager_a.get("/customers/%s/followups" % on_time["id"]).json()["items"] == []
    missing = create_rule(crew.manager_a, expected=422, site_id=crew.site_a["id"], name="No N",
                          trigger={"kind": "date", "date": "expected_order_overdue"},
                          actions=[{"kind": "notify", "title": "Late"}])
    assert "days" in missing["error"]["fields"]["trigger"], missing
