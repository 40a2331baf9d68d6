"""The notifications service in-process on the real broker and DB: the exchange-wide subscriptions,
the directory, the inbox over RPC, real mail, webhooks, and the queues declared before start."""
import os
import re
import subprocess
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.events import event_dispatcher

from deploy import declare_queues
from deploy.processes import declare_queues_command
from services.accounts import events as accounts_events
from services.common import signing
from services.common.errors import Forbidden, NotFound, ValidationFailed
from services.customers import events as customers_events
from services.notifications.service import NotificationsService
from tests.integration.test_outbox_and_consumers import wait_for
from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.support.stack import ROOT

MANAGER = ["customers:read", "customers:write", "reports:read"]


def publish(nameko_config, event):
    event_dispatcher(nameko_config)(event["type"].split(".")[0], event["type"], signing.sign(event))


def user_created(user_id, site, permissions, language="en"):
    data = {"user_id": user_id, "username": user_id, "sites": [site], "roles": ["sales"],
            "email": "%s@factory.test" % user_id, "display_name": user_id.title(), "language": language,
            "status": "active", "permissions": permissions}
    return accounts_events.event("user_created", data, site, "admin")


@pytest.fixture
def notifications(run_service):
    return run_service(NotificationsService)


def test_a_followup_due_event_reaches_the_owners_inbox_and_mailbox(notifications, nameko_config, issue_token,
                                                                   rpc_as, smtp_server):
    owner, site = "owner-%s" % uuid.uuid4().hex[:6], "site-%s" % uuid.uuid4().hex[:6]
    publish(nameko_config, user_created(owner, site, MANAGER, language="zh-CN"))
    due = customers_events.event("followup_due", {
        "customer_id": "c1", "legal_name": "苏州精密铸造有限公司", "owner_id": owner, "due_date": "2026-03-01",
        "followup_id": "f1", "reason": "VIP 30 days"}, site_id=site, actor="service:customers")
    with rpc_as(issue_token([], [site], owner)) as cluster:
        publish(nameko_config, due)
        page = wait_for(lambda: cluster.notifications.list_notifications({"unread": True})["items"] or None,
                        timeout=15)
        [item] = page
        assert item["kind"] == "followup_due" and "苏州精密铸造有限公司" in item["title"]
        mail = wait_for(lambda: smtp_server.to("%s@factory.test" % owner), timeout=15)[0]
        assert mail["Subject"] == item["title"] and "http://crm.test/customers/c1" in mail.get_content()

        assert cluster.notifications.mark_read(item["id"])["read"] is True
        assert cluster.notifications.list_notifications({"unread": True})["total"] == 0
        assert cluster.notifications.mark_all_read() == {"updated": 0}
        with pytest.raises(NotFound):
            cluster.notifications.mark_read("someone-elses")
        preferences = cluster.notifications.set_preferences({"email_kinds": ["tier_changed"], "version": 0})
        assert preferences["email_kinds"] == ["tier_changed"] and preferences["version"] == 1


def test_webhooks_over_rpc_deliver_signed_events_to_loopback(notifications, nameko_config, issue_token, rpc_as,
                                                             monkeypatch):
    admin = issue_token(["webhooks:admin", "sites:all"], ["hq"])
    with WebhookReceiver() as receiver, rpc_as(admin) as cluster:
        hook = cluster.notifications.create_webhook({"url": receiver.url, "event_types": ["customers.*"]})
        event = customers_events.event("customer_created", {
            "customer_id": "c9", "legal_name": "Acme", "tax_id": None, "owner_id": None, "tier": None, "tags": []},
            site_id="s1", actor="u1")
        publish(nameko_config, event)
        [request] = wait_for(receiver.received, timeout=15)
        assert signature_ok(hook["secret"], request)
        assert request["headers"]["X-CRM-Event"] == "customers.customer_created"
        page = wait_for(lambda: cluster.notifications.list_deliveries(hook["id"], {"status": "succeeded"})["items"])
        assert page[0]["id"] == request["headers"]["X-CRM-Delivery"] and page[0]["event_id"] == event["event_id"]

        monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
        with pytest.raises(ValidationFailed) as refused:
            cluster.notifications.create_webhook({"url": receiver.url, "event_types": ["*"]})
        assert "url" in refused.value.fields
    with rpc_as(issue_token(["customers:write"], ["s1"])) as cluster:
        with pytest.raises(Forbidden):
            cluster.notifications.list_webhooks()


def test_declared_queues_keep_events_published_before_any_notifications_container(integration_amqp_uri):
    queue_name = "evt-accounts-accounts.#--notifications.on_accounts_event"
    with Connection(integration_amqp_uri) as connection:
        channel = connection.channel()
        channel.queue_delete(queue_name)  # left by an earlier test's container, if any
        declared = declare_queues.declare(integration_amqp_uri)
        assert queue_name in declared
        assert "evt-notifications-notifications.audit--accounts.record_notifications_audit" in declared
        event = user_created("early-%s" % uuid.uuid4().hex[:6], "s1", [])
        publish({"AMQP_URI": integration_amqp_uri, "serializer": "json"}, event)
        queue = Queue(queue_name, exchange=Exchange("accounts.events", type="topic", durable=True),
                      routing_key="accounts.#", durable=True, channel=channel)
        message = wait_for(lambda: queue.get(no_ack=True))
        assert message.payload == signing.sign(event)
        for name in declared:
            channel.queue_delete(name)


def test_declare_queues_runs_as_a_command(integration_amqp_uri):
    env = dict(os.environ, AMQP_URI=integration_amqp_uri)
    result = subprocess.run(declare_queues_command(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"declared (\d+) event queues", result.stdout).group(1))
    declared = declare_queues.declare(integration_amqp_uri)
    assert count == len(declared)
    with Connection(integration_amqp_uri) as connection:
        channel = connection.channel()
        for name in declared:
            channel.queue_delete(name)
