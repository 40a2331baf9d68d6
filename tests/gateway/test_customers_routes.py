"""Customer routes: token first, bad input a 422 naming the field, the right RPCs with the right
arguments, every field of the answer kept, uploads in ordered chunks, exports streamed."""
import base64
import io
import re

import openpyxl
import pytest

from gateway.routes.customer_parts import PARTS
from gateway.extensions import rpc
from services.common.errors import Conflict, Forbidden, NotFound

CUSTOMER = {
    "id": "c1", "site_id": "s1", "legal_name": "苏州精密机械有限公司", "short_name": "苏州精机",
    "tax_id": "91350100M000100Y43", "external_code": None, "country": "CN", "industry": "machinery",
    "industry_code": "C34",
    "industry_labels": {"zh-CN": "通用设备制造业", "en": "Manufacture of general-purpose machinery"},
    "company_size": "medium", "company_size_derived": True, "employees": 350, "annual_revenue": 12000000.0,
    "main_products": ["gears"], "website": None,
    "phone": "0512-6666 8888", "email": None, "source_channel": "fair", "owner_id": "u1", "owner_left": None,
    "tags": ["oem"], "status": "active", "account_type": "legal_entity", "parent_id": None,
    "addresses": [{"id": "a1", "type": "billing", "street": "1 Road", "city": "苏州", "province": "江苏",
                   "postal_code": "215000", "country": "CN"}],
    "notes": None, "customer_since": None, "lifecycle_stage": "prospect", "dormant_since": None, "forecast": None,
    "tier": {"level": "general", "reasons": ["New customer: no orders yet."], "overridden": False},
    "churn_risk": {"level": "none", "reasons": []}, "completeness": 83,
    "last_verified_at": "2026-11-01T08:00:00+00:00", "next_followup_date": "2026-12-01",
    "last_order_date": None, "deleted_at": None, "created_at": "2026-11-01T08:00:00+00:00",
    "updated_at": "2026-11-02T08:00:00+00:00", "version": 2,
}
COMMON = {"id": "p1", "customer_id": "c1", "site_id": "s1", "created_by": "u1", "deleted_at": None, "version": 1,
          "created_at": "2026-11-01T08:00:00+00:00", "updated_at": "2026-11-01T08:00:00+00:00"}
CONTACT = dict(COMMON, name="王芳", position="Buyer", phone="13800138000", phone_region="CN", email=None,
               primary=True, birthday="1990-05-01", notes=None)
ORDER = dict(COMMON, number="SO-1", order_date="2026-10-01", currency="CNY", status="confirmed",
             contract_end_date=None, total_amount=5000.0, owner_id="u1",
             lines=[{"product": "Gear", "quantity": 10.0, "amount": 5000.0}])
OPPORTUNITY = dict(COMMON, title="Line upgrade", stage="proposal", expected_amount=80000.0,
                   expected_close_date="2027-01-31", probability=40, product=None,
                   stage_history=[{"stage": "identified", "at": "2026-11-01T08:00:00+00:00", "by": "u1"},
                                  {"stage": "proposal", "at": "2026-11-03T08:00:00+00:00", "by": "u1"}],
                   owner_id="u1", decided_at=None)
JOB = {"id": "j1", "status": "running", "dry_run": False, "filename": "customers.csv", "site_id": "s1",
       "format": "csv", "total": None, "done": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0,
       "errors_sample": [], "warnings": 0, "warnings_sample": [], "error": None,
       "entity": "customers", "sheet": None, "mapping": None, "skipped_columns": [],
       "linked_by": {"tax_id": 0, "code": 0, "name": 0}, "sheets": [], "skipped_sheets": [],
       "created_at": "2026-11-01T08:00:00+00:00", "started_at": "2026-11-01T08:00:01+00:00", "finished_at": None}
MERGE = {"id": "m1", "status": "done", "survivor_id": "c1", "merged_ids": ["c2", "c3"], "fields": {"phone": "c2"},
         "moved": {"contacts": 3}, "created_by": "u1", "created_at": "2026-11-01T08:00:00+00:00",
         "done_at": "2026-11-01T08:00:02+00:00", "reverted_at": None, "reverted_by": None,
         "names": {"c1": "苏州精密", "c2": "苏州精密集团", "c3": "苏州精密股份"}}
VIEW = {"id": "v1", "name": "VIP in Jiangsu", "filters": {"tier": "vip", "region": "江苏"},
        "columns": ["legal_name", "tier"], "shared": True, "site_id": "s1", "owner_id": "u1",
        "created_at": "2026-11-01T08:00:00+00:00"}
