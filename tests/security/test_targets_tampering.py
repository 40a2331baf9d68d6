"""Targets and scorecards under hostile requests: fields a caller may not set, operators and odd types
where a value belongs, a sales user trying a manager's reads, and nothing stored from a refused write."""
import pytest

from tests.e2e.test_identity import create_user, signed_in
from tests.support.customers import create_site

PERIOD = "2031-Q2"


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    site = create_site(admin_api, "T")
    manager = create_user(admin_api, [site["id"]], ["manager"])
    seller = create_user(admin_api, [site["id"]], ["sales"])
    return {"site": site, "manager": signed_in(stack, manager), "seller": signed_in(stack, seller),
            "seller_id": seller["id"]}


BASE = {"period": PERIOD, "measure": "new_customers", "value": 10, "holder_kind": "site"}


@pytest.mark.parametrize("extra, field", [
    ({"_id": "chosen"}, "_id"), ({"version": 9}, "version"), ({"created_by": "someone"}, "created_by"),
    ({"attainment": {"actual": 1e9}}, "attainment"), ({"deleted_at": None}, "deleted_at"),
    ({"value": {"$gt": 0}}, "value"), ({"value": 1e13}, "value"), ({"value": -5}, "value"), ({"value": True}, "value"),
    ({"period": {"$ne": None}}, "period"), ({"period": "2027-Q1' || '1'=='1"}, "period"),
    ({"measure": {"$in": ["order_amount"]}}, "measure"), ({"holder_kind": "company"}, "holder_kind"),
    ({"holder_id": ["a", "b"], "holder_kind": "user"}, "holder_id"), ({"site_id": {"$exists": True}}, "site_id"),
])
def test_a_tampered_target_is_refused_naming_the_field_and_nothing_is_stored(plant, customers_db, extra, field):
    body = dict(BASE, site_id=plant["site"]["id"])
    body.update(extra)
    response = plant["manager"].post("/targets", body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"], response.text
    assert customers_db.targets.count_documents({"site_id": plant["site"]["id"], "period": PERIOD}) == 0


@pytest.mark.parametrize("params, field", [
    ({"measure": "$where"}, "measure"), ({"period": "9999"}, "period"), ({"user_id": "x" * 65}, "user_id"),
    ({"site_id": "x" * 65}, "site_id"),
])
def test_odd_queries_of_scorecards_and_leaderboards_are_422(plant, params, field):
    path = "/leaderboards" if "measure" in params else "/scorecards"
    response = plant["manager"].get(path, params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"], response.text


def test_a_sales_user_reads_no_one_else_s_performance(plant):
    seller = plant["seller"]
    assert seller.get("/scorecards", params={"user_id": plant["manager"].session["user"]["id"]}).status_code == 403
    assert seller.get("/leaderboards").status_code == 403
    assert seller.get("/scorecards/export").status_code == 403
    assert seller.post("/targets", dict(BASE, site_id=plant["site"]["id"])).status_code == 403
    own = seller.get("/scorecards")
    assert own.status_code == 200 and own.json()["holder_id"] == plant["seller_id"]
