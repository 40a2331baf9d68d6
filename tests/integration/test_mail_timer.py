"""The e-mail outbox timer of a running notifications service, on the real broker, database server
and SMTP server: a message queued in its process goes at the next tick, and a backlog goes a batch
a tick, without waiting for the idle look (NOTIFICATIONS_INTERVAL)."""
import uuid

import pytest

from services.common import config
from services.common.mongo import connect
from services.notifications import mail
from services.notifications.service import NotificationsService
from tests.integration.test_outbox_and_consumers import wait_for


@pytest.fixture
def outbox(run_service):
    """(the running service's e-mail timer, its database), the timer's idle look an hour away."""
    container = run_service(NotificationsService)
    [timer] = [entrypoint for entrypoint in container.entrypoints if entrypoint.method_name == "send_emails"]
    timer.idle = 3600
    return timer, connect(config.mongo_uri("notifications"))[config.database_name("notifications")]


def addresses(tag, count):
    return ["m%03d.%s@outbox.test" % (n, tag) for n in range(count)]


def sent_to(smtp_server, tag):
    return {str(message["To"]) for message in list(smtp_server.messages) if tag in str(message["To"])}


def test_a_message_queued_in_the_process_goes_at_once(outbox, smtp_server):
    _, db = outbox
    tag = uuid.uuid4().hex[:8]
    [address] = addresses(tag, 1)
    assert mail.queue(db, "now-%s" % tag, address, "Reset", "Body\n", "password_reset")
    wait_for(lambda: sent_to(smtp_server, tag) or None, timeout=15)
    assert db.emails.find_one({"_id": "now-%s" % tag})["status"] == "sent"


def test_a_backlog_goes_a_batch_a_tick_after_one_wake(outbox, smtp_server, monkeypatch):
    """Two and a half batches queued without a wake (as by another replica), then one wake: every
    message goes, the runs after the first started by their predecessor's whole batch."""
    _, db = outbox
    tag = uuid.uuid4().hex[:8]
    batch = config.get_int("NOTIFICATIONS_BATCH")
    wanted = addresses(tag, batch * 2 + batch // 2)
    with monkeypatch.context() as quiet:
        quiet.setattr(mail.QUEUED, "wake", lambda: None)
        for number, address in enumerate(wanted):
            assert mail.queue(db, "backlog-%s-%d" % (tag, number), address, "Campaign", "Body\n", "campaign")
    mail.QUEUED.wake()
    wait_for(lambda: len(sent_to(smtp_server, tag)) == len(wanted) or None, timeout=60)
    assert sent_to(smtp_server, tag) == set(wanted)
    assert db.emails.count_documents({"_id": {"$regex": "^backlog-%s" % tag}, "status": "sent"}) == len(wanted)