CUSTOMER_ROUTES = {
    ("get", "/customers"), ("post", "/customers"), ("get", "/customers/review-due"),
    ("get", "/customers/{customer_id}"), ("patch", "/customers/{customer_id}"),
    ("delete", "/customers/{customer_id}"), ("post", "/customers/{customer_id}/restore"),
    ("get", "/customers/{customer_id}/overview"), ("post", "/customers/{customer_id}/verify"),
    ("get", "/customers/{customer_id}/tier-history"), ("put", "/customers/{customer_id}/tier-override"),
    ("delete", "/customers/{customer_id}/tier-override"),
    ("post", "/customers/import"), ("get", "/imports/{import_id}"), ("get", "/imports/{import_id}/errors"),
    ("get", "/customers/export"), ("get", "/customers/duplicates"), ("post", "/customers/{customer_id}/merge"),
    ("post", "/merges/{merge_id}/revert"),
    ("get", "/views"), ("post", "/views"), ("delete", "/views/{view_id}"),
    ("get", "/reports/tiers"), ("get", "/reports/sales"), ("get", "/reports/funnel"), ("get", "/reports/churn-risk"),
}
PART_PATHS = ("contacts", "orders", "payments", "service-records", "interactions", "opportunities", "followups")
PART_ROUTES = {(method, "/customers/{customer_id}/%s%s" % (path, suffix))
               for path in PART_PATHS
               for method, suffix in (("get", ""), ("post", ""), ("patch", "/{part_id}"), ("delete", "/{part_id}"))}
ALL_ROUTES = CUSTOMER_ROUTES | PART_ROUTES
# As the gateway answers it: each service text with its code and parameters beside it.
NEW_CUSTOMER = [{"code": "tier.new_customer", "params": {}}]
CUSTOMER_ANSWER = dict(CUSTOMER, tier=dict(CUSTOMER["tier"], reasons_details=NEW_CUSTOMER),
                       churn_risk=dict(CUSTOMER["churn_risk"], reasons_details=[]))


def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def assert_invalid(response, field):
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error


def page(item, next_cursor=None):
    return {"items": [item], "next_cursor": next_cursor, "total": 1, "total_is_lower_bound": False}


# The OpenAPI document and the token

def test_openapi_lists_every_route_with_bearer_security(client):
    paths = spec(client)["paths"]
    documented = {(method, path.removeprefix("/api/v1")) for path, ops in paths.items() for method in ops
                  if method != "parameters"}
    assert ALL_ROUTES <= documented
    for method, path in ALL_ROUTES:
        op = paths["/api/v1" + path][method]
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert {"401", "503"} <= set(op["responses"]), (method, path)
        assert op.get("summary"), (method, path)


