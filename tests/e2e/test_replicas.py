"""Two replicas of every service: the gateway's RPC calls spread over both, and every event is
handled once per consuming service, whichever replica takes it.

Shares: RabbitMQ hands the messages of a queue to its consumers in turn, as long as a consumer
has prefetch credit left (nameko's prefetch is ``max_workers``, 10, above the at most 4 calls
per service in flight here), so each replica should get about half. 20 % sits far from both that
and the failure it guards against (one replica taking all or nearly all): the load makes at
least 32 calls per service, and even a coin toss per call would leave a replica under 20 % of 32
with a probability of about 5e-4.

Events: each consuming service's handlers share one queue per binding between its replicas and
drop a second delivery of an ``event_id``. The ``processed_events`` markers show each event
reached each consumer; the replicas' ``crm_events_handled_total`` summed shows it ran once — a
double handling (a broken ``handle_once``, or a queue per replica) would make the sum exceed the
number of distinct events, or turn up as duplicates the broker never sent twice.
"""
import collections
import contextlib
import importlib
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests
from nameko.events import EventHandler
from prometheus_client.parser import text_string_to_metric_families

from deploy.processes import SERVICES
from tests.chaos.broker import vhost_of
from tests.chaos.databases import handled, pending_events, service_databases
from tests.chaos.tap import EventTap
from tests.conftest import ADMIN_PASSWORD
from tests.support.api import Api
from tests.support.customers import cjk, create_site

THREADS = 4
CYCLES = 8
MIN_SHARE = 0.2
START_SECONDS = 30
SETTLE_SECONDS = 30


def second(service):
    return "%s#2" % service


def replicas(service):
    return (service, second(service))


# --- the broker's view ---

def queue_table(amqp_uri):
    """``{queue: (messages ready or unacknowledged, consumers)}`` of the run's vhost."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost_of(amqp_uri), "name", "messages", "consumers"],
        check=True, capture_output=True, text=True, timeout=30).stdout
    table = {}
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            table[parts[0]] = (int(parts[1]), int(parts[2]))
    return table


def consumed_by(queue, service):
    """Whether ``queue`` is the RPC queue or an event queue of ``service``."""
    if queue == "rpc-%s" % service:
        return True
    return queue.startswith("evt-") and queue.rsplit("--", 1)[-1].startswith(service + ".")


def consumer_counts(table):
    """``{queue: consumers}`` of every queue the four services share among their replicas (not the
    broadcast queue each process has of its own, ``...learn_revocation-<uuid>``)."""
    return {queue: consumers for queue, (_, consumers) in table.items()
            if any(consumed_by(queue, service) for service in SERVICES) and ".learn_revocation-" not in queue}


def wait_for_consumers(amqp_uri, count, timeout):
    """Until every RPC and event queue of the four services has ``count`` consumers."""
    deadline = time.monotonic() + timeout
    while True:
        counts = consumer_counts(queue_table(amqp_uri))
        rpc_queues = {"rpc-%s" % service for service in SERVICES}
        if rpc_queues <= set(counts) and all(n == count for n in counts.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError("queues not at %d consumers after %d s: %s" % (count, timeout, counts))
        time.sleep(0.5)


def busy_event_queues(amqp_uri):
    """The event queues still holding messages (waiting or being handled)."""
    return {queue: messages for queue, (messages, _) in queue_table(amqp_uri).items()
            if queue.startswith("evt-") and messages}


def quiet(amqp_uri, databases):
    """No event waiting in an outbox, nor in an event queue."""
    return not any(pending_events(databases).values()) and not busy_event_queues(amqp_uri)


def wait_until_quiet(amqp_uri, databases, timeout):
    deadline = time.monotonic() + timeout
    while not quiet(amqp_uri, databases):
        if time.monotonic() > deadline:
            raise AssertionError("events still in flight after %d s: %s" % (timeout, busy_event_queues(amqp_uri)))
        time.sleep(0.5)


@contextlib.contextmanager
def second_replicas(stack, amqp_uri):
    """A second replica of every service, stopped (SIGTERM) on the way out."""
    try:
        for service in SERVICES:
            stack.start(second(service))
        wait_for_consumers(amqp_uri, 2, START_SECONDS)
        yield
    finally:
        for service in SERVICES:
            if second(service) in stack.procs:
                stack.kill(second(service), signal.SIGTERM)
        wait_for_consumers(amqp_uri, 1, START_SECONDS)


# --- the replicas' metrics ---

def samples(text, name):
    """``(labels, value)`` of every sample called ``name`` in a Prometheus text."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                yield sample.labels, sample.value


def rpc_calls(text, service):
    """RPC entrypoint runs of ``service``, whatever the method and outcome."""
    return sum(value for labels, value in samples(text, "crm_entrypoint_seconds_count")
               if labels["service"] == service and labels["kind"] == "rpc")


def events_taken(text):
    """``{(service, event type, outcome): count}`` of the events a process's handlers took."""
    return collections.Counter({(labels["service"], labels["event_type"], labels["outcome"]): value
                                for labels, value in samples(text, "crm_events_handled_total")})


