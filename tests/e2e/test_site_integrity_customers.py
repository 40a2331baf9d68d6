"""The customer archive and the life of sites and users, through the gateway on the real stack:
writes naming an unknown or disabled site are 422 on ``site_id``, a disabled site's customers
move out, and the records of a user who left lose their owner or assignee."""
import uuid

import pytest

from tests.support.api import eventually
from tests.support.customers import add_part, cjk, create_customer, create_site, create_user, signed_in, unique

WAIT = 30


@pytest.fixture(scope="module")
def place(stack, admin_api):
    """Sites A (active) and D (disabled once it holds a customer with an order and a follow-up)."""
    site_a, site_d = create_site(admin_api, "A"), create_site(admin_api, "D")
    in_d = create_customer(admin_api, site_id=site_d["id"])
    add_part(admin_api, in_d["id"], "followups", {"title": "Call back", "due_date": "2026-10-01"})
    other_in_d = create_customer(admin_api, site_id=site_d["id"])
    in_a = create_customer(admin_api, site_id=site_a["id"])
    disabled = admin_api.patch("/sites/%s" % site_d["id"], {"status": "disabled", "version": site_d["version"]})
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled", disabled.text
    # A stale version makes the probe change nothing: 409 while customers still takes D as active.
    eventually(lambda: admin_api.patch("/customers/%s" % in_d["id"], {"industry": "x", "version": 999}),
               lambda r: r.status_code == 422, timeout=WAIT)
    return {"a": site_a, "d": site_d, "in_d": in_d, "other_in_d": other_in_d, "in_a": in_a}


def refused_on_site(response, code=None):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "site_id" in error["fields"], error
    if code:
        assert error["code"] == code, error
    return error


def csv_file(name):
    return ("c.csv", ("legal_name\n%s\n" % name).encode("utf-8"))


def test_writes_naming_an_unknown_site_are_422_on_site_id(admin_api, place):
    nowhere = uuid.uuid4().hex
    refused_on_site(admin_api.post("/customers", {"legal_name": "%s有限公司" % cjk(4), "site_id": nowhere}),
                    "unknown_site")
    customer = place["in_a"]
    current = admin_api.get("/customers/%s" % customer["id"]).json()
    refused_on_site(admin_api.patch("/customers/%s" % customer["id"], {"site_id": nowhere,
                                                                      "version": current["version"]}),
                    "unknown_site")
    refused_on_site(admin_api.post("/customers/import", files={"file": csv_file("%s有限公司" % cjk(4))},
                                   data={"site_id": nowhere}), "unknown_site")
    refused_on_site(admin_api.post("/views", {"name": "Mine", "site_id": nowhere}), "unknown_site")
    refused_on_site(admin_api.put("/customers/settings/%s" % nowhere, {"version": 0, "review_days": 30}),
                    "unknown_site")
    assert admin_api.get("/customers/%s" % customer["id"]).json()["version"] == current["version"]


def test_every_write_at_a_disabled_site_is_422_on_site_id(admin_api, place):
    site_d, customer = place["d"], place["in_d"]
    current = admin_api.get("/customers/%s" % customer["id"])
    assert current.status_code == 200 and current.json()["site_id"] == site_d["id"]
    version = current.json()["version"]
    refused_on_site(admin_api.post("/customers", {"legal_name": "%s有限公司" % cjk(4), "site_id": site_d["id"]}),
                    "site_disabled")
    refused_on_site(admin_api.patch("/customers/%s" % customer["id"], {"industry": "x", "version": version}),
                    "site_disabled")
    in_a = admin_api.get("/customers/%s" % place["in_a"]["id"]).json()
    refused_on_site(admin_api.patch("/customers/%s" % in_a["id"], {"site_id": site_d["id"],
                                                                  "version": in_a["version"]}), "site_disabled")
    refused_on_site(admin_api.post("/customers/%s/contacts" % customer["id"], {"name": "王小明"}), "site_disabled")
    task = admin_api.get("/customers/%s/followups" % customer["id"]).json()["items"][0]
    refused_on_site(admin_api.patch("/customers/%s/followups/%s" % (customer["id"], task["id"]),
                                    {"title": "Again", "version": task["version"]}), "site_disabled")
    refused_on_site(admin_api.post("/customers/import", files={"file": csv_file("%s有限公司" % cjk(4))},
                                   data={"site_id": site_d["id"]}), "site_disabled")
    refused_on_site(admin_api.post("/views", {"name": "Mine", "site_id": site_d["id"]}), "site_disabled")
    refused_on_site(admin_api.put("/customers/settings/%s" % site_d["id"], {"version": 0, "review_days": 30}),
                    "site_disabled")
    refused_on_site(admin_api.put("/customers/%s/tier-override" % customer["id"], {"tier": "vip", "reason": "Big"}),
                    "site_disabled")
    assert admin_api.get("/customers/%s" % customer["id"]).json()["version"] == version
    listed = admin_api.get("/customers", params={"site_id": site_d["id"], "limit": 500}).json()
    assert customer["id"] in [item["id"] for item in listed["items"]]


