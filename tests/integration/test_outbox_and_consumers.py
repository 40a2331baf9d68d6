"""The outbox relay and the idempotent consumer, on the real broker and DB server."""
import datetime
import socket
import time
import types

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko.messaging import QueueConsumer
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from pymongo.errors import AutoReconnect

from services.common import clock, consumer, envelope, outbox, signing
from services.common.base import ServiceBase
from services.common.entrypoints import event_handler
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
    event = envelope.make_event("testsvc.order_recorded", {"order": "A-1"}, site_id="s1", actor="u1")
    db.orders.insert_one(outbox.pending_insert({"_id": "A-1", "amount": 10}, event))
    dispatch = event_dispatcher(nameko_config)
    attempts = []

    def publish(ev):
        attempts.append(ev["event_id"])
        if len(attempts) == 1:
            raise ConnectionError("broker went away")
        dispatch("testsvc", ev["type"], ev)

    with Connection(nameko_config["AMQP_URI"]) as connection:
        queue = bound_queue(connection, "testsvc.events", "testsvc.order_recorded")
        relay = outbox.OutboxRelay(db, ["orders"], publish)

        assert relay.run_once() == 0
        assert relay.pending_count() == 1
        assert queue.get() is None

        assert relay.run_once() == 1
        message = wait_for(lambda: queue.get(no_ack=True))
        assert message.payload == signing.sign(event) and signing.rejection(message.payload) is None
        assert relay.pending_count() == 0
        stored = db.orders.find_one({"_id": "A-1"})
        assert outbox.OUTBOX not in stored and outbox.PENDING not in stored
        assert stored["amount"] == 10


def test_events_without_a_document_go_through_the_outbox_collection(db_factory, nameko_config):
    db = db_factory("exports")
    event = envelope.make_event("testsvc.export_done", {"rows": 3})
    outbox.record_events(db, event)
    published = []
    relay = outbox.OutboxRelay(db, [], published.append)
    assert relay.run_once() == 1
    assert published == [signing.sign(event)]
    assert db.outbox.count_documents({}) == 0


def test_a_publish_failing_mid_document_resends_only_the_events_not_yet_published(db_factory):
    db = db_factory("batches")
    queued = [envelope.make_event("testsvc.thing_happened", {"n": n}) for n in range(5)]
    db.outbox.insert_one(outbox.pending_insert({"_id": "batch-1"}, *queued))
    published, failures = [], [ConnectionError("broker went away")]

    def publish(event):
        if event["data"]["n"] == 3 and failures:
            raise failures.pop()
        published.append(event["data"]["n"])

    relay = outbox.OutboxRelay(db, [], publish)
    relay.run_once()
    assert published == [0, 1, 2]
    assert [e["data"]["n"] for e in db.outbox.find_one({"_id": "batch-1"})[outbox.OUTBOX]] == [3, 4]
    assert relay.run_once() == 2
    assert published == [0, 1, 2, 3, 4]
    assert db.outbox.count_documents({}) == 0


class Listener(ServiceBase):
    name = "listener"
    db = MongoDatabase(name)

    @consumer.subscribe("testsvc.thing_happened")
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
    event = signing.sign(envelope.make_event("testsvc.thing_happened", {"n": 1}))
    dispatch("testsvc", event["type"], event)
    dispatch("testsvc", event["type"], event)
    other = signing.sign(envelope.make_event("testsvc.thing_happened", {"n": 2}))
    dispatch("testsvc", other["type"], other)

    wait_for(lambda: db.handled.count_documents({}) >= 2)
    eventlet.sleep(0.5)
    assert sorted(d["event_id"] for d in db.handled.find()) == sorted([event["event_id"], other["event_id"]])


def test_a_failed_handler_is_recorded_and_retried_not_lost(run_service, nameko_config):
    container = run_service(Listener)
    db = _db_of(container)
    dispatch = event_dispatcher(nameko_config)
    event = signing.sign(envelope.make_event("testsvc.thing_happened", {"explode": True}))
    dispatch("testsvc", event["type"], event)

    failure = wait_for(lambda: db.failed_events.find_one({}))
    assert failure["event"] == event and failure["attempts"] == 1
    assert "cannot handle this yet" in failure["error"]
    mine = {"event_id": event["event_id"]}  # the shared queue may still hold an earlier test's message
    assert db.handled.count_documents(mine) == 0

    db.flags.insert_one({"_id": "fixed"})
    db.failed_events.update_one({}, {"$set": {"next_attempt_at": clock.utcnow()}})
    wait_for(lambda: db.handled.count_documents(mine) == 1, timeout=20)
    wait_for(lambda: db.failed_events.count_documents({}) == 0)  # the retry clears it after the handler
    eventlet.sleep(0.5)
    assert db.handled.count_documents(mine) == 1


def _db_of(container):
    provider = next(dep for dep in container.dependencies if isinstance(dep, MongoDatabase))
    return provider.db