def test_openapi_documents_bodies_errors_and_downloads(client):
    document = spec(client)
    paths, schemas = document["paths"], document["components"]["schemas"]
    create = paths["/api/v1/customers"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerCreate"}
    conflict = create["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/DuplicateError"}
    assert {"candidates", "existing_id"} <= set(schemas["DuplicateErrorDetail"]["properties"])
    assert set(schemas["Customer"]["properties"]) == set(CUSTOMER)
    assert set(schemas["Contact"]["properties"]) == set(CONTACT)
    assert set(schemas["Order"]["properties"]) == set(ORDER)
    assert set(schemas["Opportunity"]["properties"]) == set(OPPORTUNITY)
    assert set(schemas["ImportJob"]["properties"]) == set(JOB)
    assert set(schemas["Merge"]["properties"]) == set(MERGE)
    assert schemas["CustomerUpdate"]["required"] == ["version"]
    upload = paths["/api/v1/customers/import"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"202", "413", "415", "422"} <= set(upload["responses"])
    export = paths["/api/v1/customers/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert "409" in paths["/api/v1/customers/{customer_id}"]["patch"]["responses"]
    query = {p["name"] for p in paths["/api/v1/customers"]["get"]["parameters"]}
    assert query == {"q", "tier", "tag", "industry", "region", "owner_id", "lifecycle", "churn_risk", "site_id",
                     "status", "parent_id", "deleted", "sort", "name_from", "limit", "cursor"}


def test_part_operations_are_distinct(client):
    paths = spec(client)["paths"]
    ids = [paths["/api/v1" + path][method]["operationId"] for method, path in PART_ROUTES]
    assert len(set(ids)) == len(PART_ROUTES) == 28
    assert paths["/api/v1/customers/{customer_id}/service-records"]["get"]["operationId"] == "list_service_records"


def concrete(path):
    return "/api/v1" + re.sub(r"\{[a-z_]+\}", "x1", path)


@pytest.mark.parametrize("method, path", sorted(ALL_ROUTES))
def test_every_route_needs_a_token(client, fake_rpc, method, path):
    response = client.open(concrete(path), method=method.upper(), json={"nonsense": 1})
    assert response.status_code == 401, (method, path)
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert fake_rpc.calls == []


# Bad input

@pytest.mark.parametrize("query, field", [
    ("tier=gold", "tier"), ("limit=0", "limit"), ("limit=1.5", "limit"), ("sort=password", "sort"),
    ("lifecycle=zombie", "lifecycle"), ("churn_risk=medium", "churn_risk"), ("deleted=perhaps", "deleted"),
    ("site=s1", "site"), ("q=", "q"), ("q=" + "x" * 101, "q"),
])
def test_bad_list_query(client, fake_rpc, auth, query, field):
    assert_invalid(client.get("/api/v1/customers?" + query, headers=auth), field)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/customers", {}, "legal_name"),
    ("post", "/customers", {"legal_name": "A", "is_vip": True}, "is_vip"),
    ("post", "/customers", {"legal_name": "A", "website": "not a url"}, "website"),
    ("post", "/customers", {"legal_name": "A", "addresses": [{"type": "home"}]}, "addresses"),
    ("post", "/customers", {"legal_name": "A", "annual_revenue": -1}, "annual_revenue"),
    ("patch", "/customers/c1", {"industry": "x"}, "version"),
    ("patch", "/customers/c1", {"legal_name": "", "version": 1}, "legal_name"),
    ("patch", "/customers/c1", {"version": "2"}, "version"),
    ("post", "/customers/c1/contacts", {"name": ""}, "name"),
    ("post", "/customers/c1/contacts", {"name": "Li", "email": "nope"}, "email"),
    ("post", "/customers/c1/orders", {"number": "SO-1", "order_date": "2026-10-01", "lines": []}, "lines"),
    ("post", "/customers/c1/orders", {"number": "SO-1", "order_date": "1 Oct", "lines": [
        {"product": "G", "quantity": 1, "amount": 1}]}, "order_date"),
    ("post", "/customers/c1/interactions", {"kind": "call", "occurred_at": "2026-11-01T08:00:00",
                                            "summary": "s"}, "occurred_at"),
    ("post", "/customers/c1/opportunities", {"title": "T", "probability": 101}, "probability"),
    ("patch", "/customers/c1/opportunities/p1", {"stage": "won"}, "version"),
    ("patch", "/customers/c1/service-records/p1", {"status": "lost", "version": 1}, "status"),
    ("put", "/customers/c1/tier-override", {"reason": "board decision"}, "tier"),
    ("post", "/customers/c1/merge", {"merged_ids": []}, "merged_ids"),
    ("post", "/views", {"name": "v", "columns": ["password"]}, "columns"),
    ("post", "/views", {"name": "v", "filters": {"tier": "gold"}}, "filters"),
])
def test_bad_body(client, fake_rpc, auth, method, path, body, field):
    assert_invalid(client.open("/api/v1" + path, method=method.upper(), json=body, headers=auth), field)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("path, field", [
    ("/customers?force=sometimes", "force"), ("/customers/export?format=pdf", "format"),
    ("/customers/duplicates?limit=0", "limit"), ("/reports/sales?since=yesterday", "since"),
    ("/reports/funnel?since=2026-05-02T00:00:00Z&until=2026-05-01T00:00:00Z", "until"),
    ("/customers/c1/contacts?limit=501", "limit"),
])
def test_bad_query(client, fake_rpc, auth, path, field):
    method = "POST" if path.startswith("/customers?") else "GET"
    assert_invalid(client.open("/api/v1" + path, method=method, json={"legal_name": "A"}, headers=auth), field)
    assert fake_rpc.calls == []


def test_service_validation_passes_through_naming_the_field(client, fake_rpc, auth):
    from services.common.errors import ValidationFailed

    fake_rpc.replies["create_part"] = ValidationFailed(fields={"phone": ["Not a valid phone number."]})
    response = client.post("/api/v1/customers/c1/contacts", json={"name": "Li", "phone": "12345"}, headers=auth)
    assert_invalid(response, "phone")


# Customers

