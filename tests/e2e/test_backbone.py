"""The running system through the gateway: health, docs, errors, and recovery from faults."""
import subprocess
import time

import pytest
import requests

SERVICES = ("accounts", "customers", "feedback", "notifications")


def poll(fetch, predicate, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fetch()
            if predicate(last):
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError("not reached within %.0f s; last: %r" % (timeout, getattr(last, "text", last)))


def internal(stack, path):
    """A GET on the gateway's internal listener (per-service health lives there only)."""
    return requests.get(stack.internal_url + path, timeout=15)


def test_readyz_lists_all_four_services_ok(stack):
    response = stack.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["services"]) == set(SERVICES)
    assert all(state == {"status": "ok", "version": "0.1.0", "db": True} for state in body["services"].values())
    assert stack.get("/healthz").json() == {"status": "ok"}


def test_openapi_document_and_docs_page_are_served_without_a_cdn(stack):
    spec = stack.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(spec["paths"])
    assert not {"/metrics", "/api/v1/services/{name}/health"} & set(spec["paths"])
    page = stack.get("/docs").text
    assert "http" not in page.split("<body>")[0].replace("http-equiv", "")
    asset = stack.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100000


def test_metrics_are_prometheus_text(stack):
    stack.get("/readyz")
    text = internal(stack, "/metrics").text
    assert "crm_http_request_seconds_bucket" in text
    assert 'crm_rpc_call_seconds_count{method="health"' in text


def test_unknown_route_and_wrong_method_are_json_errors(stack):
    missing = stack.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = requests.post(stack.url + "/readyz", timeout=10)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_killed_service_is_reported_then_recovers(stack, test_env):
    limit = float(test_env["RPC_TIMEOUT"]) + 5
    stack.kill("customers")
    try:
        down = poll(lambda: stack.get("/readyz"), lambda r: r.status_code == 503, limit)
        body = down.json()
        assert body["services"]["customers"]["status"] == "down"
        assert body["services"]["accounts"]["status"] == "ok"

        started = time.monotonic()
        routed = internal(stack, "/api/v1/services/customers/health")
        assert time.monotonic() - started < limit
        assert routed.status_code == 503
        assert routed.json()["error"]["code"] == "service_unavailable"
        assert internal(stack, "/api/v1/services/accounts/health").json()["service"] == "accounts"
    finally:
        stack.start("customers")
    poll(lambda: stack.get("/readyz"), lambda r: r.status_code == 200, 60)
    assert internal(stack, "/api/v1/services/customers/health").json()["db"] is True


@pytest.mark.broker_outage
def test_broker_outage_gives_503_then_everything_recovers_without_restarts(stack):
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True)
    try:
        down = poll(lambda: internal(stack, "/api/v1/services/accounts/health"), lambda r: r.status_code == 503, 30)
        assert down.json()["error"]["code"] == "service_unavailable"
        assert stack.get("/readyz").status_code == 503
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True)
    poll(lambda: stack.get("/readyz"), lambda r: r.status_code == 200, 60)
    for name in SERVICES:
        assert internal(stack, "/api/v1/services/%s/health" % name).status_code == 200
    # every gateway worker and thread answers: none is left with a proxy from before the outage
    answers = [internal(stack, "/api/v1/services/accounts/health").status_code for _ in range(24)]
    assert answers == [200] * 24
    assert {name: proc.pid for name, proc in stack.procs.items()} == pids
    assert all(proc.poll() is None for proc in stack.procs.values())


def test_the_kubernetes_probe_answers_for_a_running_service_and_fails_for_a_missing_one(stack):
    import sys

    from tests.support.stack import ROOT

    ok = subprocess.run([sys.executable, "-m", "deploy.probe", "accounts"], cwd=ROOT, env=stack.env,
                        capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0 and "accounts ok" in ok.stdout
    missing = subprocess.run([sys.executable, "-m", "deploy.probe", "no_such_service"], cwd=ROOT, env=stack.env,
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0 and "no answer" in missing.stderr
