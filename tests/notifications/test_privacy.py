"""What notifications keeps and lets out: webhook bodies, encrypted secrets, failed mail, texts in the
log, audits of redelivery and preferences, erasure of a customer, and recipients of another site."""
import hashlib
import hmac
import json
import logging
import smtplib

import pytest
from cryptography.fernet import Fernet

from services.common import signing
from services.common.auth import Caller
from services.common.clock import utcnow
from services.common.envelope import make_event
from services.common.errors import Conflict, ValidationFailed
from services.common.outbox import OUTBOX
from services.customers import events as customers_events
from services.feedback import events as feedback_events
from services.notifications import delivery, directory, erasure, inbox, mail, routing, sms, store, webhooks
from tests.notifications.conftest import SALES, customers_event, user_event

ADMIN = Caller("hq-admin", ["s1"], ["webhooks:admin", "sites:all"])
# What customers announces when customer c1 (with contact k1) is erased or purged.
ERASED_C1 = {"customer_id": "c1", "contact_ids": ["k1"],
             "records": {"customer": ["c1"], "contact": ["k1"], "interaction": ["i1"]},
             "fields": {"customer": ["legal_name"], "contact": ["name"], "interaction": ["summary"]}}


class Receiver:
    def __init__(self):
        self.requests = []

    def __call__(self, url, body, headers):
        self.requests.append({"body": body, "headers": headers})
        return 204, None


def hook(db, **body):
    return webhooks.create(db, ADMIN, dict({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}, **body))


def survey_sent(customer_id="c1", contact_id="k1"):
    return feedback_events.event("survey_sent", {
        "survey_id": "sv1", "survey_title": "2026 survey", "customer_id": customer_id, "contact_id": contact_id,
        "name": "Wang", "expires_at": "2026-02-01T00:00:00Z", "language": "en"}, site_id="s1",
        secret={"email": "buyer@customer.test", "link": "http://crm.test/s/live-token"})


def contact_audit(contact_id="k1"):
    return customers_events.audit("contact", contact_id, "created", {
        "name": {"before": None, "after": "Wang"}, "email": {"before": None, "after": "buyer@customer.test"},
        "customer_id": {"before": None, "after": "c1"}}, "s1", "u1")


def test_webhooks_get_only_the_public_envelope_without_contact_addresses(db):
    hook(db)
    audit = signing.sign(dict(contact_audit(), sealed="opaque", extra="internal"))
    assert webhooks.fan_out(db, audit) == 1
    [stored] = db.deliveries.find()
    assert set(stored["event"]) == {"event_id", "type", "occurred_at", "site_id", "actor", "data", "version",
                                    "request_id"}
    assert stored["event"]["data"]["changes"] == {"name": {"before": None, "after": "Wang"},
                                                  "customer_id": {"before": None, "after": "c1"}}
    assert stored["subjects"] == ["c1", "k1"]
    receiver = Receiver()
    delivery.send_due(db, receiver)
    assert b"buyer@customer.test" not in receiver.requests[0]["body"] and b"sealed" not in receiver.requests[0]["body"]

    user = user_event("ann", ["s1"], SALES)
    webhooks.fan_out(db, user)
    assert db.deliveries.find_one({"event_id": user["event_id"]})["event"]["data"]["email"] == "ann@factory.test"


def test_survey_invitations_never_reach_webhooks(db):
    hook(db)
    with pytest.raises(ValidationFailed) as refused:
        hook(db, event_types=["feedback.survey_sent"])
    assert "event_types" in refused.value.fields
    assert webhooks.fan_out(db, signing.sign(survey_sent())) == 0
    assert db.deliveries.count_documents({}) == 0


