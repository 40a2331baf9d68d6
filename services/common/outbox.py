"""The transactional outbox and its relay.

A change and the events it causes are written in one document write: the events ride in the
changed document's ``_outbox`` array (``pending_update`` / ``pending_insert``). Events that
belong to no document (an export, a login failure) are inserted as their own document in the
``outbox`` collection. The relay publishes each pending event with publisher confirms and only
then pulls it from the document; a crash in between means a re-send, never a loss, and
consumers drop the re-send by ``event_id`` (``consumer.py``). The relay signs every envelope
(``signing.py``).

A service declares the collections whose documents carry events (``outbox_collections``); the
database dependency makes the relay's ``_pending`` index on each of them (``ensure_indexes``),
and every read that returns a record leaves the outbox's fields out (``HIDDEN``).
"""
import datetime
import logging

from pymongo import ASCENDING

from services.common import logs, metrics, signing
from services.common.clock import utcnow
from services.common.timers import Signal

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
PENDING = "_pending"
CLAIM = "_outbox_claim"
CLAIM_SECONDS = 30


# Woken whenever this process queues events: the relay's timer (``ServiceBase.relay_outbox``)
# runs at its next tick; with nothing queued here it sweeps every IDLE_SECONDS (for other
# replicas' writes and crashed runs), as an idle sweep costs one index query per collection.
QUEUED = Signal()
IDLE_SECONDS = 5.0
# The projection of every read that returns a record: the outbox's fields are never part of it.
HIDDEN = {OUTBOX: 0, PENDING: 0, CLAIM: 0}


def pending_insert(document, *events):
    """``document`` with ``events`` to publish once it is written."""
    document = dict(document)
    if events:
        QUEUED.wake()
        document[OUTBOX] = list(events)
        document[PENDING] = True
    return document


def pending_update(update, *events):
    """An update document that also queues ``events`` in the same write."""
    update = {key: dict(value) for key, value in update.items()}
    if events:
        QUEUED.wake()
        update.setdefault("$push", {})[OUTBOX] = {"$each": list(events)}
        update.setdefault("$set", {})[PENDING] = True
    return update


def record_events(db, *events):
    """Queue events that belong to no other document."""
    if events:
        db.outbox.insert_one(pending_insert({"created_at": utcnow()}, *events))


def ensure_indexes(db, collections=()):
    """The sparse ``_pending`` index the relay reads, on ``outbox`` and each of ``collections``
    (a service's declared ``outbox_collections``)."""
    for name in ("outbox",) + tuple(collections):
        db[name].create_index([(PENDING, ASCENDING)], sparse=True)


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
