"""Operational endpoints and request logs (F18, F22 request log; issue items 15 and 14).

Through the gateway of the real stack:
- ``/metrics`` and per-service health are not on the public port (they were public: route counts
  such as failed logins, and an RPC plus a database ping per anonymous call); they answer on the
  internal listener only, whatever Host or forwarding header a caller sends, and that listener
  serves nothing of the API;
- the probes' ``/healthz`` and ``/readyz`` stay where Kubernetes and compose call them;
- a survey link's token (its only credential) appears in neither the request log nor the metrics.
"""
import os

import pytest
import requests

from tests.security.test_headers import live_survey_link
from tests.support import plain_yaml
from tests.support.api import eventually

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTERNAL = ("/metrics", "/api/v1/services/accounts/health", "/api/v1/services/notifications/health")
SPOOFS = ({}, {"Host": "127.0.0.1:%(internal)d"}, {"X-Forwarded-Port": "%(internal)d", "X-Forwarded-For": "127.0.0.1",
                                                    "X-Forwarded-Host": "127.0.0.1:%(internal)d"})


def spoofed(stack, headers):
    return {name: value % {"internal": stack.internal_port} for name, value in headers.items()}


@pytest.mark.parametrize("headers", SPOOFS, ids=["plain", "host", "forwarded"])
@pytest.mark.parametrize("path", INTERNAL)
def test_internal_endpoints_are_not_on_the_public_port(stack, admin_api, path, headers):
    for auth in ({}, {"Authorization": "Bearer %s" % admin_api.token}):
        response = stack.get(path, headers={**spoofed(stack, headers), **auth})
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
        assert response.json()["error"]["code"] == "not_found"
        assert "crm_http_request_seconds" not in response.text


def test_the_internal_listener_serves_metrics_and_service_health(stack):
    stack.get("/readyz")
    metrics = requests.get(stack.internal_url + "/metrics", timeout=10)
    assert metrics.status_code == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    assert "crm_http_request_seconds_bucket" in metrics.text
    for name in ("accounts", "customers", "feedback", "notifications"):
        health = requests.get(stack.internal_url + "/api/v1/services/%s/health" % name, timeout=15)
        assert health.status_code == 200 and health.json()["service"] == name and health.json()["db"] is True


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/me", "/api/v1/customers", "/docs", "/s/abc", "/"])
def test_the_internal_listener_serves_nothing_of_the_api(stack, admin_api, path):
    response = requests.get(stack.internal_url + path, timeout=10,
                            headers={"Authorization": "Bearer %s" % admin_api.token})
    assert response.status_code == 404, (path, response.text[:200])


def test_probes_stay_on_the_public_port_and_out_of_the_document(stack):
    assert stack.get("/healthz").json() == {"status": "ok"}
    assert stack.get("/readyz").status_code == 200
    assert requests.get(stack.internal_url + "/readyz", timeout=15).status_code == 200
    paths = set(stack.get("/api/v1/openapi.json").json()["paths"])
    assert {"/healthz", "/readyz"} <= paths
    assert not {"/metrics", "/api/v1/services/{name}/health"} & paths


def test_kubernetes_exposes_the_public_port_only_and_scrapes_the_internal_one():
    with open(os.path.join(ROOT, "deploy", "k8s", "gateway.yaml"), encoding="utf-8") as handle:
        deployment, service = plain_yaml.load_all(handle)
    pod = deployment["spec"]["template"]
    ports = {port["name"]: port["containerPort"] for port in pod["spec"]["containers"][0]["ports"]}
    assert ports == {"http": 8000, "internal": 8001}
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "8001"
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]
    assert pod["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] == "http"


def test_a_survey_token_reaches_neither_the_request_log_nor_the_metrics(stack, admin_api, smtp_server):
    survey_link = live_survey_link(stack, admin_api, smtp_server)
    token = survey_link.rsplit("/s/", 1)[1]
    marker = "tokenlog-%s" % os.urandom(4).hex()
    for accept in ("application/json", "text/html"):
        shown = requests.get(survey_link, headers={"Accept": accept, "X-Request-ID": marker}, timeout=20)
        assert shown.status_code == 200, shown.text[:200]
    unknown = requests.get(stack.url + "/s/unknown-%s" % marker, headers={"X-Request-ID": marker}, timeout=20)
    assert unknown.status_code == 404

    def logged():
        with open(stack.log_path("gateway"), encoding="utf-8", errors="replace") as log:
            return [line for line in log if marker in line]

    lines = eventually(logged, lambda found: len(found) >= 3, timeout=10)
    assert all("/s/\\u2026" in line or "/s/\u2026" in line for line in lines), lines
    with open(stack.log_path("gateway"), encoding="utf-8", errors="replace") as log:
        whole = log.read()
    assert token not in whole and "unknown-%s" % marker not in whole
    metrics = requests.get(stack.internal_url + "/metrics", timeout=10).text
    assert token not in metrics and 'route="/s/<token>"' in metrics
