"""Notifications and integrations through the gateway, on the real broker, DB and SMTP server.

Customers and feedback events are published on the broker as those services publish them, so
these tests do not depend on the timers that emit them.
"""
import json
import re
import subprocess
import sys
import uuid

import pytest
from kombu import Connection
from nameko.standalone.events import event_dispatcher

from services.common import signing
from services.customers import events as customers_events
from tests.e2e.test_identity import create_user, signed_in, unique
from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.support.api import Api, eventually
from tests.support.stack import ROOT


@pytest.fixture(scope="module")
def site(admin_api):
    response = admin_api.post("/sites", {"code": unique("N"), "name": "Notification plant", "timezone": "UTC"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def publish(test_env):
    dispatch = event_dispatcher({"AMQP_URI": test_env["AMQP_URI"], "serializer": "json"})

    def send(event):
        dispatch(event["type"].split(".")[0], event["type"], signing.sign(event))
        return event

    return send


def customer_created(site_id, name="Acme Precision"):
    return customers_events.event("customer_created", {
        "customer_id": uuid.uuid4().hex, "legal_name": name, "tax_id": None, "owner_id": None, "tier": None,
        "tags": []}, site_id=site_id, actor="e2e")


def followup_due(site_id, owner_id, name):
    return customers_events.event("followup_due", {
        "customer_id": uuid.uuid4().hex, "legal_name": name, "owner_id": owner_id, "due_date": "2026-05-01",
        "followup_id": uuid.uuid4().hex, "reason": "VIP cadence 30 days"}, site_id=site_id, actor="service:customers")


def deliveries(api, webhook_id, **params):
    response = api.get("/webhooks/%s/deliveries" % webhook_id, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_followup_due_event_reaches_the_owners_inbox_and_by_preference_their_mail(
        stack, admin_api, site, publish, smtp_server):
    owner = create_user(admin_api, [site["id"]], ["sales"], language="en")
    quiet = create_user(admin_api, [site["id"]], ["sales"], language="zh-CN")
    owner_api, quiet_api = signed_in(stack, owner), signed_in(stack, quiet)
    assert owner_api.get("/notifications/preferences").json()["email_kinds"][0] == "followup_due"
    kinds = [k for k in quiet_api.get("/notifications/preferences").json()["kinds"] if k != "followup_due"]
    assert quiet_api.put("/notifications/preferences", {"email_kinds": kinds, "version": 0}).status_code == 200

    publish(followup_due(site["id"], owner["id"], "Suzhou Castings"))
    publish(followup_due(site["id"], quiet["id"], "无锡精密"))

    inbox = eventually(lambda: owner_api.get("/notifications", params={"unread": "true"}).json(),
                       lambda page: page["total"] == 1, timeout=40)
    [item] = inbox["items"]
    assert item["kind"] == "followup_due" and item["title"] == "Follow-up due: Suzhou Castings"
    assert inbox["unread"] == 1 and item["read"] is False
    [mail] = eventually(lambda: smtp_server.to(owner["email"]), bool, timeout=20)
    assert mail["Subject"] == "Follow-up due: Suzhou Castings" and "2026-05-01" in mail.get_content()

    [quiet_item] = eventually(lambda: quiet_api.get("/notifications").json()["items"], bool, timeout=40)
    assert quiet_item["title"] == "回访到期：无锡精密"
    assert smtp_server.to(quiet["email"]) == []

    assert owner_api.post("/notifications/%s/read" % item["id"]).json()["read"] is True
    assert owner_api.get("/notifications", params={"unread": "true"}).json()["total"] == 0
    assert quiet_api.post("/notifications/%s/read" % item["id"]).status_code == 404
    assert quiet_api.post("/notifications/read-all").json() == {"updated": 1}


def test_a_password_reset_is_mailed_and_its_link_works_once(stack, admin_api, site, smtp_server):
    user = create_user(admin_api, [site["id"]], ["viewer"], language="en")
    api = Api(stack.url)
    assert api.post("/auth/password-reset", {"email": user["email"]}).status_code == 202

    [mail] = eventually(lambda: smtp_server.to(user["email"]), bool, timeout=20)
    assert mail["Subject"] == "Reset your Factory CRM password"
    token = re.search(r"http://crm\.test/reset-password\?token=(\S+)", mail.get_content()).group(1)
    new_password = "Juniper-harbour-lantern-41"
    assert api.post("/auth/password-reset/confirm", {"token": token, "new_password": new_password}).status_code == 204
    again = api.post("/auth/password-reset/confirm", {"token": token, "new_password": "Another-long-phrase-99"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "reset_token_used"
    assert api.login(user["username"], new_password)
    changed = eventually(lambda: smtp_server.to(user["email"]), lambda found: len(found) == 2, timeout=20)
    assert changed[1]["Subject"] == "Your Factory CRM password was changed"


def test_a_webhook_gets_signed_deliveries_retried_logged_and_redelivered(admin_api, site, publish):
    with WebhookReceiver() as receiver:
        created = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_*"],
                                               "site_id": site["id"]})
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["secret"] and "secret" not in admin_api.get("/webhooks/%s" % hook["id"]).json()

        receiver.fail_next(2)
        event = publish(customer_created(site["id"]))
        publish(customer_created("another-site"))
        [request] = eventually(receiver.received, bool, timeout=30)
        assert signature_ok(hook["secret"], request)
        assert json.loads(request["body"]) == event
        assert request["headers"]["X-CRM-Event"] == "customers.customer_created"

        [delivery] = eventually(lambda: deliveries(admin_api, hook["id"], status="succeeded"), bool)
        assert delivery["id"] == request["headers"]["X-CRM-Delivery"] and delivery["event_id"] == event["event_id"]
        assert [(a["number"], a["status_code"], a["success"]) for a in delivery["attempts"]] == [
            (1, 500, False), (2, 500, False), (3, 204, True)]
        assert delivery["attempts"][0]["error"] == "HTTP 500" and all(
            a["latency_ms"] is not None for a in delivery["attempts"])
        assert len(receiver.requests) == 3

        again = admin_api.post("/deliveries/%s/redeliver" % delivery["id"])
        assert again.status_code == 202 and again.json()["id"] != delivery["id"]
        second = eventually(receiver.received, lambda found: len(found) == 2, timeout=20)[1]
        assert second["headers"]["X-CRM-Delivery"] == again.json()["id"]
        assert json.loads(second["body"])["event_id"] == event["event_id"] and signature_ok(hook["secret"], second)
        assert len(deliveries(admin_api, hook["id"])) == 2
        assert admin_api.delete("/webhooks/%s" % hook["id"]).status_code == 204


def test_webhooks_need_webhooks_admin(stack, admin_api, site):
    sales = signed_in(stack, create_user(admin_api, [site["id"]], ["sales"]))
    response = sales.post("/webhooks", {"url": "https://erp.example.com/hook", "event_types": ["customers.*"]})
    assert response.status_code == 403
    assert sales.get("/notifications/failed-emails").status_code == 403
    assert admin_api.get("/notifications/failed-emails").status_code == 200


def test_deliveries_pending_when_notifications_is_killed_are_sent_after_restart(stack, admin_api, site, publish):
    with WebhookReceiver() as receiver:
        hook = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                            "site_id": site["id"]}).json()
        receiver.failing = True
        sent = [publish(customer_created(site["id"], "Pending %d" % n)) for n in range(3)]
        eventually(lambda: deliveries(admin_api, hook["id"], status="pending"),
                   lambda items: len(items) == 3 and all(d["attempts"] for d in items), timeout=30)
        try:
            stack.kill("notifications")
            sent += [publish(customer_created(site["id"], "While down %d" % n)) for n in range(2)]
            receiver.failing = False
        finally:
            stack.start("notifications")
        wanted = {event["event_id"] for event in sent}
        eventually(lambda: {event["event_id"] for event in receiver.events()}, lambda got: got >= wanted, timeout=90)
        done = eventually(lambda: deliveries(admin_api, hook["id"], status="succeeded"),
                          lambda items: len(items) == 5, timeout=30)
        assert {d["event_id"] for d in done} == wanted
        assert deliveries(admin_api, hook["id"], status="exhausted") == []


def test_the_example_subscriber_prints_a_customer_created_event(stack, test_env, publish):
    queue = "example.e2e.%s" % uuid.uuid4().hex[:8]
    env = dict(test_env, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "docs/examples/subscriber.py", "--queue", queue, "--exchange",
                                "customers", "--amqp-uri", test_env["AMQP_URI"]], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on queue %s" % queue in process.stderr.readline()
        event = publish(customer_created("example-site", "Printed Co"))
        printed = json.loads(process.stdout.readline())
        assert printed == signing.sign(event)
    finally:
        process.terminate()
        process.wait(10)
        with Connection(test_env["AMQP_URI"]) as connection:
            connection.channel().queue_delete(queue)
