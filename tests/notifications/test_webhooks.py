"""Webhooks: subscriptions, fan-out, signed attempts, the retry schedule, disabling, redelivery."""
import datetime
import hashlib
import hmac
import json

import pytest

from services.common.auth import Caller
from services.common.clock import utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.common.outbox import OUTBOX
from services.notifications import delivery, directory, egress, webhooks
from tests.notifications.conftest import customers_event, user_event

ADMIN = Caller("hq-admin", ["s1"], ["webhooks:admin", "sites:all"])
SITE_ADMIN = Caller("site-admin", ["s1"], ["webhooks:admin"])


def created(db, caller=ADMIN, **body):
    return webhooks.create(db, caller, dict({"url": "http://127.0.0.1:9/hook", "event_types": ["customers.*"]},
                                            **body))


def due_now(db):
    db.deliveries.update_many({"status": "pending"}, {"$set": {"next_attempt_at": utcnow()}})


class Receiver:
    """A fake ``post``: answers from ``statuses`` in turn and keeps what it got."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.requests = []

    def __call__(self, url, body, headers):
        self.requests.append({"url": url, "body": body, "headers": headers})
        status = self.statuses.pop(0) if self.statuses else 200
        return status, (None if 200 <= status < 300 else "HTTP %d" % status)


def test_create_returns_the_secret_once_and_validates(db, monkeypatch):
    hook = created(db, description="ERP")
    assert hook["secret"].startswith("whsec_") and hook["active"] and hook["event_types"] == ["customers.*"]
    assert "secret" not in webhooks.get(db, ADMIN, hook["id"])
    assert [h["id"] for h in webhooks.list_visible(db, ADMIN, None, None)["items"]] == [hook["id"]]
    assert db.webhooks.find_one({"_id": hook["id"]})[OUTBOX][0]["type"] == "notifications.audit"

    with pytest.raises(ValidationFailed) as bad:
        created(db, event_types=["customers.nothing_like_this", "Not A Type"])
    assert len(bad.value.fields["event_types"]) == 2
    with pytest.raises(ValidationFailed) as unscoped:
        created(db, SITE_ADMIN)
    assert "site_id" in unscoped.value.fields
    with pytest.raises(ValidationFailed) as outside:
        created(db, SITE_ADMIN, site_id="s2")
    assert "site_id" in outside.value.fields
    with pytest.raises(Forbidden):
        created(db, Caller("sales", ["s1"], ["customers:write"]))

    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    with pytest.raises(ValidationFailed) as private:
        created(db)
    assert "url" in private.value.fields


def test_private_and_loopback_targets_are_refused_unless_allowed():
    for url in ("http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/x", "http://192.168.0.5/x",
                "http://169.254.169.254/latest", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/"):
        assert egress.target_problem(url, private_allowed=False), url
    assert egress.target_problem("https://93.184.216.34/hook", private_allowed=False) is None
    assert egress.target_problem("http://127.0.0.1/x", private_allowed=True) is None
    assert egress.target_problem("ftp://93.184.216.34/x", private_allowed=True)


def test_site_admins_see_only_their_sites_hooks(db):
    mine = created(db, SITE_ADMIN, site_id="s1")
    everything = created(db)
    assert [h["id"] for h in webhooks.list_visible(db, SITE_ADMIN, None, None)["items"]] == [mine["id"]]
    with pytest.raises(NotFound):
        webhooks.get(db, SITE_ADMIN, everything["id"])


def test_fan_out_by_pattern_and_site_once_per_event(db):
    wildcard = created(db)
    exact = created(db, event_types=["customers.tier_changed", "feedback.*"])
    site_only = created(db, event_types=["*"], site_id="s2")
    event = customers_event("customer_created", site_id="s1", customer_id="c1")
    assert webhooks.fan_out(db, event) == 1
    assert webhooks.fan_out(db, event) == 0
    assert {d["webhook_id"] for d in db.deliveries.find()} == {wildcard["id"]}
    other_site = customers_event("tier_changed", site_id="s2", customer_id="c1")
    assert webhooks.fan_out(db, other_site) == 3
    assert db.deliveries.count_documents({"webhook_id": {"$in": [exact["id"], site_only["id"]]}}) == 2


def test_password_reset_links_never_leave_through_webhooks(db):
    from services.accounts import events as accounts_events

    created(db, event_types=["*"])
    with pytest.raises(ValidationFailed):
        created(db, event_types=["accounts.password_reset_requested"])
    reset = accounts_events.event("password_reset_requested", {
        "user_id": "u1", "display_name": "U", "language": "en", "expires_at": "2026-01-01T00:30:00Z"},
        secret={"email": "u1@factory.test", "reset_url": "http://crm.test/reset-password?token=secret"})
    assert webhooks.fan_out(db, reset) == 0
    assert webhooks.fan_out(db, accounts_events.event("site_created", {
        "site_id": "s9", "code": "S9", "name": "Nine", "timezone": "UTC", "status": "active", "version": 1})) == 1


def test_a_delivery_is_signed_and_retried_on_the_schedule_and_logged(db, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0,0")
    hook = created(db)
    event = customers_event("customer_created", customer_id="c1", legal_name="Acme")
    webhooks.fan_out(db, event)
    receiver = Receiver(500, 503, 204)
    for _ in range(3):
        due_now(db)
        assert delivery.send_due(db, receiver) == 1
    [stored] = db.deliveries.find()
    assert stored["status"] == "succeeded" and [a["status_code"] for a in stored["attempts"]] == [500, 503, 204]
    assert [a["error"] for a in stored["attempts"]] == ["HTTP 500", "HTTP 503", None]
    assert all(a["latency_ms"] >= 0 for a in stored["attempts"])
    sent = receiver.requests[-1]
    assert json.loads(sent["body"]) == event
    headers = sent["headers"]
    assert headers["X-CRM-Event"] == "customers.customer_created" and headers["X-CRM-Delivery"] == stored["_id"]
    expected = hmac.new(hook["secret"].encode(), headers["X-CRM-Timestamp"].encode() + b"." + sent["body"],
                        hashlib.sha256).hexdigest()
    assert headers["X-CRM-Signature"] == "sha256=" + expected


def test_a_delivery_is_exhausted_after_the_last_retry(db, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0")
    created(db)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    receiver = Receiver(500, 500, 500)
    for _ in range(3):
        due_now(db)
        delivery.send_due(db, receiver)
    [stored] = db.deliveries.find()
    assert stored["status"] == "exhausted" and len(stored["attempts"]) == 2 and len(receiver.requests) == 2


def test_twenty_exhausted_deliveries_in_a_row_disable_the_hook_and_tell_admins(db, monkeypatch):
    monkeypatch.setattr(delivery.retries, "schedule", lambda name: [])
    directory.apply(db, user_event("hookadmin", ["s1"], ["webhooks:admin", "sites:all"]))
    directory.apply(db, user_event("bystander", ["s1"], ["customers:read"]))
    hook = created(db)
    for n in range(19):
        webhooks.fan_out(db, customers_event("customer_created", customer_id="c%d" % n))
    delivery.send_due(db, Receiver(*[500] * 19), limit=50)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="ok"))
    delivery.send_due(db, Receiver(200))
    assert db.webhooks.find_one({"_id": hook["id"]})["consecutive_exhausted"] == 0, "a success resets the count"

    for n in range(20):
        webhooks.fan_out(db, customers_event("customer_created", customer_id="d%d" % n))
    webhooks.fan_out(db, customers_event("customer_created", customer_id="late"))
    db.deliveries.update_one({"event.data.customer_id": "late"},
                             {"$set": {"next_attempt_at": utcnow() + datetime.timedelta(days=1)}})
    delivery.send_due(db, Receiver(*[500] * 20), limit=50)
    stored = db.webhooks.find_one({"_id": hook["id"]})
    assert stored["active"] is False and stored["consecutive_exhausted"] == 20 and stored["disabled_at"]
    assert [e["type"] for e in stored[OUTBOX]][-2:] == ["notifications.webhook_disabled", "notifications.audit"]
    assert db.deliveries.find_one({"event.data.customer_id": "late"})["status"] == "cancelled"
    [notice] = db.inbox.find({"user_id": "hookadmin"})
    assert notice["kind"] == "webhook_disabled" and "127.0.0.1:9/hook" in notice["title"]
    assert db.inbox.count_documents({"user_id": "bystander"}) == 0
    assert webhooks.fan_out(db, customers_event("customer_created", customer_id="after")) == 0


def test_redeliver_makes_a_new_delivery_of_the_same_event(db):
    hook = created(db)
    event = customers_event("customer_created", customer_id="c1")
    webhooks.fan_out(db, event)
    delivery.send_due(db, Receiver(200))
    [original] = db.deliveries.find()
    again = webhooks.redeliver(db, ADMIN, original["_id"])
    assert again["id"] != original["_id"] and again["event_id"] == event["event_id"]
    assert again["status"] == "pending" and again["redelivery_of"] == original["_id"]
    receiver = Receiver(200)
    delivery.send_due(db, receiver)
    assert receiver.requests[0]["headers"]["X-CRM-Delivery"] == again["id"]
    assert json.loads(receiver.requests[0]["body"])["event_id"] == event["event_id"]
    page = webhooks.list_deliveries(db, ADMIN, hook["id"], {"status": "succeeded"}, None, None)
    assert page["total"] == 2 and all(len(d["attempts"]) == 1 for d in page["items"])
    with pytest.raises(NotFound):
        webhooks.redeliver(db, ADMIN, "no-such-delivery")


def test_deleting_a_hook_cancels_its_pending_deliveries(db):
    hook = created(db)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    [pending] = db.deliveries.find()
    webhooks.delete(db, ADMIN, hook["id"])
    assert db.deliveries.find_one()["status"] == "cancelled"
    assert "secret" not in db.webhooks.find_one({"_id": hook["id"]})
    with pytest.raises(NotFound):
        webhooks.get(db, ADMIN, hook["id"])
    with pytest.raises(NotFound):
        webhooks.redeliver(db, ADMIN, pending["_id"])
    assert webhooks.list_visible(db, ADMIN, None, None)["total"] == 0


def test_a_disabled_hook_cannot_be_redelivered_to(db):
    hook = created(db)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    [pending] = db.deliveries.find()
    db.webhooks.update_one({"_id": hook["id"]}, {"$set": {"active": False}})
    with pytest.raises(Conflict):
        webhooks.redeliver(db, ADMIN, pending["_id"])
