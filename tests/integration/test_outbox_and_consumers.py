"""The outbox relay and the idempotent consumer, on the real broker and DB server."""
import time

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher

from services.common import events
from services.common.base import ServiceBase
from services.common.mongo import MongoDatabase


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        eventlet.sleep(0.05)
    raise AssertionError("condition not met within %.0f s" % timeout)


def bound_queue(connection, exchange_name, routing_key):
    queue = Queue(exchange=Exchange(exchange_name, type="topic", durable=True), routing_key=routing_key,
                  auto_delete=True, exclusive=True, channel=connection.default_channel)
    queue.declare()
    return queue


def test_an_event_whose_publish_failed_is_published_later(db_factory, nameko_config):
    db = db_factory("orders")
    event = events.make_event("testsvc.order_recorded", {"order": "A-1"}, site_id="s1", actor="u1")
    db.orders.insert_one(events.pending_insert({"_id": "A-1", "amount": 10}, event))
    dispatch = event_dispatcher(nameko_config)
    attempts = []

    def publish(ev):
        attempts.append(ev["event_id"])
        if len(attempts) == 1:
            raise ConnectionError("broker went away")
        dispatch("testsvc", ev["type"], ev)

    with Connection(nameko_config["AMQP_URI"]) as connection:
        queue = bound_queue(connection, "testsvc.events", "testsvc.order_recorded")
        relay = events.OutboxRelay(db, ["orders"], publish)

        assert relay.run_once() == 0
        assert relay.pending_count() == 1
        assert queue.get() is None

        assert relay.run_once() == 1
        message = wait_for(lambda: queue.get(no_ack=True))
        assert message.payload == event
        assert relay.pending_count() == 0
        stored = db.orders.find_one({"_id": "A-1"})
        assert events.OUTBOX not in stored and events.PENDING not in stored
        assert stored["amount"] == 10


def test_events_without_a_document_go_through_the_outbox_collection(db_factory, nameko_config):
    db = db_factory("exports")
    event = events.make_event("testsvc.export_done", {"rows": 3})
    events.record_events(db, event)
    published = []
    relay = events.OutboxRelay(db, [], published.append)
    assert relay.run_once() == 1
    assert published == [event]
    assert db.outbox.count_documents({}) == 0


class Listener(ServiceBase):
    name = "listener"
    db = MongoDatabase(name)

    @events.subscribe("testsvc.thing_happened")
    def on_thing(self, event):
        if event["data"].get("explode") and not self.db.flags.find_one({"_id": "fixed"}):
            raise RuntimeError("cannot handle this yet")
        self.db.handled.insert_one({"event_id": event["event_id"]})

    @rpc
    def fix(self):
        self.db.flags.insert_one({"_id": "fixed"})


def test_a_duplicate_delivery_is_handled_once(run_service, nameko_config):
    container = run_service(Listener)
    db = _db_of(container)
    dispatch = event_dispatcher(nameko_config)
    event = events.make_event("testsvc.thing_happened", {"n": 1})
    dispatch("testsvc", event["type"], event)
    dispatch("testsvc", event["type"], event)
    other = events.make_event("testsvc.thing_happened", {"n": 2})
    dispatch("testsvc", other["type"], other)

    wait_for(lambda: db.handled.count_documents({}) >= 2)
    eventlet.sleep(0.5)
    assert sorted(d["event_id"] for d in db.handled.find()) == sorted([event["event_id"], other["event_id"]])


def test_a_failed_handler_is_recorded_and_retried_not_lost(run_service, nameko_config):
    container = run_service(Listener)
    db = _db_of(container)
    dispatch = event_dispatcher(nameko_config)
    event = events.make_event("testsvc.thing_happened", {"explode": True})
    dispatch("testsvc", event["type"], event)

    failure = wait_for(lambda: db.failed_events.find_one({}))
    assert failure["event"] == event and failure["attempts"] == 1
    assert "cannot handle this yet" in failure["error"]
    assert db.handled.count_documents({}) == 0

    db.flags.insert_one({"_id": "fixed"})
    db.failed_events.update_one({}, {"$set": {"next_attempt_at": events.utcnow()}})
    wait_for(lambda: db.handled.count_documents({}) == 1, timeout=20)
    assert db.failed_events.count_documents({}) == 0


def _db_of(container):
    provider = next(dep for dep in container.dependencies if isinstance(dep, MongoDatabase))
    return provider.db
