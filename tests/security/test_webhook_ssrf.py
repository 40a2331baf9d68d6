"""Webhook SSRF (F10; issue item 12), with private targets refused as `make run` now does by default.

Through the gateway against the real stack, its notifications service restarted with
``WEBHOOK_ALLOW_PRIVATE=false``: registering a hook on carrier-grade NAT (Alibaba Cloud metadata at
100.100.100.200), 6to4, Teredo, NAT64 or IPv4-mapped forms of loopback is refused on ``url``; a
hook registered to a loopback receiver while private targets were allowed is never contacted and its
delivery log shows no status and no error text of the target (no port-scan oracle). Against the
delivery code on the real database: a DNS name answering a public address, then 127.0.0.1 (DNS
rebinding), is sent to the address that was checked, never to loopback.
"""
import signal
import socket
import types

import pytest
import requests

from services.common.auth import Caller
from services.notifications import delivery, egress, webhooks
from tests.notifications.conftest import customers_event, db  # noqa: F401
from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.notifications.test_egress import Server, answers
from tests.support.api import eventually
from tests.support.customers import create_customer, create_site

ATTACKS = (
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud ECS metadata, in 100.64.0.0/10
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[::ffff:7f00:1]/",  # IPv4-mapped 127.0.0.1
)


def restart_notifications(stack, **env):
    stack.kill("notifications", signal.SIGTERM)
    stack.start("notifications", **env)
    stack.wait_ready()


@pytest.fixture(scope="module")
def loopback_hook(stack, admin_api):
    """A hook to a receiver on loopback, registered while private targets were allowed (old data)."""
    site = create_site(admin_api, "W")
    with WebhookReceiver() as receiver:
        created = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                               "site_id": site["id"]})
        assert created.status_code == 201, created.text
        yield types.SimpleNamespace(site=site["id"], receiver=receiver, hook=created.json())
        admin_api.delete("/webhooks/%s" % created.json()["id"])


@pytest.fixture(scope="module")
def private_refused(stack, loopback_hook):
    restart_notifications(stack, WEBHOOK_ALLOW_PRIVATE="false")
    yield
    restart_notifications(stack)


def test_targets_that_lead_inside_are_refused_at_registration(stack, admin_api, private_refused):
    attacks = ATTACKS + ("http://127.0.0.1:%d/healthz" % stack.port, "http://[::ffff:127.0.0.1]:%d/" % stack.port)
    for url in attacks:
        response = admin_api.post("/webhooks", {"url": url, "event_types": ["customers.*"]})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "validation_error"
        [reason] = response.json()["error"]["fields"]["url"]
        assert reason == egress.REFUSED or (url.startswith("http://[::ffff:127") and reason == "Not a valid URL."), (
            url, reason)
    listed = {hook["url"] for hook in admin_api.get("/webhooks", params={"limit": 500}).json()["items"]}
    assert not listed & set(attacks)

    site = create_site(admin_api, "P")
    control = admin_api.post("/webhooks", {"url": "https://93.184.216.34/hook", "event_types": ["customers.*"],
                                           "site_id": site["id"]})
    assert control.status_code == 201, control.text
    assert admin_api.delete("/webhooks/%s" % control.json()["id"]).status_code == 204


def test_a_private_target_is_never_contacted_and_the_log_is_no_oracle(admin_api, loopback_hook, private_refused):
    create_customer(admin_api, site_id=loopback_hook.site)

    def attempts():
        response = admin_api.get("/webhooks/%s/deliveries" % loopback_hook.hook["id"])
        assert response.status_code == 200, response.text
        return [attempt for item in response.json()["items"] for attempt in item["attempts"]]

    tried = eventually(attempts, lambda found: len(found) >= 2, timeout=30)
    for attempt in tried:
        assert attempt["status_code"] is None and attempt["success"] is False
        assert attempt["error"].startswith("Target refused") and "127.0.0.1" not in attempt["error"]
        assert str(loopback_hook.receiver.server.server_address[1]) not in attempt["error"]
    assert loopback_hook.receiver.requests == []


def test_dns_rebinding_reaches_the_checked_public_address_not_loopback(db, monkeypatch):  # noqa: F811
    """The hook's name answers 93.184.216.34 to every check, and 127.0.0.1 to any later lookup."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    admin = Caller("hq-admin", ["s1"], ["webhooks:admin", "sites:all"])
    with Server() as public_side, Server() as internal:
        resolver = answers({"rebind.example.test": ["93.184.216.34", "93.184.216.34", "127.0.0.1"]})
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        hook = webhooks.create(db, admin, {"url": "http://rebind.example.test:%d/hook" % internal.port,
                                           "event_types": ["customers.*"]})
        real_connect = requests.packages.urllib3.util.connection.create_connection
        dialled = []

        def network(address, *args, **kwargs):
            """The public address is served by ``public_side``; anything else is dialled as asked."""
            dialled.append(address[0])
            if address[0] == "93.184.216.34":
                return real_connect(("127.0.0.1", public_side.port), *args, **kwargs)
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(requests.packages.urllib3.util.connection, "create_connection", network)
        webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
        assert delivery.send_due(db) == 1

    assert internal.requests == [] and dialled == ["93.184.216.34"]
    assert resolver.calls.count("rebind.example.test") == 2, "one lookup at registration, one per attempt"
    [received] = public_side.requests
    assert received["host"] == "rebind.example.test:%d" % internal.port
    stored = db.deliveries.find_one()
    assert stored["status"] == "succeeded" and stored["attempts"][0]["status_code"] == 204
    assert signature_ok(hook["secret"], received)
