"""Signed envelopes and sealed secret fields (issue item 16): the pure rules."""
import json

import pytest

from services.common import clock, consumer, envelope, signing
from services.common.envelope import Catalogue


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "a test deployment's shared secret")


CATALOGUE = Catalogue("demo", {"link_sent": ("user_id", "expires_at")}, sealed={"link_sent": ("email", "url")})


def sent(**secret):
    secret = secret or {"email": "ann@example.test", "url": "http://crm.test/x?t=live"}
    return CATALOGUE.event("link_sent", {"user_id": "u1", "expires_at": "2026-01-01T00:00:00Z"}, site_id="s1",
                           actor="u1", secret=secret)


def over_the_wire(event):
    """What a consumer receives: the JSON the relay published, parsed."""
    return json.loads(json.dumps(event))


def test_a_signed_event_is_accepted_after_the_trip_through_the_broker():
    event = over_the_wire(signing.sign(sent()))
    assert event["signature"].startswith("sha256=") and signing.rejection(event) is None


def test_the_signature_is_stable_across_re_sends():
    event = sent()
    assert signing.sign(event)["signature"] == signing.sign(dict(event))["signature"]


@pytest.mark.parametrize("field,value", [
    ("type", "demo.other"), ("event_id", "another"), ("occurred_at", "2020-01-01T00:00:00Z"), ("site_id", "s2"),
    ("actor", "mallory"), ("data", {"user_id": "u2", "expires_at": "2026-01-01T00:00:00Z"}), ("version", 2),
    ("sealed", signing.seal({"email": "x@evil.test", "url": "http://evil.test"})), ("request_id", "r9"),
])
def test_any_changed_envelope_field_breaks_the_signature(field, value):
    event = signing.sign(sent())
    event[field] = value
    assert signing.rejection(event) == "bad signature"


def test_unsigned_and_keyless_forgeries_are_refused(monkeypatch):
    assert signing.rejection(sent()) == "unsigned"
    assert signing.rejection(dict(sent(), signature=None)) == "unsigned"
    monkeypatch.setenv("CRM_SECRET_KEY", "a guess")
    forged = signing.sign(sent())
    monkeypatch.setenv("CRM_SECRET_KEY", "a test deployment's shared secret")
    assert signing.rejection(forged) == "bad signature"


def test_a_signature_that_is_not_ascii_is_refused_not_raised():
    assert signing.rejection(dict(sent(), signature="sha256=\ud800")) == "bad signature"
    assert signing.rejection(dict(sent(), signature="sha256=é")) == "bad signature"


def test_a_signed_envelope_whose_sealed_part_does_not_open_is_refused():
    event = dict(sent(), sealed="not-a-fernet-token")
    assert signing.rejection(signing.sign(event)) == "sealed part unreadable"


def test_secret_fields_travel_sealed_and_open_only_with_the_key(monkeypatch):
    event = sent()
    wire = json.dumps(event)
    assert "ann@example.test" not in wire and "t=live" not in wire
    assert event["data"] == {"user_id": "u1", "expires_at": "2026-01-01T00:00:00Z"}
    assert signing.secret_of(over_the_wire(event)) == {"email": "ann@example.test", "url": "http://crm.test/x?t=live"}
    assert signing.secret_of(envelope.make_event("demo.plain", {})) == {}
    monkeypatch.setenv("CRM_SECRET_KEY", "another deployment")
    with pytest.raises(Exception):
        signing.secret_of(event)


def test_the_catalogue_requires_exactly_the_sealed_fields():
    with pytest.raises(ValueError):
        sent(email="ann@example.test")
    with pytest.raises(ValueError):
        CATALOGUE.event("link_sent", {"user_id": "u1", "expires_at": None})
    plain = Catalogue("demo", {"done": ("a",)})
    assert "sealed" not in plain.event("done", {"a": 1})
    with pytest.raises(ValueError):
        plain.event("done", {"a": 1}, secret={"b": 2})


def test_handle_once_never_runs_the_handler_for_a_refused_event():
    ran = []

    class Db:
        """No database call may happen for a refused event."""

        def __getattr__(self, name):
            raise AssertionError("the database was touched for a refused event")

    forged = over_the_wire(sent())
    forged["signature"] = "sha256=" + "0" * 64
    assert consumer.handle_once(Db(), "on_link_sent", forged, ran.append) is False
    assert consumer.handle_once(Db(), "on_link_sent", over_the_wire(sent()), ran.append) is False
    assert ran == []


def test_a_signed_event_of_another_service_on_this_exchange_is_refused():
    """A service holding the key may publish only on its own exchange: an event it signs with
    another service's type, delivered through its exchange, is not that other service's event."""
    ran = []

    class Db:
        def __getattr__(self, name):
            raise AssertionError("the database was touched for a refused event")

    passed_off = over_the_wire(signing.sign(sent()))
    assert consumer.handle_once(Db(), "on_customers_event", passed_off, ran.append, "customers") is False
    assert ran == []


def test_handle_once_runs_the_handler_for_a_signed_event(db_factory):
    ran = []
    event = over_the_wire(signing.sign(sent()))
    assert consumer.handle_once(db_factory("demo"), "on_link_sent", event, ran.append, "demo") is True
    assert ran == [event] and signing.secret_of(ran[0])["url"] == "http://crm.test/x?t=live"


def test_a_stored_failure_whose_event_is_refused_leaves_the_retry_list(db_factory):
    db = db_factory("demo")
    unsigned = over_the_wire(sent())
    db.failed_events.insert_one({"_id": "on_link_sent/%s" % unsigned["event_id"], "consumer": "on_link_sent",
                                 "event": unsigned, "attempts": 1, "next_attempt_at": clock.utcnow()})
    ran = []

    class Consumer:
        def on_link_sent(self, event):
            return consumer.handle_once(db, "on_link_sent", event, ran.append)

    assert consumer.retry_failed(db, Consumer()) == 1
    assert ran == [] and db.failed_events.count_documents({}) == 0


def test_an_idempotent_handler_runs_on_every_delivery_keeps_no_marker_and_its_failure_is_retried(db_factory):
    """Handlers whose writes are keyed by the event id (the audit trail) take no claim: two
    deliveries run twice, and one completed marker is written; a failure is kept and leaves the
    retry list once a retry succeeds. A forged event is still refused."""
    db = db_factory("demo")
    event = over_the_wire(signing.sign(sent()))
    ran, broken = [], [True]

    def handler(delivered):
        if broken[0]:
            raise RuntimeError("the handler failed")
        ran.append(delivered["event_id"])

    class Consumer:
        def on_link_sent(self, delivered):
            return consumer.handle_once(db, "on_link_sent", delivered, handler, "demo", idempotent=True)

    assert Consumer().on_link_sent(event) is False
    assert db.failed_events.count_documents({}) == 1
    broken[0] = False
    db.failed_events.update_many({}, {"$set": {"next_attempt_at": clock.utcnow()}})
    assert consumer.retry_failed(db, Consumer()) == 1
    assert db.failed_events.count_documents({}) == 0
    assert Consumer().on_link_sent(event) is True
    assert ran == [event["event_id"]] * 2
    [marker] = db.processed_events.find()
    assert marker["_id"] == "on_link_sent/%s" % event["event_id"] and "pending" not in marker
    forged = dict(event, signature="sha256=" + "0" * 64)
    assert Consumer().on_link_sent(forged) is False and len(ran) == 2
