"""Bad input on the main endpoints — too large, wrongly typed, broken, deeply nested, huge, or
carrying MongoDB operators — gets a clean 4xx JSON error naming the field, never a 5xx, and
stores nothing."""
import json

import pytest
import requests

from services.common import config

OPERATORS = ({"$gt": ""}, {"$ne": None})


def customer_body():
    return {"legal_name": "坏输入测试精密机械有限公司", "short_name": "Bad input"}


def contact_body():
    return {"name": "Wang Lei", "position": "Buyer"}


def feedback_body(ctx):
    return {"customer_id": ctx.customer["id"], "channel": "phone", "type": "complaint", "category": "quality",
            "text": "The gears arrived rusty."}


def user_body(ctx):
    return {"username": "bad.input.user", "email": "bad.input@factory.test", "password": "Harbour-lantern-quartz-41",
            "display_name": "Bad Input", "sites": [ctx.site["id"]], "roles": ["viewer"]}


def view_body():
    return {"name": "Bad input view", "filters": {"tier": "key"}, "columns": ["tags"]}


def webhook_body():
    return {"url": "http://127.0.0.1:9/bad-input", "event_types": ["customers.*"], "description": "bad input"}


# (name, path, valid body, list path whose total must not change)
CREATES = {
    "customers": ("/customers", lambda ctx: customer_body(), "/customers"),
    "contacts": ("/customers/{customer}/contacts", lambda ctx: contact_body(), "/customers/{customer}/contacts"),
    "feedback": ("/feedback", feedback_body, "/feedback"),
    "users": ("/users", user_body, "/users"),
    "views": ("/views", lambda ctx: view_body(), "/views"),
    "webhooks": ("/webhooks", lambda ctx: webhook_body(), "/webhooks"),
}


def url(ctx, path):
    return ctx.api.base + path.format(customer=ctx.customer["id"])


def count(ctx, list_path):
    response = ctx.api.get(list_path.format(customer=ctx.customer["id"]))
    assert response.status_code == 200, response.text
    page = response.json()
    return page["total"] if "total" in page else len(page["items"])


def send(ctx, method, path, data, content_type="application/json"):
    return ctx.api.http.request(method, url(ctx, path), data=data, timeout=60, headers={
        "Authorization": "Bearer %s" % ctx.api.token, "Content-Type": content_type})


def assert_clean_error(response, status=None, field=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    if status is not None:
        assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert field in error.get("fields", {}), error
    return error


def creates_nothing(ctx, name, attempt):
    """Run ``attempt(path, valid body)`` and check the list behind ``name`` did not grow."""
    path, body, list_path = CREATES[name]
    before = count(ctx, list_path)
    response = attempt(path, body(ctx))
    assert count(ctx, list_path) == before
    return response


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_body_over_the_limit_is_413(bad_input_ctx, name):
    too_large = config.get_int("MAX_BODY_BYTES") + 1

    def attempt(path, body):
        padded = json.dumps({**body, "notes": "x" * too_large})
        return send(bad_input_ctx, "POST", path, padded)

    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt), 413)


@pytest.mark.parametrize("name", sorted(CREATES))
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_a_json_body_sent_as_another_content_type_is_refused(bad_input_ctx, name, content_type):
    def attempt(path, body):
        return send(bad_input_ctx, "POST", path, json.dumps(body), content_type)

    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt))


@pytest.mark.parametrize("name", sorted(CREATES))
@pytest.mark.parametrize("broken", ['{"legal_name": ', "{'name': 'single quotes'}", "[1, 2", "\xff\xfe",
                                    '{"a": 1}{"b": 2}'])
def test_broken_json_is_400(bad_input_ctx, name, broken):
    def attempt(path, body):
        return send(bad_input_ctx, "POST", path, broken.encode("latin-1"))

    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt), 400)


@pytest.mark.parametrize("name", sorted(CREATES))
@pytest.mark.parametrize("body", ["NaN", "[]", '"text"', "null", "42"])
def test_json_that_is_not_an_object_is_refused(bad_input_ctx, name, body):
    def attempt(path, valid):
        return send(bad_input_ctx, "POST", path, body)

    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt))


@pytest.mark.parametrize("name", sorted(CREATES))
@pytest.mark.parametrize("depth", [100, 5000, 100000])
def test_deeply_nested_json_is_refused(bad_input_ctx, name, depth):
    def attempt(path, body):
        field = next(iter(body))
        nested = json.dumps(body)[:-1] + ', "%s": %s%s}' % (field, "[" * depth, "]" * depth)
        return send(bad_input_ctx, "POST", path, nested)

    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt))


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_huge_string_is_422_naming_the_field(bad_input_ctx, name):
    def attempt(path, body):
        field = next(iter(body))
        return send(bad_input_ctx, "POST", path, json.dumps({**body, field: "长" * 300_000}))

    field = next(iter(CREATES[name][1](bad_input_ctx)))
    assert_clean_error(creates_nothing(bad_input_ctx, name, attempt), 422, field)


