"""Events: the envelope, the transactional outbox, its relay, and idempotent consumption.

A change and the events it causes are written in one document write: the events ride in the
changed document's ``_outbox`` array (``pending_update`` / ``pending_insert``). Events that
belong to no document (an export, a login failure) are inserted as their own document in the
``outbox`` collection. The relay publishes each pending event with publisher confirms and only
then pulls it from the document; a crash in between means a re-send, never a loss, and
consumers drop the re-send by ``event_id``. The relay signs every envelope and consumers refuse
one without a valid signature before any handler runs; secret fields travel sealed
(``signing.py``).
"""
import datetime
import functools
import logging
import time
import uuid

from nameko.events import SERVICE_POOL
from pymongo import ASCENDING
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from services.common import logs, metrics, signing
from services.common.entrypoints import event_handler

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
PENDING = "_pending"
CLAIM = "_outbox_claim"
CLAIM_SECONDS = 30
ENVELOPE_VERSION = 1


def utcnow():
    """Now, in UTC, to the millisecond: what BSON keeps, so a record reads back as it was written."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def isoformat(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text):
    """The moment an ``isoformat`` text names (aware, UTC)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def make_event(event_type, data, site_id=None, actor=None, secret=None):
    """The envelope of DESIGN §3. ``event_type`` is the full name, e.g. ``customers.customer_created``.

    ``secret`` (fields for the services only, never for integrators) goes sealed in ``sealed``."""
    event = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": isoformat(utcnow()),
        "site_id": site_id,
        "actor": actor,
        "data": data,
        "version": ENVELOPE_VERSION,
        "request_id": logs.current_request_id(),
    }
    if secret:
        event[signing.SEALED] = signing.seal(secret)
    return event


class Catalogue:
    """The events one service publishes, each with its ``data`` fields, and for some the fields
    that travel sealed (``sealed``: name -> fields); both are listed in ``docs/events.md``."""

    def __init__(self, service, types, sealed=None):
        self.service = service
        self.types = {"%s.%s" % (service, name): tuple(fields) for name, fields in types.items()}
        self.sealed = {"%s.%s" % (service, name): tuple(fields) for name, fields in (sealed or {}).items()}

    def event(self, name, data, site_id=None, actor=None, secret=None):
        event_type = "%s.%s" % (self.service, name)
        fields = self.types.get(event_type)
        if fields is None:
            raise ValueError("%s is not in the %s catalogue" % (event_type, self.service))
        if set(data) != set(fields):
            raise ValueError("%s carries %s, the catalogue says %s" % (event_type, sorted(data), sorted(fields)))
        sealed = self.sealed.get(event_type, ())
        if set(secret or {}) != set(sealed):
            raise ValueError("%s seals %s, the catalogue says %s" % (event_type, sorted(secret or {}), sorted(sealed)))
        return make_event(event_type, data, site_id=site_id, actor=actor, secret=secret)


AUDIT_FIELDS = ("entity_type", "entity_id", "action", "changes")


def changes_between(before, after, secret=()):
    """``{field: {"before", "after"}}`` for fields that differ; ``secret`` fields are never included."""
    changes = {}
    for field in sorted(set(before) | set(after)):
        if field in secret or field.startswith("_"):
            continue
        old, new = before.get(field), after.get(field)
        if old != new:
            changes[field] = {"before": jsonable(old), "after": jsonable(new)}
    return changes


def jsonable(value):
    """``value`` with datetimes as ISO strings, so it can travel in a message."""
    if isinstance(value, datetime.datetime):
        return isoformat(value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc))
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def source_service(event_type):
    """The service whose exchange carries ``event_type`` (the part before the first dot)."""
    return event_type.split(".", 1)[0]


