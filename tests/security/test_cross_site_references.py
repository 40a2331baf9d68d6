"""Attacks on references across sites, through the gateway against the real stack (F4, F12).

- An owner or a follow-up assignee from another site (or without the permission) is refused with
  422 naming the field, so notifications about the customer cannot reach another site's users.
- A customer moved to another site takes its records along: the old site sees none of them
  (parts, feedback, sales report), the new site sees them all.
- The merge list names no customer outside the caller's sites.
- An import links its rows only to the customers, owners and parents of its own site, and no one
  runs another site's upload or saved mapping.
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


def finished_import(api, response):
    assert response.status_code == 202, response.text
    return eventually(lambda: api.get("/imports/%s" % response.json()["id"]).json(),
                      lambda job: job["status"] in ("completed", "failed"), timeout=60)


def test_an_import_links_owners_customers_and_parents_of_its_own_site_only(sites, admin_api):
    """A file imported at site A naming site B's customer (by name, code or tax id), B's user as owner, or B's
    customer as parent links none of them; another site's upload or saved mapping cannot be used."""
    theirs = create_customer(sites.sales_b, site_id=sites.b, legal_name=unique("TheirCo "), external_code=unique("B"))
    b_name = admin_api.get("/users/%s" % sites.ids["sales_b"]).json()["display_name"]
    contacts = "客户名称,客户编号,联系人姓名\n%s,,张三\n,%s,李四\n" % (theirs["legal_name"], theirs["external_code"])
    job = finished_import(sites.manager_a, sites.manager_a.post("/imports", files={
        "file": ("contacts.csv", contacts.encode("utf-8"))}, data={"entity": "contacts", "site_id": sites.a}))
    assert (job["created"], job["failed"]) == (0, 2), job
    assert sites.sales_b.get("/customers/%s/contacts" % theirs["id"]).json()["items"] == []

    mine = unique("MineCo ")
    customers = "客户名称,负责人,上级客户\n%s,%s,%s\n" % (mine, b_name, theirs["legal_name"])
    job = finished_import(sites.manager_a, sites.manager_a.post("/imports", files={
        "file": ("customers.csv", customers.encode("utf-8"))}, data={"site_id": sites.a}))
    assert (job["created"], job["warnings"]) == (1, 1), job
    [created] = [c for c in sites.manager_a.get("/customers", params={"q": mine}).json()["items"]
                 if c["legal_name"] == mine]
    assert created["owner_id"] != sites.ids["sales_b"] and created["parent_id"] is None

    refused = sites.manager_a.post("/imports", files={"file": ("c.csv", customers.encode("utf-8"))},
                                   data={"site_id": sites.b})
    field_error(refused, "site_id")
    preview = sites.sales_b.post("/imports/preview", files={"file": ("c.csv", customers.encode("utf-8"))})
    assert preview.status_code == 200, preview.text
    stolen = sites.manager_a.post("/imports", data={"upload_id": preview.json()["upload_id"]})
    assert stolen.status_code == 404, stolen.text
    saved = sites.sales_b.post("/import-mappings", {"name": "b", "entity": "customers",
                                                    "mapping": {"客户名称": "legal_name"}})
    assert saved.status_code == 201, saved.text
    assert sites.manager_a.post("/imports", files={"file": ("c.csv", customers.encode("utf-8"))},
                                data={"mapping_id": saved.json()["id"], "site_id": sites.a}).status_code == 404
    assert sites.viewer_a.post("/imports/preview", files={"file": ("c.csv", b"a\n1\n")}).status_code == 403
    assert sites.finance_a.post("/imports", files={"file": ("c.csv", contacts.encode("utf-8"))},
                                data={"entity": "contacts", "site_id": sites.a}).status_code == 403
