"""Exactly-once consumption of events: each handler runs once per ``event_id``.

Consumers refuse an envelope without a valid signature, or one from another service than the
exchange that delivered it, before any handler runs (``signing.py``). A failed handling is kept
in ``failed_events`` and retried later, never lost.
"""
import datetime
import functools
import logging
import time

from nameko.events import SERVICE_POOL
from pymongo import ASCENDING
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from services.common import logs, metrics, signing, windows
from services.common.clock import utcnow
from services.common.entrypoints import event_handler
from services.common.envelope import source_service

log = logging.getLogger(__name__)

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
    due = windows.due(db.failed_events, {}, "next_attempt_at", utcnow(), limit)  # index next_attempt_at_1
    for failure in due:
        handled = getattr(service, failure["consumer"])(failure["event"])
        if handled is False and signing.rejection(failure["event"]):
            db.failed_events.delete_one({"_id": failure["_id"]})
        elif handled is True or db.processed_events.find_one({"_id": failure["_id"], "pending": {"$exists": False}},
                                                             {"_id": 1}):
            db.failed_events.delete_one({"_id": failure["_id"]})
    return len(due)


def ensure_indexes(db):
    db.processed_events.create_index([("processed_at", ASCENDING)])
    db.failed_events.create_index([("next_attempt_at", ASCENDING)])


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