def test_list_passes_set_filters_and_keeps_every_field(client, fake_rpc, auth):
    fake_rpc.replies["list_customers"] = page(CUSTOMER, "c2")
    response = client.get("/api/v1/customers?q=%E7%B2%BE%E6%9C%BA&tier=vip&deleted=false&sort=-tier_rank&limit=20",
                          headers=auth)
    assert response.get_json() == page(CUSTOMER_ANSWER, "c2")
    assert fake_rpc.last["method"] == "list_customers"
    assert fake_rpc.last["args"] == ({"q": "精机", "tier": "vip", "deleted": False, "sort": "-tier_rank"},)
    assert fake_rpc.last["kwargs"] == {"limit": 20, "cursor": None}


def test_create_passes_body_and_force(client, fake_rpc, auth):
    fake_rpc.replies["create_customer"] = CUSTOMER
    body = {"legal_name": "苏州精密机械有限公司", "tags": ["oem"], "addresses": [{"type": "billing", "city": "苏州"}]}
    response = client.post("/api/v1/customers", json=body, headers=auth)
    assert response.status_code == 201 and response.get_json() == CUSTOMER_ANSWER
    assert fake_rpc.last["args"] == (body,) and fake_rpc.last["kwargs"] == {"force": False}
    client.post("/api/v1/customers?force=true", json=body, headers=auth)
    assert fake_rpc.last["kwargs"] == {"force": True}


def test_duplicate_conflicts_pass_candidates_and_existing_id(client, fake_rpc, auth):
    candidates = [{"id": "c9", "legal_name": "ACME Industrial Co., Ltd."}]
    fake_rpc.replies["create_customer"] = Conflict("Similar customers exist.", code="possible_duplicate",
                                                   extra={"candidates": candidates})
    error = client.post("/api/v1/customers", json={"legal_name": "ACME"}, headers=auth).get_json()["error"]
    assert error["code"] == "possible_duplicate" and error["candidates"] == candidates
    fake_rpc.replies["create_customer"] = Conflict("Same tax id.", {"tax_id": ["Already in the archive."]},
                                                   code="duplicate_tax_id", extra={"existing_id": "c9"})
    response = client.post("/api/v1/customers", json={"legal_name": "ACME"}, headers=auth)
    assert response.status_code == 409 and response.get_json()["error"]["existing_id"] == "c9"


def test_customer_item_routes(client, fake_rpc, auth):
    for method in ("get_customer", "update_customer", "restore_customer", "verify_customer",
                   "set_tier_override", "clear_tier_override"):
        fake_rpc.replies[method] = CUSTOMER
    assert client.get("/api/v1/customers/c1", headers=auth).get_json() == CUSTOMER_ANSWER
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("get_customer", ("c1",))
    assert client.patch("/api/v1/customers/c1", json={"industry": "x", "version": 2}, headers=auth).status_code == 200
    assert fake_rpc.last["args"] == ("c1", {"industry": "x", "version": 2})
    assert client.delete("/api/v1/customers/c1", headers=auth).status_code == 204
    assert (fake_rpc.last["method"], fake_rpc.last["kwargs"]) == ("delete_customer", {"erase": False})
    client.delete("/api/v1/customers/c1?erase=true", headers=auth)
    assert fake_rpc.last["kwargs"] == {"erase": True}
    for path, method in (("restore", "restore_customer"), ("verify", "verify_customer")):
        assert client.post("/api/v1/customers/c1/" + path, headers=auth).get_json() == CUSTOMER_ANSWER
        assert (fake_rpc.last["method"], fake_rpc.last["args"]) == (method, ("c1",))
    body = {"tier": "vip", "reason": "Strategic account", "expires_at": "2027-01-01T08:00:00+08:00"}
    assert client.put("/api/v1/customers/c1/tier-override", json=body, headers=auth).status_code == 200
    assert fake_rpc.last["args"] == ("c1", dict(body, expires_at="2027-01-01T00:00:00+00:00"))
    client.delete("/api/v1/customers/c1/tier-override", headers=auth)
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("clear_tier_override", ("c1",))


