"""Attacks on references across sites, through the gateway against the real stack (F4, F12).

- An owner or a follow-up assignee from another site (or without the permission) is refused with
  422 naming the field, so notifications about the customer cannot reach another site's users.
- A customer moved to another site takes its records along: the old site sees none of them
  (parts, feedback, sales report), the new site sees them all.
- The merge list names no customer outside the caller's sites.
"""
import types

import pytest

from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, create_user, order, signed_in, unique


@pytest.fixture(scope="module")
def sites(stack, admin_api):
    """Sites A and B; a manager and a viewer in A, a sales user and a viewer in B, a manager of both."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {
        "manager_a": create_user(admin_api, [site_a["id"]], ["manager"]),
        "viewer_a": create_user(admin_api, [site_a["id"]], ["viewer"]),
        "sales_b": create_user(admin_api, [site_b["id"]], ["sales"]),
        "viewer_b": create_user(admin_api, [site_b["id"]], ["viewer"]),
        "finance_a": create_user(admin_api, [site_a["id"]], ["finance"]),
        "manager_ab": create_user(admin_api, [site_a["id"], site_b["id"]], ["manager"]),
    }
    return types.SimpleNamespace(
        a=site_a["id"], b=site_b["id"], ids={name: user["id"] for name, user in users.items()},
        **{name: signed_in(stack, user) for name, user in users.items()})


def field_error(response, field):
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"], response.text


def test_an_owner_from_another_site_is_refused_on_create_and_update(sites):
    field_error(sites.manager_a.post("/customers", {"legal_name": unique("OwnerLeak "), "site_id": sites.a,
                                                    "owner_id": sites.ids["viewer_b"]}, params={"force": "true"}),
                "owner_id")
    field_error(sites.manager_a.post("/customers", {"legal_name": unique("OwnerLeak "), "site_id": sites.a,
                                                    "owner_id": "no-such-user"}, params={"force": "true"}),
                "owner_id")
    customer = create_customer(sites.manager_a, site_id=sites.a, owner_id=sites.ids["viewer_a"], force=True)
    assert customer["owner_id"] == sites.ids["viewer_a"]
    field_error(sites.manager_a.patch("/customers/%s" % customer["id"], {
        "owner_id": sites.ids["sales_b"], "version": customer["version"]}), "owner_id")
    assert sites.manager_a.get("/customers/%s" % customer["id"]).json()["owner_id"] == sites.ids["viewer_a"]


def test_a_move_checks_the_owner_against_the_new_site(sites):
    customer = create_customer(sites.manager_ab, site_id=sites.a, owner_id=sites.ids["viewer_a"], force=True)
    field_error(sites.manager_ab.patch("/customers/%s" % customer["id"], {
        "site_id": sites.b, "version": customer["version"]}), "owner_id")
    moved = sites.manager_ab.patch("/customers/%s" % customer["id"], {
        "site_id": sites.b, "owner_id": sites.ids["sales_b"], "version": customer["version"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["site_id"] == sites.b


def test_a_followup_assignee_must_be_of_the_site_and_able_to_do_it(sites):
    customer = create_customer(sites.manager_a, site_id=sites.a, force=True)
    path = "/customers/%s/followups" % customer["id"]
    task = {"title": "Call back", "due_date": "2026-12-01"}
    field_error(sites.manager_a.post(path, dict(task, assignee_id=sites.ids["sales_b"])), "assignee_id")
    field_error(sites.manager_a.post(path, dict(task, assignee_id=sites.ids["finance_a"])), "assignee_id")
    created = add_part(sites.manager_a, customer["id"], "followups", dict(task, assignee_id=sites.ids["manager_a"]))
    field_error(sites.manager_a.patch("%s/%s" % (path, created["id"]), {
        "assignee_id": sites.ids["viewer_b"], "version": created["version"]}), "assignee_id")


def test_a_moved_customer_takes_its_records_and_the_old_site_sees_none(sites):
    customer = create_customer(sites.manager_ab, site_id=sites.a, owner_id=sites.ids["manager_ab"], force=True)
    sold = add_part(sites.manager_ab, customer["id"], "orders", order(amount=4321.0, order_date="2026-10-02"))
    contact = add_part(sites.manager_ab, customer["id"], "contacts", {"name": "Li Lei", "phone": "13800138000"})
    talk = add_part(sites.manager_ab, customer["id"], "interactions", {
        "kind": "call", "occurred_at": "2026-10-02T08:00:00+00:00", "summary": "Price talk"})
    report = {"site_id": sites.a, "since": "2026-10-01", "until": "2026-10-03"}
    before = sites.viewer_a.get("/reports/sales", params=report).json()
    assert customer["id"] in [row["customer_id"] for row in before["by_customer"]]
    moved = sites.manager_ab.patch("/customers/%s" % customer["id"], {"site_id": sites.b,
                                                                      "version": customer["version"]})
    assert moved.status_code == 200, moved.text
    assert sites.viewer_a.get("/customers/%s" % customer["id"]).status_code == 404
    after = sites.viewer_a.get("/reports/sales", params=report).json()
    assert customer["id"] not in [row["customer_id"] for row in after["by_customer"]]
    assert customer["id"] not in str(after)
    seen_b = sites.viewer_b.get("/reports/sales", params=dict(report, site_id=sites.b)).json()
    assert customer["id"] in [row["customer_id"] for row in seen_b["by_customer"]]
    for part, record in (("orders", sold), ("contacts", contact), ("interactions", talk)):
        listed = sites.viewer_b.get("/customers/%s/%s" % (customer["id"], part)).json()
        assert [item["id"] for item in listed["items"]] == [record["id"]], part
        assert listed["items"][0]["site_id"] == sites.b, part
    for probe in ("/reports/tiers", "/reports/funnel", "/reports/churn-risk"):
        answer = sites.viewer_a.get(probe, params={"site_id": sites.a})
        assert answer.status_code == 200 and customer["id"] not in answer.text, probe


def test_a_moved_customers_feedback_goes_with_it(sites):
    customer = create_customer(sites.manager_ab, site_id=sites.a, owner_id=sites.ids["manager_ab"], force=True)
    item = sites.manager_ab.post("/feedback", {"customer_id": customer["id"], "channel": "phone",
                                               "type": "complaint", "category": "quality", "text": "Late again"})
    assert item.status_code == 201, item.text
    feedback_id = item.json()["id"]
    assert sites.viewer_a.get("/feedback/%s" % feedback_id).status_code == 200
    moved = sites.manager_ab.patch("/customers/%s" % customer["id"], {"site_id": sites.b,
                                                                      "version": customer["version"]})
    assert moved.status_code == 200, moved.text
    eventually(lambda: sites.viewer_a.get("/feedback/%s" % feedback_id), lambda r: r.status_code == 404)
    assert sites.viewer_b.get("/feedback/%s" % feedback_id).status_code == 200


def test_the_merge_list_names_no_customer_of_another_site(sites, admin_api):
    secret = unique("Hidden merge name ")
    survivor = create_customer(admin_api, site_id=sites.a, force=True)
    merged = create_customer(admin_api, legal_name=secret, site_id=sites.b, force=True)
    done = admin_api.post("/customers/%s/merge" % survivor["id"], {"merged_ids": [merged["id"]]})
    assert done.status_code in (200, 201), done.text
    assert secret in admin_api.get("/merges", params={"limit": 500}).text
    listed = sites.manager_a.get("/merges", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    assert survivor["id"] in listed.text and secret not in listed.text