class RelayPacing:
    """When a relay should sweep: at once after this process queued events or published some,
    otherwise every ``idle_seconds`` (for other replicas' writes and crashed runs). An idle sweep
    costs one index query per collection, which on the embedded server is not free."""

    queued = 0

    def __init__(self, idle_seconds=5.0):
        self.idle_seconds = idle_seconds
        self.seen = -1
        self.last = 0.0
        self.busy = False

    def due(self):
        now = time.monotonic()
        if self.busy or self.seen != RelayPacing.queued or now - self.last >= self.idle_seconds:
            self.seen, self.last = RelayPacing.queued, now
            return True
        return False

    def ran(self, published):
        self.busy = published > 0


def pending_insert(document, *events):
    """``document`` with ``events`` to publish once it is written."""
    document = dict(document)
    if events:
        RelayPacing.queued += 1
        document[OUTBOX] = list(events)
        document[PENDING] = True
    return document


def pending_update(update, *events):
    """An update document that also queues ``events`` in the same write."""
    update = {key: dict(value) for key, value in update.items()}
    if events:
        RelayPacing.queued += 1
        update.setdefault("$push", {})[OUTBOX] = {"$each": list(events)}
        update.setdefault("$set", {})[PENDING] = True
    return update


def record_events(db, *events):
    """Queue events that belong to no other document."""
    if events:
        db.outbox.insert_one(pending_insert({"created_at": utcnow()}, *events))


def ensure_indexes(db):
    db.outbox.create_index([(PENDING, ASCENDING)], sparse=True)
    db.processed_events.create_index([("processed_at", ASCENDING)])
    db.failed_events.create_index([("next_attempt_at", ASCENDING)])


class OutboxRelay:
    """Publishes pending events of ``collections`` (plus ``outbox``) through ``publish(event)``.

    ``publish`` must raise when the broker did not confirm; the event then stays pending and
    is tried again on the next run.
    """

    def __init__(self, db, collections, publish, service=None):
        self.db = db
        self.collections = list(collections) + ["outbox"]
        self.publish = publish
        self.service = service or logs.process_name()

    def run_once(self, batch=200):
        published = 0
        backlog = 0
        try:
            for name in self.collections:
                collection = self.db[name]
                pending = self._pending_ids(collection, batch)
                backlog += len(pending)
                for document_id in pending:
                    document = self._claim(collection, document_id)
                    if document is None:
                        continue
                    try:
                        drained = self._drain(collection, document)
                        published += drained
                        backlog -= 1
                    except Exception:
                        log.exception("outbox relay: publish failed; the event stays pending")
                        return published
            return published
        finally:
            metrics.OUTBOX_BACKLOG.labels(self.service).set(max(backlog, 0))

    def pending_count(self):
        return sum(self.db[name].count_documents({PENDING: True}) for name in self.collections)

    @staticmethod
    def _pending_ids(collection, batch):
        """Ids of documents with pending events: a plain equality on the sparse ``_pending`` index,
        which every server answers from the index (an ``$or`` beside it can turn into a full scan)."""
        return [doc["_id"] for doc in collection.find({PENDING: True}, {"_id": 1}).limit(batch)]

    def _claim(self, collection, document_id):
        """The document's pending events, if this relay won the claim on them (no ``$or``, which
        the embedded server answers with a collection scan)."""
        now = utcnow()
        claimed = collection.update_one(
            {"_id": document_id, PENDING: True, CLAIM: {"$not": {"$gte": now}}},
            {"$set": {CLAIM: now + datetime.timedelta(seconds=CLAIM_SECONDS)}},
        )
        if not claimed.modified_count:
            return None
        return collection.find_one({"_id": document_id}, {OUTBOX: True})

    def _drain(self, collection, document):
        """Publish the document's events, then pull the published ones in one write (with the
        claim): a crash before that write re-sends them, which consumers drop by ``event_id``.
        An ``outbox`` document never gains events after its insert, so once all of them are sent
        it is deleted instead: an import's outbox documents hold about a hundred events each, and
        a ``$pull`` of them all by id costs the embedded server a comparison per pair."""
        events = document.get(OUTBOX) or []
        sent = []
        try:
            for event in events:
                self.publish(signing.sign(event))
                metrics.EVENTS_PUBLISHED.labels(self.service, event.get("type")).inc()
                sent.append(event["event_id"])
        except BaseException:
            self._unclaim(collection, document, sent)
            raise
        if collection.name == "outbox":
            collection.delete_one({"_id": document["_id"]})
            return len(sent)
        self._unclaim(collection, document, sent)
        collection.update_one(
            {"_id": document["_id"], OUTBOX: {"$size": 0}}, {"$unset": {PENDING: "", OUTBOX: ""}}
        )
        return len(sent)

    @staticmethod
    def _unclaim(collection, document, sent):
        """Give up the claim, pulling the events in ``sent`` from the document."""
        update = {"$unset": {CLAIM: ""}}
        if sent:
            update["$pull"] = {OUTBOX: {"event_id": {"$in": sent}}}
        collection.update_one({"_id": document["_id"]}, update)