def test_review_overview_and_tier_history(client, fake_rpc, auth):
    overview = {
        "customer": CUSTOMER, "tier": dict(CUSTOMER["tier"], explanation="New customer: no orders yet."),
        "contacts": [CONTACT], "interactions": [], "opportunities": [OPPORTUNITY],
        "next_followup": {"date": "2026-12-01", "reason": "tier cadence", "followup": None},
        "orders_12m": {"since": "2025-11-24", "until": "2026-11-24", "accounts": 2, "amount": 5000.0, "orders": 1,
                       "own": {"amount": 5000.0, "orders": 1}},
        "open_feedback": "unknown",
        "children": [{"id": "c2", "legal_name": "Plant 2", "account_type": "plant", "site_id": "s1", "tier": "key"}]}
    history = {"items": [{"id": "t1", "customer_id": "c1", "site_id": "s1", "at": "2026-11-01T08:00:00+00:00",
                          "old_tier": "general", "new_tier": "vip", "overridden": False, "by": "customers",
                          "reasons": ["12-month amount 1 250 000 ≥ 1 000 000"]}]}
    fake_rpc.replies.update(review_due=page(CUSTOMER), overview=overview, tier_history=history)
    assert client.get("/api/v1/customers/review-due?limit=5", headers=auth).get_json() == page(CUSTOMER_ANSWER)
    assert fake_rpc.last["kwargs"] == {"limit": 5, "cursor": None}
    new_customer = NEW_CUSTOMER
    assert client.get("/api/v1/customers/c1/overview", headers=auth).get_json() == dict(
        overview, customer=CUSTOMER_ANSWER,
        tier=dict(overview["tier"], reasons_details=new_customer, explanation_details=new_customer),
        next_followup=dict(overview["next_followup"], reason_details={"code": None, "params": {}}))
    amount = [{"code": "tier.amount_at_least", "params": {"amount": "1 250 000", "threshold": "1 000 000"}}]
    assert client.get("/api/v1/customers/c1/tier-history", headers=auth).get_json() == {
        "items": [dict(history["items"][0], reasons_details=amount)]}
    # in Chinese, for a caller who asks for it
    chinese = client.get("/api/v1/customers/c1/overview", headers=dict(auth, **{"Accept-Language": "zh-CN,en;q=0.5"}))
    assert chinese.headers["Content-Language"] == "zh-CN"
    answer = chinese.get_json()
    assert answer["tier"]["reasons"] == ["新客户：尚无订单。"] == answer["customer"]["tier"]["reasons"]
    history_zh = client.get("/api/v1/customers/c1/tier-history", headers=dict(auth, **{"Accept-Language": "zh"}))
    assert history_zh.get_json()["items"][0]["reasons"] == ["近 12 个月订单金额 1 250 000 ≥ 1 000 000"]
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("tier_history", ("c1",))


@pytest.mark.parametrize("error, status", [(NotFound(), 404), (Forbidden(), 403), (Conflict("Stale."), 409)])
def test_service_errors_map_to_statuses(client, fake_rpc, auth, error, status):
    fake_rpc.replies["update_customer"] = error
    response = client.patch("/api/v1/customers/c1", json={"industry": "x", "version": 1}, headers=auth)
    assert response.status_code == status


# Parts

