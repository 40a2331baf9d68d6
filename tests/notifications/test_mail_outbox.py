"""The e-mail outbox: claimed atomically, retried with backoff, failed after the last retry, never lost."""
import datetime
import smtplib
import uuid

from services.common.clock import utcnow
from services.common.outbox import OUTBOX
from services.notifications import mail, store


def due_now(db):
    db.emails.update_many({"status": "pending"}, {"$set": {"next_attempt_at": utcnow()}})


class FlakySender:
    def __init__(self, failures):
        self.failures = failures
        self.sent = []

    def __call__(self, message):
        if self.failures:
            self.failures -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        self.sent.append(message)


def test_a_failed_send_is_retried_with_backoff_then_sent(db, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_RETRY_SCHEDULE", "60,300")
    mail.queue(db, "e1", "ann@factory.test", "Subject", "Body\n", "followup_due", "s1", "ev1", "ann")
    sender = FlakySender(failures=1)
    assert mail.send_due(db, sender) == 1
    stored = db.emails.find_one({"_id": "e1"})
    assert stored["status"] == "pending" and stored["attempts"] == 1 and "connection lost" in stored["last_error"]
    wait = stored["next_attempt_at"] - utcnow()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=60)
    assert mail.send_due(db, sender) == 0

    due_now(db)
    assert mail.send_due(db, sender) == 1
    stored = db.emails.find_one({"_id": "e1"})
    assert stored["status"] == "sent" and stored["attempts"] == 2 and stored["sent_at"] and "body" not in stored
    [message] = sender.sent
    assert message["To"] == "ann@factory.test" and message["Subject"] == "Subject"
    assert message["From"] == "Factory CRM <crm@localhost>" and message.get_content() == "Body\n"


def test_after_the_last_retry_it_is_failed_listed_and_announced(db, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_RETRY_SCHEDULE", "0,0")
    mail.queue(db, "e2", "bob@factory.test", "S", "B\n", "tier_changed", "s1", "ev2", "bob")
    sender = FlakySender(failures=10)
    for _ in range(3):
        due_now(db)
        mail.send_due(db, sender)
    stored = db.emails.find_one({"_id": "e2"})
    assert stored["status"] == "failed" and stored["attempts"] == 3 and len(stored["errors"]) == 3
    [announced] = stored[OUTBOX]
    assert announced["type"] == "notifications.email_failed" and announced["data"]["attempts"] == 3
    due_now(db)
    assert mail.send_due(db, sender) == 0
    documents, _, total, _ = store.list_failed_emails(db, None, 10, None)
    assert total == 1 and documents[0]["_id"] == "e2"


def test_an_email_is_claimed_by_one_worker_only(db):
    mail.queue(db, "e3", "c@factory.test", "S", "B\n", "followup_due")
    [first] = store.claim_due(db.emails, utcnow(), 60, 5)
    assert first["_id"] == "e3"
    assert store.claim_due(db.emails, utcnow(), 60, 5) == []
    later = utcnow() + datetime.timedelta(seconds=61)
    assert [item["_id"] for item in store.claim_due(db.emails, later, 60, 5)] == ["e3"], "a lapsed claim is due again"
    assert store.finish_attempt(db.emails, first, {"$set": {"status": "sent"}}) is None, "the first lost its claim"


def test_queueing_the_same_email_twice_keeps_one(db):
    assert mail.queue(db, "e4", "d@factory.test", "S", "B\n", "followup_due")
    assert not mail.queue(db, "e4", "d@factory.test", "S", "B\n", "followup_due")
    assert db.emails.count_documents({}) == 1


def test_real_smtp_delivery(db, smtp_server, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    mail.queue(db, "e5", "smtp.check@factory.test", "回访到期：华东机械", "正文\n", "followup_due")
    assert mail.send_due(db) == 1
    assert db.emails.find_one({"_id": "e5"})["status"] == "sent"
    [message] = smtp_server.to("smtp.check@factory.test")
    assert message["Subject"] == "回访到期：华东机械" and message.get_content().strip() == "正文"



def relay(monkeypatch, smtp_server):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    return smtp_server


def queue_mail(db, count):
    """``count`` messages to addresses of their own, due one second apart (the order they are sent)."""
    tag = uuid.uuid4().hex[:8]
    addresses = ["p%d.%s@buyer.test" % (n, tag) for n in range(count)]
    for n, address in enumerate(addresses):
        mail.queue(db, "m%d" % n, address, "Offer %d" % n, "Body\n", "campaign", "s1", "ev%d" % n)
        db.emails.update_one({"_id": "m%d" % n}, {"$set": {
            "next_attempt_at": utcnow() - datetime.timedelta(seconds=count - n)}})
    return addresses


def test_a_run_sends_its_messages_over_one_smtp_session(db, monkeypatch, smtp_server):
    sink = relay(monkeypatch, smtp_server)
    addresses = queue_mail(db, 5)
    assert mail.send_due(db) == 5
    assert all(sink.to(address) for address in addresses)
    assert len({sink.session_of[address] for address in addresses}) == 1
    assert db.emails.count_documents({"status": "sent"}) == 5


def test_a_refused_recipient_keeps_the_session_and_a_dropped_session_is_opened_again(db, monkeypatch, smtp_server):
    monkeypatch.setenv("NOTIFICATIONS_EMAIL_RETRY_SCHEDULE", "60")
    sink = relay(monkeypatch, smtp_server)
    addresses = queue_mail(db, 6)
    # The relay refuses the second address, and drops the connection after the third and the fifth.
    monkeypatch.setattr(sink, "refused", {addresses[1]})
    monkeypatch.setattr(sink, "drop_after", {addresses[2], addresses[4]})
    assert mail.send_due(db) == 6
    delivered = [address for address in addresses if sink.to(address)]
    assert delivered == addresses[:1] + addresses[2:]
    sessions = [sink.session_of[address] for address in delivered]
    assert sessions[0] == sessions[1] != sessions[2] == sessions[3] != sessions[4]
    refused = db.emails.find_one({"_id": "m1"})
    assert refused["status"] == "pending" and refused["attempts"] == 1 and "550" in refused["last_error"]
    assert db.emails.count_documents({"status": "sent"}) == 5