@pytest.mark.parametrize("operator", OPERATORS, ids=["gt", "ne"])
@pytest.mark.parametrize("name", sorted(CREATES))
def test_an_operator_in_any_body_field_is_422_naming_it(bad_input_ctx, name, operator):
    for field in CREATES[name][1](bad_input_ctx):
        def attempt(path, body):
            return send(bad_input_ctx, "POST", path, json.dumps({**body, field: operator}))

        assert_clean_error(creates_nothing(bad_input_ctx, name, attempt), 422, field)


@pytest.mark.parametrize("operator", OPERATORS, ids=["gt", "ne"])
def test_an_operator_in_a_customer_patch_is_422_naming_it(bad_input_ctx, operator):
    api, customer = bad_input_ctx.api, bad_input_ctx.customer
    current = api.get("/customers/%s" % customer["id"]).json()
    for field in ("legal_name", "tags", "owner_id", "version"):
        response = api.patch("/customers/%s" % customer["id"], {"version": current["version"], field: operator})
        assert_clean_error(response, 422, field)
    assert api.get("/customers/%s" % customer["id"]).json() == current


@pytest.mark.parametrize("operator", OPERATORS, ids=["gt", "ne"])
def test_an_operator_in_a_view_filter_is_422_naming_it(bad_input_ctx, operator):
    def attempt(path, body):
        return send(bad_input_ctx, "POST", path, json.dumps({**body, "filters": {"tier": operator}}))

    error = assert_clean_error(creates_nothing(bad_input_ctx, "views", attempt), 422, "filters")
    assert "tier" in error["fields"]["filters"], error


@pytest.mark.parametrize("query, field", [
    ("/customers?tier[$ne]=x", "tier[$ne]"),
    ("/customers?q[$gt]=", "q[$gt]"),
    ("/customers?tier=%7B%22%24ne%22%3A%20null%7D", "tier"),
    ("/customers?owner_id[$ne]=nobody", "owner_id[$ne]"),
    ("/customers?%24where=1", "$where"),
    ("/customers/{customer}/contacts?name[$ne]=x", "name[$ne]"),
    ("/feedback?status[$ne]=closed", "status[$ne]"),
    ("/feedback?status=%7B%22%24gt%22%3A%22%22%7D", "status"),
    ("/users?role[$ne]=admin", "role[$ne]"),
    ("/users?status=%7B%22%24ne%22%3Anull%7D", "status"),
    ("/webhooks?site_id[$ne]=x", "site_id[$ne]"),
    ("/customers?q=" + "长" * 500, "q"),
])
def test_an_operator_or_a_huge_value_in_a_query_filter_is_422_naming_it(bad_input_ctx, query, field):
    response = bad_input_ctx.api.get(query.format(customer=bad_input_ctx.customer["id"]))
    assert_clean_error(response, 422, field)


def test_a_request_line_past_the_server_limit_is_refused_before_the_app(bad_input_ctx):
    """gunicorn reads at most 8 190 bytes of request line; a longer one is a JSON 414, never buffered."""
    response = bad_input_ctx.api.get("/customers", params={"q": "x" * 9000})
    assert_clean_error(response, 414, "url")


def test_an_operator_as_text_is_only_text(bad_input_ctx):
    response = bad_input_ctx.api.get("/customers", params={"q": '{"$ne": null}'})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0


@pytest.mark.parametrize("body, fields", [
    ({"identifier": {"$ne": None}, "password": {"$ne": None}}, ["identifier", "password"]),
    ({"identifier": "admin", "password": {"$gt": ""}}, ["password"]),
    ({"identifier": ["admin"], "password": "x"}, ["identifier"]),
    ({"identifier": "a" * 100_000, "password": "x"}, ["identifier"]),
])
def test_login_refuses_operators_and_huge_values(stack, body, fields):
    response = requests.post(stack.url + "/api/v1/auth/login", json=body, timeout=20)
    error = assert_clean_error(response, 422)
    assert set(fields) <= set(error["fields"]), error


@pytest.mark.parametrize("data, content_type, status", [
    ('{"identifier": ', "application/json", 400),
    ('{"identifier": "admin", "password": "x"}', "text/plain", 422),
    ("[" * 100000 + "]" * 100000, "application/json", None),
])
def test_login_refuses_broken_bodies(stack, data, content_type, status):
    response = requests.post(stack.url + "/api/v1/auth/login", data=data, timeout=20,
                             headers={"Content-Type": content_type})
    assert_clean_error(response, status)


def test_a_login_body_over_the_limit_is_413(stack):
    body = json.dumps({"identifier": "admin", "password": "x" * (config.get_int("MAX_BODY_BYTES") + 1)})
    response = requests.post(stack.url + "/api/v1/auth/login", data=body, timeout=60,
                             headers={"Content-Type": "application/json"})
    assert_clean_error(response, 413)