def test_the_parts_table_produces_every_route(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert [part.path for part in PARTS] == list(PART_PATHS)
    for path in PART_PATHS:
        assert rules["/api/v1/customers/<customer_id>/%s" % path] == {"GET", "POST"}
        assert rules["/api/v1/customers/<customer_id>/%s/<part_id>" % path] == {"PATCH", "DELETE"}


@pytest.mark.parametrize("part", PARTS, ids=[part.path for part in PARTS])
def test_each_part_calls_the_service_with_its_rpc_name(client, fake_rpc, auth, part):
    base = "/api/v1/customers/c1/" + part.path
    assert client.get(base + "?limit=10&cursor=k.sig", headers=auth).status_code == 200
    assert fake_rpc.last["args"] == ("c1", part.name)
    assert fake_rpc.last["kwargs"] == {"limit": 10, "cursor": "k.sig"}
    assert client.post(base, json={}, headers=auth).status_code == 422
    assert client.patch(base + "/p1", json={"version": 1}, headers=auth).status_code == 200
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("update_part", ("c1", part.name, "p1", {"version": 1}))
    assert client.delete(base + "/p1", headers=auth).status_code == 204
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("delete_part", ("c1", part.name, "p1"))


def test_part_bodies_reach_the_service_as_json_text(client, fake_rpc, auth):
    fake_rpc.replies["create_part"] = OPPORTUNITY
    body = {"title": "Line upgrade", "stage": "proposal", "expected_close_date": "2027-01-31", "probability": 40}
    response = client.post("/api/v1/customers/c1/opportunities", json=body, headers=auth)
    assert response.status_code == 201 and response.get_json() == OPPORTUNITY
    assert fake_rpc.last["args"] == ("c1", "opportunities", body)
    interaction = {"kind": "visit", "occurred_at": "2026-11-01T16:00:00+08:00", "summary": "Plant tour",
                   "next_step_date": "2026-11-15"}
    client.post("/api/v1/customers/c1/interactions", json=interaction, headers=auth)
    assert fake_rpc.last["args"][2] == dict(interaction, occurred_at="2026-11-01T08:00:00+00:00")
    fake_rpc.replies["list_parts"] = page(CONTACT)
    assert client.get("/api/v1/customers/c1/contacts", headers=auth).get_json() == page(CONTACT)
    fake_rpc.replies["list_parts"] = page(ORDER)
    assert client.get("/api/v1/customers/c1/orders", headers=auth).get_json() == page(ORDER)


# Import

def upload(client, auth, content, filename="customers.csv", **form):
    data = {"file": (io.BytesIO(content), filename), **form}
    return client.post("/api/v1/customers/import", data=data, headers=auth, content_type="multipart/form-data")


def test_import_streams_ordered_chunks_and_answers_202(client, fake_rpc, auth):
    fake_rpc.replies.update(create_import=dict(JOB, status="uploading"), start_import=JOB)
    content = ("legal_name,tax_id\r\n" + "".join("客户%06d,\r\n" % n for n in range(60000))).encode("utf-8")
    assert len(content) > 2 * 384 * 1024
    response = upload(client, auth, content, filename="../../customers.csv", dry_run="true")
    assert response.status_code == 202 and response.get_json() == JOB
    methods = [call["method"] for call in fake_rpc.calls]
    assert methods[0] == "create_import" and methods[-1] == "start_import"
    assert fake_rpc.calls[0]["args"] == ("customers.csv", True) and fake_rpc.calls[0]["kwargs"] == {}
    chunks = [call["args"] for call in fake_rpc.calls[1:-1]]
    assert len(chunks) >= 3 and set(methods[1:-1]) == {"append_import_chunk"}
    assert [seq for _, seq, _ in chunks] == list(range(len(chunks)))
    assert all(job_id == "j1" and len(b64) <= 512 * 1024 for job_id, _, b64 in chunks)
    assert b"".join(base64.b64decode(b64) for _, _, b64 in chunks) == content
    assert fake_rpc.last["args"] == ("j1", {"entity": "customers"})


def test_import_of_an_xlsx_workbook(client, fake_rpc, auth):
    fake_rpc.replies.update(create_import=JOB, start_import=JOB)
    book = openpyxl.Workbook()
    book.active.append(["客户名称", "统一社会信用代码"])
    data = io.BytesIO()
    book.save(data)
    assert upload(client, auth, data.getvalue(), filename="Customers.XLSX", site_id="s2").status_code == 202
    assert fake_rpc.calls[0]["args"] == ("Customers.XLSX", False)
    assert fake_rpc.calls[0]["kwargs"] == {"site_id": "s2"}


@pytest.mark.parametrize("filename, content, status, field", [
    ("customers.pdf", b"a,b\n", 415, None),
    ("customers.txt", b"a,\x00b\n", 422, "file"),
    ("customers.xls", b"\xd0\xcf\x11\xe0rest", 415, None),
    ("customers.xlsx", b"legal_name\nA\n", 422, "file"),
    ("customers.csv", b"PK\x03\x04zip", 422, "file"),
    ("customers.csv", b"", 422, "file"),
])
def test_import_refuses_other_files(client, fake_rpc, auth, filename, content, status, field):
    response = upload(client, auth, content, filename=filename)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["error"]["fields"]
    assert fake_rpc.calls == []


def test_import_needs_a_file_and_a_boolean_dry_run(client, fake_rpc, auth):
    response = client.post("/api/v1/customers/import", data={"dry_run": "true"}, headers=auth,
                           content_type="multipart/form-data")
    assert_invalid(response, "file")
    assert_invalid(upload(client, auth, b"a\n", dry_run="maybe"), "dry_run")
    assert_invalid(upload(client, auth, b"a\n", site="s1"), "site")
    assert fake_rpc.calls == []


def test_import_over_the_body_limit_is_413(app, client, fake_rpc, auth):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(client, auth, b"x" * (65 * 1024))
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert fake_rpc.calls == []


def test_import_job_and_error_file(client, fake_rpc, auth):
    fake_rpc.replies.update(get_import=JOB, import_errors={
        "filename": "customers-errors.csv", "columns": ["row", "field", "message"],
        "rows": [[3, "tax_id", "校验位错误"]]})
    assert client.get("/api/v1/imports/j1", headers=auth).get_json() == JOB
    response = client.get("/api/v1/imports/j1/errors", headers=auth)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="customers-errors.csv"'
    assert response.data.decode("utf-8") == "\ufeffrow,field,message\r\n3,tax_id,校验位错误\r\n"
    fake_rpc.replies["import_errors"] = {"filename": "客户-errors.csv", "columns": ["row", "field", "message"],
                                         "rows": []}
    disposition = client.get("/api/v1/imports/j1/errors", headers=auth).headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"-errors.csv\"; filename*=UTF-8''%E5%AE%A2%E6%88%B7-errors.csv"


# Export

PAGES = {
    None: {"columns": ["id", "legal_name", "tags"],
           "rows": [["c1", "苏州精机", "oem, vip"], ["c2", "=HYPERLINK()", ""]], "next_cursor": "k2", "total": 3},
    "k2": {"columns": ["id", "legal_name", "tags"], "rows": [["c3", "Acme Ltd", None]], "next_cursor": None,
           "total": 3},
}


@pytest.fixture
def paged(fake_rpc, monkeypatch):
    """The fake RPC answering ``export_rows`` page by page from ``PAGES``."""

    def call(service, method, *args, context=None, **kwargs):
        if method == "export_rows":
            fake_rpc.replies[method] = PAGES[args[1]]
        return fake_rpc(service, method, *args, context=context, **kwargs)

    monkeypatch.setattr(rpc, "call", call)
    return fake_rpc


def test_export_csv_streams_pages_with_a_bom(client, paged, auth):
    response = client.get("/api/v1/customers/export?tier=vip&q=%E8%8B%8F", headers=auth)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="customers-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").split("\r\n") == [
        "id,legal_name,tags", "c1,苏州精机,\"oem, vip\"", "c2,'=HYPERLINK(),", "c3,Acme Ltd,", ""]
    calls = [(c["method"], c["args"], c["kwargs"]) for c in paged.calls]
    filters = {"tier": "vip", "q": "苏"}
    assert calls == [("export_rows", (filters, None), {"limit": 500}), ("export_rows", (filters, "k2"), {"limit": 500}),
                     ("record_export", (filters, "csv", 3), {})]