def test_signing_secrets_are_stored_encrypted_and_old_plaintext_ones_are_sealed_at_start(db):
    created = hook(db)
    stored = db.webhooks.find_one({"_id": created["id"]})
    assert "secret" not in stored and created["secret"] not in json.dumps(stored, default=str)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    receiver = Receiver()
    delivery.send_due(db, receiver)
    headers, body = receiver.requests[0]["headers"], receiver.requests[0]["body"]
    expected = hmac.new(created["secret"].encode(), headers["X-CRM-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-CRM-Signature"] == "sha256=" + expected

    # A hook stored in plaintext by an earlier version: the service's start seals it.
    db.webhooks.update_one({"_id": created["id"]}, {"$set": {"secret": "whsec_old"}, "$unset": {"sealed_secret": ""}})
    store.ensure_indexes(db)
    migrated = db.webhooks.find_one({"_id": created["id"]})
    assert "secret" not in migrated and "whsec_old" not in json.dumps(migrated, default=str)
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c2"))
    delivery.send_due(db, receiver)
    headers, body = receiver.requests[1]["headers"], receiver.requests[1]["body"]
    assert headers["X-CRM-Signature"] == "sha256=" + hmac.new(
        b"whsec_old", headers["X-CRM-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()

    webhooks.delete(db, ADMIN, created["id"])
    assert not {"secret", "sealed_secret"} & set(db.webhooks.find_one({"_id": created["id"]}))


def test_a_secret_sealed_under_another_key_fails_the_attempt_not_the_timer(db, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "60")
    created = hook(db)
    other = Fernet(Fernet.generate_key()).encrypt(b"whsec_x").decode()
    db.webhooks.update_one({"_id": created["id"]}, {"$set": {"sealed_secret": other}})
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    receiver = Receiver()
    assert delivery.send_due(db, receiver) == 1
    [attempt] = db.deliveries.find_one()["attempts"]
    assert receiver.requests == [] and attempt["status_code"] is None
    assert attempt["error"] == "The signing secret cannot be read"


def test_a_failed_mail_keeps_no_body_and_a_contacts_address_is_not_announced(db, monkeypatch):
    monkeypatch.setattr(mail.retries, "schedule", lambda name: [])

    def broken(message):
        raise smtplib.SMTPServerDisconnected("down")

    mail.queue(db, "reset", "ann@factory.test", "Reset", "http://crm.test/reset-password?token=t\n",
               "password_reset_requested", None, "ev1", "ann")
    mail.queue(db, "invite", "buyer@customer.test", "Survey", "http://crm.test/s/tok\n", "survey_sent", "s1", "ev2")
    mail.send_due(db, broken)
    reset, invite = db.emails.find_one({"_id": "reset"}), db.emails.find_one({"_id": "invite"})
    assert reset["status"] == invite["status"] == "failed" and "body" not in reset and "body" not in invite
    assert reset[OUTBOX][0]["data"]["to"] == "ann@factory.test" and invite[OUTBOX][0]["data"]["to"] is None


def test_the_logging_sms_provider_logs_neither_number_nor_text(caplog):
    with caplog.at_level(logging.INFO, logger="services.notifications.sms"):
        sms.LoggingProvider().send("+8613800001234", "Follow-up due: Suzhou Castings")
    assert caplog.records and "Suzhou" not in caplog.text and "+8613800001234" not in caplog.text
    assert "+86*******1234" in caplog.text


def test_a_preference_change_is_audited_with_the_number_masked(db):
    caller = Caller("ann", ["s1"], ["customers:read"])
    inbox.set_preferences(db, caller, {"email_kinds": ["followup_due"], "sms_kinds": ["tier_changed"],
                                       "sms_number": "+8613800001234", "version": 0})
    [audit] = db.preferences.find_one({"_id": "ann"})[OUTBOX]
    assert audit["type"] == "notifications.audit" and audit["actor"] == "ann" and audit["site_id"] == "s1"
    assert audit["data"]["entity_type"] == "notification_preferences" and audit["data"]["entity_id"] == "ann"
    assert audit["data"]["changes"]["sms_number"] == {"before": None, "after": "+86*******1234"}
    assert audit["data"]["changes"]["sms_kinds"] == {"before": [], "after": ["tier_changed"]}

    inbox.set_preferences(db, caller, {"email_kinds": ["followup_due"], "sms_kinds": ["tier_changed"],
                                       "sms_number": "+8613900001234", "version": 1})
    changed = db.preferences.find_one({"_id": "ann"})[OUTBOX][-1]["data"]["changes"]
    assert changed == {"sms_number": {"before": "+86*******1234", "after": "+86*******1234"}}
    inbox.set_preferences(db, caller, {"email_kinds": ["followup_due"], "sms_kinds": ["tier_changed"],
                                       "sms_number": "+8613900001234", "version": 2})
    assert len(db.preferences.find_one({"_id": "ann"})[OUTBOX]) == 2, "no change, no audit entry"


def test_a_redelivery_is_audited(db):
    created = hook(db, site_id="s1")
    webhooks.fan_out(db, customers_event("customer_created", customer_id="c1"))
    delivery.send_due(db, Receiver())
    [original] = db.deliveries.find()
    again = webhooks.redeliver(db, ADMIN, original["_id"])
    [audit] = db.deliveries.find_one({"_id": again["id"]})[OUTBOX]
    assert audit["type"] == "notifications.audit" and audit["actor"] == "hq-admin" and audit["site_id"] == "s1"
    assert audit["data"]["entity_type"] == "webhook_delivery" and audit["data"]["action"] == "redelivered"
    assert audit["data"]["changes"]["redelivery_of"]["after"] == original["_id"]
    assert audit["data"]["changes"]["webhook_id"]["after"] == created["id"]


def test_the_subjects_of_an_event_are_the_customer_records_it_names():
    assert erasure.subjects_of(contact_audit()) == ["c1", "k1"]
    assert erasure.subjects_of(customers_event("customer_merged", survivor_id="c1", merged_ids=["c2", "c3"],
                                               merge_id="m1")) == ["c1", "c2", "c3"]
    assert erasure.subjects_of(user_event("ann", ["s1"], SALES)) == []


def test_erasing_a_customer_erases_what_notifications_kept_about_it_and_its_contacts(db, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "60")
    directory.apply(db, user_event("owner1", ["s1"], SALES))
    created = hook(db)
    due = customers_event("followup_due", customer_id="c1", legal_name="Suzhou Castings", owner_id="owner1",
                          due_date="2026-03-01", followup_id="f1", reason="VIP")
    other = customers_event("followup_due", customer_id="c9", legal_name="Other Co", owner_id="owner1",
                            due_date="2026-03-01", followup_id="f9", reason="VIP")
    # An edit of an interaction names the interaction only, not its customer.
    visit_edit = customers_events.audit("interaction", "i1", "updated", {
        "summary": {"before": "Visit", "after": "Met Wang at home"}}, "s1", "u1")
    for event in (due, other, contact_audit(), visit_edit):
        webhooks.fan_out(db, event)
        routing.route(db, event)
    routing.route(db, signing.sign(survey_sent()))
    db.deliveries.update_many({"event_id": due["event_id"]}, {"$set": {"next_attempt_at": None,
                                                                       "status": "succeeded"}})
    db.failed_events.insert_many([
        {"_id": "on_customers_event/x", "event": dict(due, event_id="x"), "next_attempt_at": utcnow()},
        {"_id": "on_feedback_event/y", "event": make_event("feedback.feedback_assigned", {
            "feedback_id": "fb1", "customer_id": "c1", "contact_id": "k1"}), "next_attempt_at": utcnow()},
        {"_id": "on_customers_event/z", "event": dict(other, event_id="z"), "next_attempt_at": utcnow()}])

    erased = customers_events.event("customer_erased", ERASED_C1, site_id="s1")
    erasure.apply(db, erased)
    erasure.apply(db, customers_events.event("customer_purged", ERASED_C1))

    assert [item["title"] for item in db.inbox.find({"user_id": "owner1"})] == ["Follow-up due: Other Co"]
    invite = db.emails.find_one({"kind": "survey_sent"})
    assert invite["to"] is None and invite["subject"] == "(erased)" and "body" not in invite
    assert invite["status"] == "cancelled"
    owner_mail = db.emails.find_one({"event_id": due["event_id"]})
    assert owner_mail["to"] == "owner1@factory.test" and owner_mail["subject"] == "(erased)"
    assert "body" not in owner_mail
    assert db.emails.find_one({"event_id": other["event_id"]})["body"]
    sent = db.deliveries.find_one({"event_id": due["event_id"]})
    assert sent["erased"] and sent["event"]["data"] == {} and sent["status"] == "succeeded"
    audits = list(db.deliveries.find({"event.type": "customers.audit"}))
    assert len(audits) == 2 and all(d["erased"] and d["status"] == "cancelled" and d["event"]["data"] == {}
                                    for d in audits)
    assert db.deliveries.find_one({"event_id": other["event_id"]})["event"]["data"]["legal_name"] == "Other Co"
    assert sorted(f["_id"] for f in db.failed_events.find()) == ["on_customers_event/z"]
    with pytest.raises(Conflict) as refused:
        webhooks.redeliver(db, ADMIN, sent["_id"])
    assert refused.value.code == "delivery_erased"
    assert webhooks.list_deliveries(db, ADMIN, created["id"], {}, None, None)["total"] == 4


def test_an_owner_of_another_site_gets_nothing_about_this_sites_customer(db):
    directory.apply(db, user_event("elsewhere", ["s2"], SALES))
    directory.apply(db, user_event("hq", ["s2"], SALES + ["sites:all"]))
    for owner in ("elsewhere", "hq"):
        routing.route(db, customers_event("followup_due", site_id="s1", customer_id="c1", legal_name="Acme",
                                          owner_id=owner, due_date="2026-03-01", followup_id="f1", reason="r"))
    assert db.inbox.count_documents({"user_id": "elsewhere"}) == 0 and db.emails.count_documents(
        {"to": "elsewhere@factory.test"}) == 0
    assert db.inbox.count_documents({"user_id": "hq"}) == 1


def test_a_deleted_user_loses_inbox_and_text_number(db):
    directory.apply(db, user_event("ann", ["s1"], SALES))
    inbox.set_preferences(db, Caller("ann", ["s1"]), {"email_kinds": [], "sms_kinds": ["followup_due"],
                                                      "sms_number": "+8613800001234"})
    routing.route(db, customers_event("followup_due", customer_id="c1", legal_name="Acme", owner_id="ann",
                                      due_date="2026-03-01", followup_id="f1", reason="r"))
    assert db.inbox.count_documents({"user_id": "ann"}) == 1
    directory.apply(db, make_event("accounts.user_deleted", {"user_id": "ann"}))
    assert db.inbox.count_documents({"user_id": "ann"}) == 0
    stored = db.preferences.find_one({"_id": "ann"})
    assert "sms_number" not in stored and stored["sms_kinds"] == []


def test_a_mail_erased_while_it_was_being_sent_is_cancelled_not_sent(db):
    mail.queue(db, "late", "buyer@customer.test", "Survey", "http://crm.test/s/tok\n", "survey_sent", "s1", "ev3",
               subjects=["c1", "k1"])
    db.emails.update_one({"_id": "late"}, {"$set": {"status": "failed"}})
    erasure.apply(db, customers_events.event("customer_erased", ERASED_C1))
    db.emails.update_one({"_id": "late"}, {"$set": {"status": "pending", "next_attempt_at": utcnow()}})
    sent = []
    assert mail.send_due(db, sent.append) == 1
    stored = db.emails.find_one({"_id": "late"})
    assert sent == [] and stored["status"] == "cancelled" and stored["to"] is None and "body" not in stored


def deliver(db):
    """What the service delivers an event with: how many deliveries, inbox items and mails it stored."""
    def send(event):
        return webhooks.fan_out(db, event) + routing.route(db, event)
    return send


def test_an_event_about_an_erased_customer_that_arrives_later_leaves_no_copy(db):
    directory.apply(db, user_event("owner1", ["s1"], SALES))
    hook(db)
    erasure.apply(db, customers_events.event("customer_erased", ERASED_C1, site_id="s1"))
    late = customers_event("followup_due", customer_id="c1", legal_name="Suzhou Castings", owner_id="owner1",
                           due_date="2026-03-01", followup_id="f1", reason="VIP")
    visit_edit = customers_events.audit("interaction", "i1", "updated", {
        "summary": {"before": "Visit", "after": "Met Wang at home"}}, "s1", "u1")
    other = customers_event("followup_due", customer_id="c9", legal_name="Other Co", owner_id="owner1",
                            due_date="2026-03-01", followup_id="f9", reason="VIP")
    for event in (late, visit_edit, other):
        erasure.handle(db, event, deliver(db))
    assert [item["title"] for item in db.inbox.find()] == ["Follow-up due: Other Co"]
    assert [d["event"]["data"]["customer_id"] for d in db.deliveries.find()] == ["c9"]


def test_an_event_delivered_while_its_customer_is_erased_leaves_no_copy(db):
    directory.apply(db, user_event("owner1", ["s1"], SALES))
    hook(db)
    during = customers_event("followup_due", customer_id="c1", legal_name="Suzhou Castings", owner_id="owner1",
                             due_date="2026-03-01", followup_id="f1", reason="VIP")

    def erased_meanwhile(event):
        """The erasure is handled by another worker after this one's check, before its writes end."""
        erasure.apply(db, customers_events.event("customer_erased", ERASED_C1, site_id="s1"))
        return deliver(db)(event)

    erasure.handle(db, during, erased_meanwhile)
    assert db.inbox.count_documents({}) == 0
    deliveries, mails = list(db.deliveries.find()), list(db.emails.find())
    assert deliveries and all(d["erased"] and d["status"] == "cancelled" for d in deliveries)
    assert mails and all(mail["subject"] == "(erased)" and "body" not in mail for mail in mails)


def test_an_event_nobody_wants_is_not_checked_against_erasures_and_one_a_hook_wants_is(db, monkeypatch):
    """An import sends two events per customer that no person and, usually, no hook wants: the
    service reads the hooks and stops there. Once a hook wants them, erasures are checked again."""
    from services.notifications.service import NotificationsService

    checked = []
    real = store.any_erased
    monkeypatch.setattr(store, "any_erased", lambda db_, ids: checked.append(ids) or real(db_, ids))
    handler = NotificationsService.handle_event
    service = type("Service", (), {"db": db})()
    created = customers_event("customer_created", customer_id="c7", legal_name="Ningbo Bearings")
    handler(service, created)
    assert checked == [] and db.deliveries.count_documents({}) == 0
    hook(db, event_types=["customers.customer_created"])
    handler(service, created)
    assert checked == [["c7"], ["c7"]] and db.deliveries.count_documents({}) == 1