def read_metrics(stack):
    return {name: stack.metrics(name) for service in SERVICES for name in replicas(service)}


def rpc_rise(before, after):
    """``{service: {replica: RPC runs between the two readings}}``."""
    return {service: {name: rpc_calls(after[name], service) - rpc_calls(before[name], service)
                      for name in replicas(service)}
            for service in SERVICES}


def events_rise(before, after):
    """Events taken between the two readings, summed over every replica."""
    rise = collections.Counter()
    for name in after:
        rise.update(events_taken(after[name]))
        rise.subtract(events_taken(before[name]))
    return rise


def handled_per_replica(before, after):
    """``{replica: events its handlers ran between the two readings}``, for the report."""
    def ran(text):
        return sum(n for (_, _, outcome), n in events_taken(text).items() if outcome == "handled")

    return {name: int(ran(after[name]) - ran(before[name])) for name in after}


# --- who consumes what, from the services' own code ---

def subscriptions():
    """``[(service, handler method, source service, binding key)]`` of every event handler."""
    found = []
    for service, path in SERVICES.items():
        module, _, name = path.partition(":")
        cls = getattr(importlib.import_module(module), name)
        for attribute in dir(cls):
            for entrypoint in getattr(getattr(cls, attribute), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    found.append((service, attribute, entrypoint.source_service, entrypoint.event_type))
    return found


def binds(source, key, event_type):
    """Whether a handler bound with ``key`` on ``source``'s exchange receives ``event_type``."""
    if event_type.split(".", 1)[0] != source:
        return False
    return event_type.startswith(key[:-1]) if key.endswith(".#") else key == event_type


def handlers_of(event_type, subscribed):
    """``[(service, handler method)]`` receiving ``event_type``."""
    return [(service, method) for service, method, source, key in subscribed if binds(source, key, event_type)]


# --- events on the wire ---

@contextlib.contextmanager
def event_taps(amqp_uri):
    with contextlib.ExitStack() as taps:
        yield [taps.enter_context(EventTap(amqp_uri, service)) for service in SERVICES]


def drain(taps):
    return [event for tap in taps for event in tap.drain()]


def unhandled(databases, events, subscribed):
    """``(service, handler, event_id)`` of each event a subscribed handler has not marked done."""
    wanted = collections.defaultdict(set)
    for event in events:
        for service, method in handlers_of(event["type"], subscribed):
            wanted[service, method].add(event["event_id"])
    missing = set()
    for (service, method), event_ids in wanted.items():
        seen = handled(databases[service], method, event_ids)
        missing |= {(service, method, event_id) for event_id in event_ids - seen}
    return missing


def settle(amqp_uri, databases, taps, subscribed, events=(), until=lambda events: True):
    """``events`` and every event the taps saw since, once each consumer has handled them all,
    nothing is in flight any more and ``until(events)`` holds (the events a test waits for were
    seen: the taps may hear an event after its consumers have handled it)."""
    events = list(events)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        events += drain(taps)
        if until(events) and not unhandled(databases, events, subscribed) and quiet(amqp_uri, databases):
            return events
        if time.monotonic() > deadline:
            missing = unhandled(databases, events, subscribed)
            raise AssertionError("%d of %d events not handled by every consumer after %d s: %s" % (
                len({m[2] for m in missing}), len(events), SETTLE_SECONDS, sorted(missing)[:5]))
        time.sleep(0.5)


def settled_metrics(stack, amqp_uri, databases, taps, subscribed):
    """``(every event published, the replicas' metrics)``, read when no event came in between."""
    events = settle(amqp_uri, databases, taps, subscribed)
    while True:
        metrics = read_metrics(stack)
        fresh = drain(taps)
        if not fresh:
            return events, metrics
        events = settle(amqp_uri, databases, taps, subscribed, events + fresh)


def expected_takes(events, subscribed):
    """``{(service, event type): (distinct events, deliveries)}`` each consuming service should see."""
    ids = collections.defaultdict(set)
    copies = collections.Counter()
    for event in events:
        for service, method in handlers_of(event["type"], subscribed):
            ids[service, method, event["type"]].add(event["event_id"])
            copies[service, event["type"]] += 1
    distinct = collections.Counter()
    for (service, _, event_type), event_ids in ids.items():
        distinct[service, event_type] += len(event_ids)
    return {key: (distinct[key], copies[key]) for key in copies}


def take_mismatches(expected, rise):
    """Where the replicas' handled / duplicate counts differ from one run per distinct event."""
    wrong = {}
    for (service, event_type), (distinct, deliveries) in expected.items():
        ran = rise[service, event_type, "handled"]
        dropped = rise[service, event_type, "duplicate"]
        if ran != distinct or dropped != deliveries - distinct:
            wrong[service, event_type] = {"events": distinct, "deliveries": deliveries,
                                          "handled": ran, "duplicate": dropped}
    return wrong


# --- the load ---

def record(answers, api, method, path, **kwargs):
    """Send a request, add ``((method, resource), status)`` to ``answers``; the body of a 2xx.

    A request that fails outright gets the exception's name as its status.
    """
    request = (method, path.split("/")[1])
    try:
        response = api.request(method, path, timeout=15, **kwargs)
    except requests.RequestException as exc:
        answers.append((request, type(exc).__name__))
        return None
    answers.append((request, response.status_code))
    return response.json() if 200 <= response.status_code < 300 else None


def feedback_body(customer_id):
    return {"customer_id": customer_id, "channel": "phone", "type": "complaint", "category": "quality",
            "severity": "low", "text": "Replica check %s" % uuid.uuid4().hex[:6]}


def cycle(api, site_id):
    """Two writes (a customer, feedback on it) and four reads across all four services:
    ``[((method, resource), status)]``."""
    answers = []
    name = "%s副本%s机械有限公司" % (cjk(3), uuid.uuid4().hex[:6])
    customer = record(answers, api, "POST", "/customers", json={"legal_name": name, "site_id": site_id},
                      params={"force": "true"})
    if customer is not None:
        record(answers, api, "GET", "/customers/%s" % customer["id"])
        item = record(answers, api, "POST", "/feedback", json=feedback_body(customer["id"]))
        if item is not None:
            record(answers, api, "GET", "/feedback/%s" % item["id"])
    record(answers, api, "GET", "/users", params={"limit": 5})
    record(answers, api, "GET", "/notifications", params={"limit": 5})
    return answers


def drive(url, token, site_id):
    """``THREADS`` clients running ``CYCLES`` cycles each: ``Counter{(request, status)}``."""
    outcomes = collections.Counter()
    lock = threading.Lock()

    def client():
        api = Api(url, token)
        for _ in range(CYCLES):
            done = cycle(api, site_id)
            with lock:
                outcomes.update(done)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "a load client did not finish"
    return outcomes


def failures(outcomes):
    return {key: n for key, n in outcomes.items() if not (isinstance(key[1], int) and 200 <= key[1] < 300)}


def count(outcomes, method, resource, status):
    return sum(n for ((m, r), s), n in outcomes.items() if (m, r, s) == (method, resource, status))


# --- the test ---

def shares_report(rise):
    return {service: {name: int(n) for name, n in counts.items()} for service, counts in rise.items()}


@pytest.mark.timeout(180)
def test_two_replicas_of_each_service_share_rpc_calls_and_handle_each_event_once(stack, test_env):
    amqp_uri = test_env["AMQP_URI"]
    admin = Api(stack.url).login("admin", ADMIN_PASSWORD)
    site = create_site(admin, "Rep")
    subscribed = subscriptions()
    started = time.monotonic()

    with service_databases(test_env) as databases, event_taps(amqp_uri) as taps:
        with second_replicas(stack, amqp_uri):
            wait_until_quiet(amqp_uri, databases, SETTLE_SECONDS)
            settle(amqp_uri, databases, taps, subscribed)  # what was published before is not counted
            before = read_metrics(stack)
            outcomes = drive(stack.url, admin.token, site["id"])
            events, after = settled_metrics(stack, amqp_uri, databases, taps, subscribed)
        stopped = time.monotonic()
        assert all(stack.procs[service].poll() is None for service in SERVICES), "an original replica exited"
        stack.wait_ready()
        afterwards = collections.Counter(cycle(admin, site["id"]))
        of_the_cycle = {"customers.customer_created", "feedback.feedback_received"}
        later = settle(amqp_uri, databases, taps, subscribed, until=lambda events: of_the_cycle <= {
            event["type"] for event in events if event.get("site_id") == site["id"]})

    rise = rpc_rise(before, after)
    print("\nreplicas up and measured in %.1f s; RPC runs per replica: %s" % (
        stopped - started, shares_report(rise)))
    assert not failures(outcomes), "failed requests under load: %s" % failures(outcomes)
    for service, counts in rise.items():
        total = sum(counts.values())
        assert total >= THREADS * CYCLES and all(n >= MIN_SHARE * total for n in counts.values()), (
            "%s's RPC calls did not spread over both replicas: %s" % (service, counts))

    mine = {event["event_id"]: event["type"] for event in events if event.get("site_id") == site["id"]}
    kinds = collections.Counter(mine.values())
    print("events of the load: %s; all events in the window: %d; handled per replica: %s" % (
        dict(kinds), len(events), handled_per_replica(before, after)))
    assert kinds["customers.customer_created"] == count(outcomes, "POST", "customers", 201)
    assert kinds["feedback.feedback_received"] == count(outcomes, "POST", "feedback", 201)
    expected = expected_takes(events, subscribed)
    assert {service for service, _ in expected} >= {"accounts", "customers", "notifications"}, expected
    wrong = take_mismatches(expected, events_rise(before, after))
    assert not wrong, "events not handled exactly once per consuming service: %s" % wrong

    assert not failures(afterwards), "the original replicas fail after the second ones stopped: %s" % afterwards
    assert of_the_cycle <= {event["type"] for event in later if event.get("site_id") == site["id"]}, later