def test_export_xlsx(client, paged, auth):
    response = client.get("/api/v1/customers/export?format=xlsx", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["id", "legal_name", "tags"], ["c1", "苏州精机", "oem, vip"], ["c2", "'=HYPERLINK()", None],
        ["c3", "Acme Ltd", None]]
    assert paged.last["method"] == "record_export" and paged.last["args"] == ({}, "xlsx", 3)


@pytest.mark.parametrize("accept, day_format", [("zh-CN,zh;q=0.9", 'yyyy"年"m"月"d"日"'),
                                                ("en-GB", "[$-409]mmm d, yyyy"), (None, "[$-409]mmm d, yyyy")])
def test_an_exported_date_reads_as_the_callers_language_writes_it(client, fake_rpc, auth, accept, day_format):
    fake_rpc.replies["export_rows"] = {"columns": ["id", "last_order_date"], "kinds": ["text", "date"],
                                       "rows": [["c1", "2026-03-01"]], "next_cursor": None, "total": 1}
    headers = dict(auth, **({"Accept-Language": accept} if accept else {}))
    response = client.get("/api/v1/customers/export?format=xlsx", headers=headers)
    assert response.status_code == 200
    day = openpyxl.load_workbook(io.BytesIO(response.get_data())).active["B2"]
    assert day.is_date and day.number_format == day_format


def test_a_refused_export_is_an_error_not_a_download(client, fake_rpc, auth):
    fake_rpc.replies["export_rows"] = Forbidden()
    response = client.get("/api/v1/customers/export", headers=auth)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert [c["method"] for c in fake_rpc.calls] == ["export_rows"]


# Duplicates, merges, views, reports

def test_a_bad_duplicates_cursor_is_400_naming_it(client, fake_rpc, auth):
    from services.common import paging
    from services.common.errors import BadRequest

    response = client.get("/api/v1/customers/duplicates?cursor=not-a-cursor", headers=auth)
    assert response.status_code == 400 and "cursor" in response.get_json()["error"]["fields"]
    assert fake_rpc.calls == []
    fake_rpc.replies["duplicates"] = BadRequest("The cursor is not valid.", fields={"cursor": [paging.BAD_CURSOR]})
    response = client.get("/api/v1/customers/duplicates?cursor=k.forged", headers=auth)
    assert response.status_code == 400 and "cursor" in response.get_json()["error"]["fields"]