HANDLING_SECONDS = 30  # a pending handling claim older than this was left by a lost run
BUSY_PAUSE = 1  # seconds before a busy event goes back to its queue, so it does not spin


class EventBusy(Exception):
    """Another delivery of this event is being handled: the message goes back to its queue."""


def handle_once(db, consumer, event, handler, source=None, idempotent=False):
    """Run ``handler(event)`` unless ``consumer`` already handled this ``event_id``.

    An ``idempotent`` handler (one whose writes are keyed by the event id, so a second run
    changes nothing) takes no claim: it runs on every delivery, and its marker is written once,
    after it ran; a failure is recorded and retried as any other. That saves a write per event
    where events come by the hundred thousand (an import's audit trail). ``idempotent`` may also
    be a predicate of the verified event, for a handler idempotent for some events only.

    An envelope without a valid signature (``signing.rejection``), or one whose type belongs to
    another service than ``source``, the service whose exchange delivered it, is logged, counted
    as ``rejected`` and acknowledged, never handled: a service may publish only on its own
    exchange, so it cannot pass its events off as another's.

    The ``processed_events`` marker is a claim (``pending``) until the handler completed. A
    failure is recorded in ``failed_events`` (retried later by ``retry_failed``, which also
    clears the record, so a success costs no write there), never lost, and the message is still
    acknowledged so one bad event cannot block the queue. When the database goes away the error
    escapes instead: the handler is declared with
    ``requeue_on_error`` (``HANDLER_OPTIONS``), the event goes back to its queue, and the claim
    it may have left is taken over once it is ``HANDLING_SECONDS`` old. Returns True when the
    handler ran to completion.
    """
    if not isinstance(event, dict):
        log.error("%s dropped a message that is not an event envelope", consumer)
        return False
    refused = signing.rejection(event)
    if not refused and source and source_service(str(event.get("type"))) != source:
        refused = "not a %s event" % source
    if refused:
        log.warning("%s refused event %r (%r) from the broker: %s", consumer, str(event.get("event_id"))[:64],
                    str(event.get("type"))[:100], refused)
        # Not labelled by the claimed type: a forger would choose the label values.
        metrics.EVENTS_HANDLED.labels(logs.process_name(), "unverified", "rejected").inc()
        return False
    marker = "%s/%s" % (consumer, event.get("event_id"))
    if idempotent(event) if callable(idempotent) else idempotent:
        return _run_idempotent(db, marker, consumer, event, handler)
    if not _claim(db, marker, event):
        log.info("event %s already handled by %s", event.get("event_id"), consumer)
        _count_handled(event, "duplicate")
        return False
    try:
        handler(event)
    except ConnectionFailure:
        _release(db, marker)
        raise
    except Exception as exc:
        db.processed_events.delete_one({"_id": marker})
        _record_failure(db, marker, consumer, event, exc)
        _count_handled(event, "failed")
        return False
    db.processed_events.update_one({"_id": marker}, {"$unset": {"pending": ""}})
    _count_handled(event, "handled")
    return True


