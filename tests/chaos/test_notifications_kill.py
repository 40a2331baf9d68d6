"""The notifications service killed with webhook deliveries pending: after its restart each
event is delivered, and only once."""
import collections
import time

import pytest

from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually
from tests.support.customers import create_customer


def deliveries(api, webhook_id, **params):
    response = api.get("/webhooks/%s/deliveries" % webhook_id, params=dict(params, limit=500))
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.timeout(240)
def test_pending_webhook_deliveries_survive_a_killed_notifications_service_and_arrive_once(
        stack, admin, site, writer):
    with WebhookReceiver() as receiver:
        created = admin.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                           "site_id": site["id"]})
        assert created.status_code == 201, created.text
        hook = created.json()
        receiver.failing = True
        before = [create_customer(writer, site_id=site["id"])["id"] for _ in range(5)]
        eventually(lambda: deliveries(admin, hook["id"], status="pending"),
                   lambda items: len(items) == 5 and all(d["attempts"] for d in items), timeout=60)
        try:
            stack.kill("notifications")
            during = [create_customer(writer, site_id=site["id"])["id"] for _ in range(3)]
            receiver.failing = False
        finally:
            stack.start("notifications")
        stack.wait_ready()

        wanted = set(before + during)
        received = eventually(lambda: {e["data"]["customer_id"] for e in receiver.events()},
                              lambda got: got >= wanted, timeout=120)
        time.sleep(3)
        copies = collections.Counter(e["event_id"] for e in receiver.events())
        repeated = {event_id: n for event_id, n in copies.items() if n > 1}
        assert received == wanted and not repeated, (
            "%d customers created, %d delivered, %d delivered more than once: %s" % (
                len(wanted), len(received), len(repeated), repeated))
        done = deliveries(admin, hook["id"], status="succeeded")
        assert sorted(d["event_id"] for d in done) == sorted(copies)
        assert deliveries(admin, hook["id"], status="pending") == []
        assert deliveries(admin, hook["id"], status="exhausted") == []
        assert admin.delete("/webhooks/%s" % hook["id"]).status_code == 204
