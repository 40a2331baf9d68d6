"""The gateway's surface as pure rules: listeners, default headers, the log's path, gunicorn's
refusals as JSON, and the document's links (the attacks through the real stack are in
tests/security/test_headers.py and test_operational_endpoints.py)."""
import json

import pytest
from gunicorn.http import errors as http

from deploy.gunicorn_worker import refusal, response_bytes
from gateway import links
from gateway.app import create_app, loggable_path
from services.common import config

PUBLIC, INTERNAL = "http://localhost:8000", "http://localhost:%s" % config.get("GATEWAY_INTERNAL_PORT")


@pytest.fixture(scope="module")
def client():
    return create_app({"TESTING": True}).test_client()


@pytest.mark.parametrize("path", ["/metrics", "/api/v1/services/accounts/health"])
def test_internal_endpoints_answer_404_on_the_public_listener(client, path):
    response = client.get(path, base_url=PUBLIC, headers={"X-Forwarded-Port": config.get("GATEWAY_INTERNAL_PORT")})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_the_internal_listener_serves_metrics_and_the_probes_only(client):
    assert client.get("/metrics", base_url=INTERNAL).status_code == 200
    assert client.get("/healthz", base_url=INTERNAL).status_code == 200
    assert client.get("/api/v1/openapi.json", base_url=INTERNAL).status_code == 404
    assert client.get("/docs", base_url=INTERNAL).status_code == 404


def test_every_answer_gets_the_baseline_headers(client):
    response = client.get("/api/v1/no-such-thing", base_url=PUBLIC)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_docs_page_keeps_its_own_policy(client):
    policy = client.get("/docs", base_url=PUBLIC).headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]


@pytest.mark.parametrize("path, logged", [
    ("/s/AbC_-123", "/s/\u2026"),
    ("/s/AbC/extra", "/s/\u2026/extra"),
    ("/api/v1/customers/c1", "/api/v1/customers/c1"),
    ("/docs/s/x", "/docs/s/x"),
])
def test_a_survey_token_is_cut_from_the_logged_path(path, logged):
    assert loggable_path(path) == logged


@pytest.mark.parametrize("exc, status, code, field", [
    (http.LimitRequestLine(9000, 8190), 414, "uri_too_long", "url"),
    (http.LimitRequestHeaders("too many"), 431, "headers_too_large", "headers"),
    (http.InvalidRequestLine("GET /s/secret HTTP/1.1 x"), 400, "bad_request", None),
    (http.InvalidHTTPVersion("HTTP/9.9"), 400, "bad_request", None),
    (http.InvalidResponseHeader("X-Bad"), 500, "internal_error", None),
])
def test_gunicorn_refusals_are_json_naming_the_part(exc, status, code, field):
    answer_status, _reason, body = refusal(exc)
    error = json.loads(body)["error"]
    assert (answer_status, error["code"]) == (status, code)
    assert list(error.get("fields", {})) == ([field] if field else [])
    assert b"secret" not in body


def test_a_refusal_carries_the_baseline_headers():
    raw = response_bytes(*refusal(http.LimitRequestLine(9000, 8190)))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head
    assert b"Cache-Control: no-store" in head and b"Content-Length: %d" % len(body) in head


def test_links_lead_from_a_record_to_its_operations():
    spec = {"paths": {
        "/api/v1/things": {"post": {"responses": {"201": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"id": {"type": "string"}}}}}}}}},
        "/api/v1/things/{thing_id}": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Part"}}}}}}, "delete": {}},
        "/api/v1/things/{thing_id}/parts": {"post": {"responses": {"201": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Part"}}}}}}},
        "/api/v1/things/{thing_id}/parts/{part_id}": {"patch": {}},
        "/api/v1/things/export": {"get": {}},
    }, "components": {"schemas": {"Part": {"properties": {"id": {}}}}}}
    links.add_links(spec)
    created = spec["paths"]["/api/v1/things"]["post"]["responses"]["201"]["links"]
    assert set(created) == {"get.things.thing_id", "delete.things.thing_id", "post.things.thing_id.parts"}
    assert created["get.things.thing_id"] == {"operationRef": "#/paths/~1api~1v1~1things~1{thing_id}/get",
                                              "parameters": {"thing_id": "$response.body#/id"}}
    read = spec["paths"]["/api/v1/things/{thing_id}"]["get"]["responses"]["200"]["links"]
    assert read == {"post.things.thing_id.parts": {
        "operationRef": "#/paths/~1api~1v1~1things~1{thing_id}~1parts/post",
        "parameters": {"thing_id": "$response.body#/id"}}}
    part = spec["paths"]["/api/v1/things/{thing_id}/parts"]["post"]["responses"]["201"]["links"]
    assert part["patch.things.thing_id.parts.part_id"]["parameters"] == {
        "thing_id": "$request.path.thing_id", "part_id": "$response.body#/id"}