def _run_idempotent(db, marker, consumer, event, handler):
    try:
        handler(event)
    except ConnectionFailure:
        raise
    except Exception as exc:
        _record_failure(db, marker, consumer, event, exc)
        _count_handled(event, "failed")
        return False
    try:
        db.processed_events.insert_one({"_id": marker, "type": event.get("type"), "processed_at": utcnow()})
    except DuplicateKeyError:
        pass  # handled before, by an earlier delivery
    _count_handled(event, "handled")
    return True


def _claim(db, marker, event):
    """True when this delivery may run the handler; False when the event was handled already.

    Raises EventBusy while a recent claim of another delivery is pending."""
    now = utcnow()
    try:
        db.processed_events.insert_one({"_id": marker, "type": event.get("type"), "processed_at": now,
                                        "pending": True})
        return True
    except DuplicateKeyError:
        pass
    current = db.processed_events.find_one({"_id": marker}) or {}
    if not current.get("pending"):
        return False
    claimed = current.get("processed_at")
    if claimed is not None and claimed.replace(tzinfo=None) > now.replace(tzinfo=None) - datetime.timedelta(
            seconds=HANDLING_SECONDS):
        time.sleep(BUSY_PAUSE)
        raise EventBusy(marker)
    taken = db.processed_events.update_one({"_id": marker, "processed_at": claimed},
                                           {"$set": {"processed_at": now}})
    if not taken.modified_count:
        raise EventBusy(marker)
    return True


def _release(db, marker):
    try:
        db.processed_events.delete_one({"_id": marker})
    except PyMongoError:
        log.warning("claim %s left pending: the database is unavailable", marker)


def _count_handled(event, outcome):
    metrics.EVENTS_HANDLED.labels(logs.process_name(), event.get("type"), outcome).inc()


RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600)


def _record_failure(db, marker, consumer, event, exc):
    log.exception("handler %s failed on event %s", consumer, event.get("event_id"))
    previous = db.failed_events.find_one({"_id": marker}, {"attempts": 1}) or {}
    attempts = previous.get("attempts", 0) + 1
    delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
    db.failed_events.update_one(
        {"_id": marker},
        {"$set": {
            "consumer": consumer, "event": event, "error": "%s: %s" % (type(exc).__name__, exc),
            "attempts": attempts, "failed_at": utcnow(),
            "next_attempt_at": utcnow() + datetime.timedelta(seconds=delay),
        }},
        upsert=True,
    )


def retry_failed(db, service, limit=50):
    """Hand due failed events back to their consumer methods on ``service``. A failure whose event
    is handled by now (by this retry, or meanwhile by another delivery) leaves the list; one that
    failed again stays, rescheduled by ``_record_failure``. A failure whose event the consumer
    refuses (stored unsigned, or altered since) leaves the list: it would never be handled."""
    due = list(db.failed_events.find({"next_attempt_at": {"$lte": utcnow()}}).limit(limit))
    for failure in due:
        handled = getattr(service, failure["consumer"])(failure["event"])
        if handled is False and signing.rejection(failure["event"]):
            db.failed_events.delete_one({"_id": failure["_id"]})
        elif handled is True or db.processed_events.find_one({"_id": failure["_id"], "pending": {"$exists": False}},
                                                             {"_id": 1}):
            db.failed_events.delete_one({"_id": failure["_id"]})
    return len(due)


HANDLER_OPTIONS = {"handler_type": SERVICE_POOL, "requeue_on_error": True}


def subscribe(event_type, idempotent=False):
    """Declare a SERVICE_POOL handler for ``event_type`` that runs once per ``event_id`` (or, if
    ``idempotent``, on each delivery: see ``handle_once``).

    The decorated method receives the envelope; the service must have a ``db`` dependency.
    """
    def decorator(method):
        @functools.wraps(method)
        def handler(self, event):
            return handle_once(self.db, method.__name__, event, lambda ev: method(self, ev),
                               source_service(event_type), idempotent)

        return event_handler(source_service(event_type), event_type, **HANDLER_OPTIONS)(handler)

    return decorator