def test_a_claim_left_by_a_lost_database_is_taken_over_once_stale(db_factory, monkeypatch):
    """The database went away mid-handler: the event goes back to its queue. Had the claim not
    been released either, a redelivery waits while it is fresh and takes it over once stale."""
    monkeypatch.setattr(consumer, "BUSY_PAUSE", 0)
    db = db_factory("claims")
    event = signing.sign({"event_id": "e-lost", "type": "customers.customer_created", "data": {}})
    runs = []

    def lost(ev):
        raise AutoReconnect("the database went away")

    with pytest.raises(AutoReconnect):
        consumer.handle_once(db, "on_created", event, lost)
    assert db.processed_events.find_one({"_id": "on_created/e-lost"}) is None
    assert db.failed_events.find_one({"_id": "on_created/e-lost"}) is None

    left = {"_id": "on_created/e-lost", "type": event["type"], "processed_at": clock.utcnow(), "pending": True}
    db.processed_events.insert_one(left)
    with pytest.raises(consumer.EventBusy):
        consumer.handle_once(db, "on_created", event, lambda ev: runs.append(ev["event_id"]))
    stale = clock.utcnow() - datetime.timedelta(seconds=consumer.HANDLING_SECONDS + 1)
    db.processed_events.update_one({"_id": left["_id"]}, {"$set": {"processed_at": stale}})
    assert consumer.handle_once(db, "on_created", event, lambda ev: runs.append(ev["event_id"])) is True
    assert consumer.handle_once(db, "on_created", event, lambda ev: runs.append(ev["event_id"])) is False
    assert runs == ["e-lost"]
    assert "pending" not in db.processed_events.find_one({"_id": left["_id"]})


def test_a_handler_failing_while_the_database_answers_is_recorded_not_requeued(db_factory):
    db = db_factory("claims")
    event = signing.sign({"event_id": "e-bad", "type": "customers.customer_created", "data": {}})

    def broken(ev):
        raise ValueError("a bug")

    assert consumer.handle_once(db, "on_created", event, broken) is False
    assert db.processed_events.find_one({"_id": "on_created/e-bad"}) is None
    assert db.failed_events.find_one({"_id": "on_created/e-bad"})["attempts"] == 1


def test_a_failure_handled_meanwhile_by_another_delivery_leaves_the_list_at_its_retry(db_factory):
    """A failed event delivered again (a publisher's repeat) and handled then: its retry finds it
    handled, runs nothing twice, and clears the failure."""

    db = db_factory("claims")
    event = signing.sign({"event_id": "e-again", "type": "customers.customer_created", "data": {}})
    runs = []

    def broken(ev):
        raise ValueError("not yet")

    def consume(ev):
        return consumer.handle_once(db, "on_created", ev, lambda handled: runs.append(handled["event_id"]))

    assert consumer.handle_once(db, "on_created", event, broken) is False
    assert consume(event) is True
    db.failed_events.update_one({"_id": "on_created/e-again"}, {"$set": {"next_attempt_at": clock.utcnow()}})

    assert consumer.retry_failed(db, types.SimpleNamespace(on_created=consume)) == 1
    assert runs == ["e-again"]
    assert db.failed_events.count_documents({}) == 0


def test_a_retry_that_fails_again_stays_listed_with_one_more_attempt(db_factory):
    db = db_factory("claims")
    event = signing.sign({"event_id": "e-stuck", "type": "customers.customer_created", "data": {}})

    def consume(ev):
        def broken(handled):
            raise ValueError("still broken")
        return consumer.handle_once(db, "on_created", ev, broken)

    assert consume(event) is False
    db.failed_events.update_one({"_id": "on_created/e-stuck"}, {"$set": {"next_attempt_at": clock.utcnow()}})
    assert consumer.retry_failed(db, types.SimpleNamespace(on_created=consume)) == 1
    failure = db.failed_events.find_one({"_id": "on_created/e-stuck"})
    assert failure["attempts"] == 2
    assert failure["next_attempt_at"].replace(tzinfo=None) > clock.utcnow().replace(tzinfo=None)


class SeveringListener(ServiceBase):
    """Loses its broker connection while it handles an event: the socket dies after the handler's
    work and before the acknowledgement, which goes out at once on the same thread."""

    name = "severing_listener"
    db = MongoDatabase(name)
    sever = None

    @event_handler("testsvc", "testsvc.line_cut", **consumer.HANDLER_OPTIONS)
    def on_line_cut(self, event):
        self.db.handled.insert_one({"event_id": event["event_id"]})
        if SeveringListener.sever:
            SeveringListener.sever()
            SeveringListener.sever = None


def _consumer_socket(container):
    consumer = next(ext for ext in container.extensions if isinstance(ext, QueueConsumer))
    return next(iter(consumer._consumers.values())).channel.connection.transport.sock


def test_an_acknowledgement_lost_with_the_broker_connection_leaves_the_service_running(run_service, nameko_config):
    """nameko would kill the container on the failed acknowledgement; the service lives on,
    reconnects, gets the unacknowledged event again and handles the next one."""
    container = run_service(SeveringListener)
    db = _db_of(container)
    SeveringListener.sever = lambda: _consumer_socket(container).shutdown(socket.SHUT_WR)
    dispatch = event_dispatcher(nameko_config)
    cut = signing.sign(envelope.make_event("testsvc.line_cut", {"n": 1}))
    dispatch("testsvc", cut["type"], cut)
    wait_for(lambda: db.handled.count_documents({"event_id": cut["event_id"]}) == 2, timeout=20)

    later = signing.sign(envelope.make_event("testsvc.line_cut", {"n": 2}))
    dispatch("testsvc", later["type"], later)
    wait_for(lambda: db.handled.count_documents({"event_id": later["event_id"]}) == 1, timeout=20)
    assert not container._died.ready()