def test_a_customer_moves_out_of_a_disabled_site_with_its_records(admin_api, place):
    customer = admin_api.get("/customers/%s" % place["other_in_d"]["id"]).json()
    moved = admin_api.patch("/customers/%s" % customer["id"], {"site_id": place["a"]["id"],
                                                               "version": customer["version"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["site_id"] == place["a"]["id"]
    added = add_part(admin_api, customer["id"], "contacts", {"name": "王小明"})
    assert added["site_id"] == place["a"]["id"]


@pytest.fixture(scope="module")
def colleagues(stack, admin_api, place):
    """Site B, and a signed-in manager of site A who creates the customers of the owners below."""
    site_b = create_site(admin_api, "B")
    manager = signed_in(stack, create_user(admin_api, [place["a"]["id"]], ["manager"]))
    return {"b": site_b, "manager": manager}


def owned_by(stack, admin_api, site, colleagues):
    """A sales user of ``site`` owning a new customer there, with an open follow-up assigned to them."""
    user = create_user(admin_api, [site["id"]], ["sales"])
    customer = create_customer(signed_in(stack, user))
    task = add_part(colleagues["manager"], customer["id"], "followups",
                    {"title": "Visit %s" % unique(), "due_date": "2026-11-01", "assignee_id": user["id"]})
    return user, customer, task


def owner_cleared(api, customer_id, user_id):
    customer = eventually(lambda: api.get("/customers/%s" % customer_id).json(),
                          lambda c: c.get("owner_id") is None, timeout=WAIT)
    assert customer["owner_left"]["user_id"] == user_id and customer["owner_left"]["at"]
    listed = api.get("/customers", params={"owner_id": "none", "site_id": customer["site_id"], "limit": 500}).json()
    assert customer_id in [item["id"] for item in listed["items"]]
    assert all(item["owner_id"] is None for item in listed["items"])
    return customer


def test_the_customers_and_open_tasks_of_a_disabled_user_lose_their_owner(stack, admin_api, place, colleagues):
    user, customer, task = owned_by(stack, admin_api, place["a"], colleagues)
    assert customer["owner_id"] == user["id"] and customer["owner_left"] is None
    kept = create_customer(colleagues["manager"])
    disabled = admin_api.patch("/users/%s" % user["id"], {"status": "disabled", "version": user["version"]})
    assert disabled.status_code == 200, disabled.text
    owner_cleared(admin_api, customer["id"], user["id"])
    unassigned = eventually(lambda: admin_api.get("/customers/%s/followups" % customer["id"]).json()["items"],
                            lambda items: items and items[0]["assignee_id"] is None, timeout=WAIT)[0]
    assert unassigned["id"] == task["id"] and unassigned["assignee_left"]["user_id"] == user["id"]
    assert unassigned["status"] == "open"
    assert kept["owner_id"] and admin_api.get("/customers/%s" % kept["id"]).json()["owner_id"] == kept["owner_id"]


def test_a_deleted_owner_is_cleared_and_cannot_be_named_again(stack, admin_api, place, colleagues):
    user, customer, _ = owned_by(stack, admin_api, place["a"], colleagues)
    deleted = admin_api.delete("/users/%s" % user["id"], params={"confirm": user["username"]})
    assert deleted.status_code == 204, deleted.text
    owner_cleared(admin_api, customer["id"], user["id"])
    refused = colleagues["manager"].post("/customers", {"legal_name": "%s有限公司" % cjk(4), "owner_id": user["id"]})
    assert refused.status_code == 422 and "owner_id" in refused.json()["error"]["fields"], refused.text


def test_an_owner_moved_to_another_site_leaves_the_customers_of_the_old_one(stack, admin_api, place, colleagues):
    user, customer, task = owned_by(stack, admin_api, place["a"], colleagues)
    moved = admin_api.patch("/users/%s" % user["id"], {"sites": [colleagues["b"]["id"]], "version": user["version"]})
    assert moved.status_code == 200, moved.text
    owner_cleared(admin_api, customer["id"], user["id"])
    eventually(lambda: admin_api.get("/customers/%s/followups" % customer["id"]).json()["items"],
               lambda items: items and items[0]["assignee_id"] is None, timeout=WAIT)
    refused = colleagues["manager"].post("/customers", {"legal_name": "%s有限公司" % cjk(4), "owner_id": user["id"]})
    assert refused.status_code == 422 and "owner_id" in refused.json()["error"]["fields"], refused.text
    in_b = create_customer(admin_api, site_id=colleagues["b"]["id"], owner_id=user["id"])
    assert in_b["owner_id"] == user["id"]
