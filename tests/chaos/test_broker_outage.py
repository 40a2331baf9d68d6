"""RabbitMQ stopped and started under a write load: everything reconnects by itself, the outboxes
drain, and every event reaches each consumer exactly once."""
import datetime
import subprocess
import time

import pytest

from tests.chaos.checks import missing_writes
from tests.chaos.databases import service_databases, wait_until_drained, wait_until_handled
from tests.chaos.load import WriteLoad, succeeded, tally, unexpected
from tests.chaos.processes import process_ids
from tests.chaos.tap import EventTap
from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually
from tests.support.customers import create_customer
from tests.support.servers import service_database

pytestmark = pytest.mark.broker_outage

OUTAGE_SECONDS = 4
RECONNECT_SECONDS = 30


def rabbitmqctl(command):
    subprocess.run(["rabbitmqctl", "-q", command], check=True, capture_output=True, timeout=120)


def broker_outage():
    rabbitmqctl("stop_app")
    try:
        time.sleep(OUTAGE_SECONDS)
    finally:
        rabbitmqctl("start_app")


def seconds_until_ready(stack, timeout):
    started = time.monotonic()
    stack.wait_ready(timeout)
    return time.monotonic() - started


def by_id(events):
    """``{event_id: how many copies}``."""
    copies = {}
    for event in events:
        copies[event["event_id"]] = copies.get(event["event_id"], 0) + 1
    return copies


@pytest.mark.timeout(300)
def test_a_broker_outage_mid_load_loses_and_repeats_no_event(stack, test_env, admin, site, writer):
    limit = float(test_env["RPC_TIMEOUT"]) + 5
    with WebhookReceiver() as receiver, EventTap(test_env["AMQP_URI"], "customers") as tap:
        hook = admin.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                        "site_id": site["id"]})
        assert hook.status_code == 201, hook.text
        pids = process_ids(stack)

        load = WriteLoad(stack.url, writer.token, site["id"], threads=4, request_timeout=limit)
        outcomes = load.run_for(12, during=broker_outage, at=3)
        reconnected = seconds_until_ready(stack, RECONNECT_SECONDS)
        assert process_ids(stack) == pids, "a process was restarted"
        assert all(proc.poll() is None for proc in stack.procs.values()), "a process has exited"

        counts = tally(outcomes)
        wrong = unexpected(outcomes)
        assert not wrong, "%d of %d requests were neither 201 nor a 503 (%s): %s" % (
            len(wrong), len(outcomes), counts, [(o.kind, o.status, o.body) for o in wrong[:5]])
        assert counts.get(503), "the outage was not seen by any request: %s" % counts
        assert len(succeeded(outcomes, "customer")) > 20, counts
        customers, interactions = missing_writes(writer, outcomes)
        assert not customers and not interactions, "acknowledged but missing: %d customers, %d interactions" % (
            len(customers), len(interactions))

        with service_databases(test_env) as databases:
            drained, backlog = wait_until_drained(databases, timeout=60)
            assert drained, "events left in the outboxes, every 0.5 s: %s" % backlog
            time.sleep(2)
            published = [event for event in tap.drain() if event["site_id"] == site["id"]]
            copies = by_id(published)
            created = {event["data"]["customer_id"]: event["event_id"] for event in published
                       if event["type"] == "customers.customer_created"}
            audits = {event["event_id"] for event in published if event["type"] == "customers.audit"}
            unpublished = [o.customer_id for o in succeeded(outcomes, "customer") if o.customer_id not in created]
            assert not unpublished, "%d of %d acknowledged customers have no customer_created event" % (
                len(unpublished), len(succeeded(outcomes, "customer")))

            everything = set(copies)
            seen = wait_until_handled(databases["notifications"], "on_customers_event", everything, timeout=90)
            assert seen == everything, "notifications handled %d of %d events" % (len(seen), len(everything))
            audited = wait_until_handled(databases["accounts"], "record_customers_audit", audits, timeout=60)
            assert audited == audits, "accounts recorded %d of %d audit events" % (len(audited), len(audits))
            assert databases["notifications"].failed_events.count_documents({}) == 0
            assert databases["accounts"].failed_events.count_documents({}) == 0

        wanted = set(created.values())
        delivered = eventually(lambda: by_id(receiver.events()), lambda got: set(got) >= wanted, timeout=60)
        time.sleep(2)
        delivered = by_id(receiver.events())
        repeated = {event_id: n for event_id, n in delivered.items() if n > 1}
        assert set(delivered) == wanted and not repeated, (
            "%d customer_created events, %d delivered, %d delivered more than once" % (
                len(wanted), len(delivered), len(repeated)))
        print("broker outage: requests %s, reconnected in %.1f s, %d events (%d re-sent copies), %d webhooks" % (
            counts, reconnected, len(copies), sum(copies.values()) - len(copies), len(delivered)))


@pytest.mark.timeout(300)
def test_a_rule_run_due_during_a_broker_outage_does_each_action_once_when_it_is_back(stack, admin, site, writer):
    """A run waiting for its day is resumed while RabbitMQ is away: its next actions (calls to the
    customers service) fail and are tried again; once the broker is back each is done, and only once."""
    rule = admin.post("/automations", {
        "site_id": site["id"], "name": "Across an outage", "trigger": {"event_type": "customers.customer_created"},
        "conditions": [{"field": "event.legal_name", "op": "contains", "value": "Outage"}],
        "actions": [{"kind": "add_tag", "tag": "first"}, {"kind": "wait", "days": 1},
                    {"kind": "add_tag", "tag": "second"},
                    {"kind": "create_followup", "title": "Call after the outage", "due_in_days": 1}]})
    assert rule.status_code == 201, rule.text
    rule = rule.json()
    customer = create_customer(writer, site_id=site["id"], legal_name="Outage Gears %s" % rule["id"][:6])

    def runs():
        response = admin.get("/automations/%s/runs" % rule["id"])
        return response.json()["items"] if response.status_code == 200 else []

    waiting = eventually(runs, lambda items: items and items[0]["status"] == "waiting", timeout=60)[0]
    rabbitmqctl("stop_app")
    try:
        # its day comes while the broker is away
        service_database(stack.env, "notifications").automation_runs.update_one(
            {"_id": waiting["id"]}, {"$set": {"resume_at": datetime.datetime.now(datetime.timezone.utc)}})
        time.sleep(OUTAGE_SECONDS + 4)
    finally:
        rabbitmqctl("start_app")
    stack.wait_ready(RECONNECT_SECONDS)
    done = eventually(runs, lambda items: items and items[0]["status"] not in ("due", "waiting"), timeout=120)[0]
    assert done["status"] == "succeeded", done
    assert [step["kind"] for step in done["steps"]] == ["add_tag", "wait", "add_tag", "create_followup"]
    shown = eventually(lambda: writer.get("/customers/%s" % customer["id"]),
                       lambda response: response.status_code == 200, timeout=30).json()
    assert sorted(shown["tags"]) == ["first", "second"]
    followups = writer.get("/customers/%s/followups" % customer["id"]).json()["items"]
    assert [f["title"] for f in followups] == ["Call after the outage"]