def test_duplicates_and_merges(client, fake_rpc, auth):
    clusters = {"clusters": [{"key": "acme", "reason": "similar_name", "customers": [
        {"id": "c1", "legal_name": "ACME", "site_id": "s1", "tax_id": None}]}], "next_cursor": "k.sig"}
    fake_rpc.replies.update(duplicates=clusters, merge=MERGE, revert_merge=dict(MERGE, status="reverted"))
    assert client.get("/api/v1/customers/duplicates?limit=10", headers=auth).get_json() == clusters
    assert fake_rpc.last["kwargs"] == {"limit": 10, "cursor": None}
    assert client.get("/api/v1/customers/duplicates?cursor=k.sig", headers=auth).status_code == 200
    assert fake_rpc.last["kwargs"] == {"limit": 50, "cursor": "k.sig"}
    body = {"merged_ids": ["c2", "c3"], "fields": {"phone": "c2"}}
    assert client.post("/api/v1/customers/c1/merge", json=body, headers=auth).get_json() == MERGE
    assert fake_rpc.last["args"] == ("c1", body)
    assert client.post("/api/v1/merges/m1/revert", headers=auth).get_json()["status"] == "reverted"
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("revert_merge", ("m1",))


def test_views(client, fake_rpc, auth):
    fake_rpc.replies.update(list_views={"items": [VIEW]}, create_view=VIEW)
    assert client.get("/api/v1/views", headers=auth).get_json() == {"items": [VIEW]}
    body = {"name": "VIP in Jiangsu", "filters": {"tier": "vip", "region": "江苏"}, "columns": ["legal_name", "tier"],
            "shared": True}
    response = client.post("/api/v1/views", json=body, headers=auth)
    assert response.status_code == 201 and response.get_json() == VIEW
    assert fake_rpc.last["args"] == (body,)
    assert client.delete("/api/v1/views/v1", headers=auth).status_code == 204
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("delete_view", ("v1",))


HEAD = {"since": "2025-11-24", "until": "2026-11-24", "site_id": "s1"}
REPORTS = {
    "tiers": ("report_tiers", dict(HEAD, distribution={"vip": 1, "key": 0, "general": 9},
                                   moves=[{"from": "general", "to": "vip", "count": 1}])),
    "sales": ("report_sales", dict(
        HEAD, total=5000.0, orders=1, by_month=[{"month": "2026-10", "amount": 5000.0, "orders": 1}],
        by_product=[{"product": "Gear", "amount": 5000.0, "quantity": 10.0, "orders": 1}],
        by_customer=[{"customer_id": "c1", "legal_name": "Acme", "site_id": "s1", "amount": 5000.0, "orders": 1}],
        by_group=[{"customer_id": "c0", "legal_name": "Acme Group", "amount": 5000.0, "orders": 1, "accounts": 2}],
        by_site=[{"site_id": "s1", "amount": 5000.0, "orders": 1}])),
    "funnel": ("report_funnel", dict(HEAD, stages=[{"stage": "won", "count": 2, "amount": 9000.0}],
                                     conversion={"won": 2, "lost": 1, "rate": 0.6667})),
    "churn-risk": ("report_churn", {"site_id": None, "total": 1, "items": [{
        "customer_id": "c1", "legal_name": "Acme", "site_id": "s1", "owner_id": "u1", "level": "high",
        "reasons": ["No order for 200 days; the usual gap between orders is 60 days"], "tier": "key",
        "lifecycle_stage": "dormant", "last_order_date": "2026-05-01"}]}),
}
# What the gateway adds: each reason's code and parameters.
ANSWERED = {"churn-risk": lambda answer: dict(answer, items=[dict(answer["items"][0], reasons_details=[
    {"code": "churn.no_order", "params": {"days": "200", "gap": "60"}}])])}


@pytest.mark.parametrize("path", sorted(REPORTS))
def test_reports_pass_filters_and_keep_every_field(client, fake_rpc, auth, path):
    method, answer = REPORTS[path]
    fake_rpc.replies[method] = answer
    response = client.get("/api/v1/reports/%s?site_id=s1&since=2026-01-01T00:00:00%%2B08:00" % path, headers=auth)
    assert response.status_code == 200 and response.get_json() == ANSWERED.get(path, dict)(answer)
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == (
        method, ({"site_id": "s1", "since": "2025-12-31T16:00:00+00:00"},))
