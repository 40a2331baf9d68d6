"""Answers match the OpenAPI document: the methods a path allows, strict JSON types, error extras
and the public survey page's content types (each case here was once found by the API fuzzing)."""
import re

import pytest

from tests.gateway.test_validation import assert_invalid

PLACEHOLDERS = {"name": "customers"}


def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def concrete(path):
    return re.sub(r"\{([^}]+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "x123"), path)


def test_allow_lists_exactly_the_documented_methods(client):
    for path, operations in document(client)["paths"].items():
        response = client.open(concrete(path), method="OPTIONS")
        allowed = {m.strip().lower() for m in response.headers["Allow"].split(",")} - {"head", "options"}
        assert allowed == set(operations) - {"parameters"}, path


@pytest.mark.parametrize("path", ["/api/v1/users/directory", "/api/v1/customers/export"])
def test_a_wrong_method_on_a_named_path_is_405_with_its_own_allow(client, auth, path):
    response = client.delete(path, headers=auth)
    assert response.status_code == 405
    assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == ["GET", "HEAD", "OPTIONS"]


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/views", {"name": "Mine", "shared": 0}, "shared"),
    ("/api/v1/views", {"name": "Mine", "filters": {"deleted": 1}}, "filters"),
    ("/api/v1/customers/c1/contacts", {"name": "Wang", "primary": "yes"}, "primary"),
    ("/api/v1/users", {"username": "ana", "email": "ana@example.com", "password": "x" * 16, "display_name": "Ana",
                       "sites": ["s1"], "roles": ["sales"], "must_change_password": 1}, "must_change_password"),
])
def test_a_json_boolean_is_true_or_false_only(client, fake_rpc, auth, path, body, field):
    assert_invalid(client.post(path, json=body, headers=auth), field)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("method, path, body", [
    ("put", "/api/v1/feedback/settings/s1", {"categories": ["quality"]}),
    ("patch", "/api/v1/customers/c1", {"legal_name": "Acme"}),
    ("patch", "/api/v1/users/u1", {"display_name": "Ana"}),
    ("put", "/api/v1/notifications/preferences", {"email_kinds": []}),
])
@pytest.mark.parametrize("version", [2 ** 63, 138561432470599829028864, -1])
def test_a_version_beyond_a_64_bit_count_is_422(client, fake_rpc, auth, method, path, body, version):
    assert_invalid(client.open(path, method=method.upper(), json={**body, "version": version}, headers=auth), "version")
    assert fake_rpc.calls == []


def test_error_details_document_every_extra_the_services_send(client):
    detail = document(client)["components"]["schemas"]["ErrorDetail"]["properties"]
    assert {"permission", "retry_after", "current_status", "allowed", "service", "error_id"} <= set(detail)


def test_the_public_survey_documents_its_pages(client):
    paths = document(client)["paths"]["/s/{token}"]
    for method, statuses in (("get", ("200", "404", "410", "503")), ("post", ("200", "404", "410", "422", "503"))):
        for status in statuses:
            assert set(paths[method]["responses"][status]["content"]) == {"application/json", "text/html"}, status


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain"}])
def test_a_survey_answer_that_is_not_a_form_gets_json(client, fake_rpc, headers):
    response = client.post("/s/token1", data="answers", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"_body": ["Must be an object."]}
    assert fake_rpc.calls == []


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/auth/login", "/s/token1"])
def test_json_nested_deeper_than_the_parser_goes_is_400(client, fake_rpc, auth, path):
    body = '{"legal_name": %s%s}' % ("[" * 100000, "]" * 100000)
    response = client.post(path, data=body, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert fake_rpc.calls == []
