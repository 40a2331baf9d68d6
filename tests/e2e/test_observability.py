"""One request id from the gateway through RPC, the event and the webhook it causes; per-service
Prometheus metrics of entrypoints, events, the outbox and webhook deliveries."""
import json
import re
import uuid

from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually
from tests.support.customers import create_site, create_customer


def log_lines(stack, name):
    """The JSON log lines a process wrote so far (other output, e.g. a crash banner, is skipped)."""
    found = []
    with open(stack.log_path(name), encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    pass
    return found


def with_id(stack, name, request_id):
    return [line for line in log_lines(stack, name) if line.get("request_id") == request_id]


def sample(text, metric, **labels):
    """The value of one Prometheus sample (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(r"%s\{(.*)\} (\S+)" % re.escape(metric), line)
        if match:
            have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            if all(have.get(k) == v for k, v in labels.items()):
                return float(match.group(2))
    return 0.0


def test_one_request_id_runs_through_gateway_rpc_event_and_webhook(stack, admin_api):
    site = create_site(admin_api, "Obs")
    request_id = "obs-%s" % uuid.uuid4().hex[:12]
    with WebhookReceiver() as receiver:
        hook = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                            "site_id": site["id"]})
        assert hook.status_code == 201, hook.text
        response = admin_api.post("/customers", {"legal_name": "溯源精密机械有限公司%s" % uuid.uuid4().hex[:4],
                                                 "site_id": site["id"]}, headers={"X-Request-ID": request_id})
        assert response.status_code == 201, response.text
        assert response.headers["X-Request-ID"] == request_id

        [delivered] = eventually(receiver.events, bool, timeout=30)
        assert delivered["request_id"] == request_id and delivered["data"]["customer_id"] == response.json()["id"]

    [gateway_line] = eventually(lambda: with_id(stack, "gateway", request_id), bool)
    assert gateway_line["path"] == "/api/v1/customers" and gateway_line["status"] == 201
    rpc_lines = eventually(lambda: [line for line in with_id(stack, "customers", request_id)
                                    if line.get("entrypoint") == "create_customer"], bool)
    assert rpc_lines[0]["kind"] == "rpc" and rpc_lines[0]["outcome"] == "ok" and rpc_lines[0]["service"] == "customers"
    handled = eventually(lambda: [line for line in with_id(stack, "notifications", request_id)
                                  if line.get("event_type") == "customers.customer_created"], bool)
    assert handled[0]["kind"] == "event" and handled[0]["service"] == "notifications"


def test_each_service_serves_its_metrics(stack, admin_api):
    before = stack.metrics("customers")
    created = sample(before, "crm_entrypoint_seconds_count", service="customers", kind="rpc",
                     entrypoint="create_customer", outcome="ok")
    published = sample(before, "crm_events_published_total", service="customers",
                       event_type="customers.customer_created")
    handled = sample(stack.metrics("notifications"), "crm_events_handled_total", service="notifications",
                     event_type="customers.customer_created", outcome="handled")

    create_customer(admin_api, site_id=create_site(admin_api, "Met")["id"])

    after = eventually(lambda: stack.metrics("customers"), lambda text: sample(
        text, "crm_events_published_total", service="customers", event_type="customers.customer_created") > published)
    assert sample(after, "crm_entrypoint_seconds_count", service="customers", kind="rpc",
                  entrypoint="create_customer", outcome="ok") == created + 1
    assert "crm_outbox_backlog{service=\"customers\"}" in after
    eventually(lambda: stack.metrics("notifications"), lambda text: sample(
        text, "crm_events_handled_total", service="notifications", event_type="customers.customer_created",
        outcome="handled") > handled)
    for name in ("accounts", "feedback"):
        assert sample(stack.metrics(name), "crm_entrypoint_seconds_count", entrypoint="health") >= 1
    assert "crm_webhook_deliveries_total" in stack.metrics("notifications")
