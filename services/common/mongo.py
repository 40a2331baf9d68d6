"""The MongoDB dependency: one client per service container, indexes ensured at start."""
import logging
import time
import uuid

from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from services.common import config
from services.common.clock import utcnow

log = logging.getLogger(__name__)

SERVER_SELECTION_TIMEOUT_MS = 3000


def connect(uri):
    """A client with short timeouts, so an outage is a fast error, not a long hang.

    ``uri`` is a service's (``config.mongo_uri(service)``): each service may have a server of its own.
    """
    return MongoClient(
        uri,
        serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        socketTimeoutMS=20000,
        tz_aware=True,
    )


def ping(db):
    """True when the database answers."""
    try:
        db.client.admin.command("ping")
        return True
    except PyMongoError:
        return False


class MongoDatabase(DependencyProvider):
    """Gives each worker its service's database.

    The kit's indexes (the outbox's ``_pending`` index on ``outbox`` and on each of the service
    class's ``outbox_collections``; the consumers' markers), then ``ensure_indexes(db)``, run at
    container start; if the server is not up yet they are tried again (at most every few
    seconds) by later workers, so services may start before the database.
    Database errors inside a worker surface as pymongo errors, which callers map to 503.
    """

    retry_seconds = 5

    def __init__(self, service_name, ensure_indexes=None):
        self.service_name = service_name
        self.ensure_indexes = ensure_indexes
        self.client = None
        self.db = None
        self.outbox_collections = ()
        self.indexes_ready = False
        self.last_attempt = 0.0

    def setup(self):
        self.outbox_collections = tuple(getattr(self.container.service_cls, "outbox_collections", ()))
        self.client = connect(config.mongo_uri(self.service_name))
        self.db = self.client[config.database_name(self.service_name)]

    def start(self):
        self._prepare()

    def stop(self):
        if self.client is not None:
            self.client.close()

    def kill(self):
        self.stop()

    def _prepare(self):
        if self.indexes_ready or time.monotonic() - self.last_attempt < self.retry_seconds:
            return
        self.last_attempt = time.monotonic()
        try:
            for setup_indexes in _index_setups(self.ensure_indexes, self.outbox_collections):
                setup_indexes(self.db)
            self.indexes_ready = True
        except PyMongoError as exc:
            log.warning("database of %s not ready: %s", self.service_name, exc)

    def get_dependency(self, worker_ctx):
        self._prepare()
        return self.db


class ServiceDatabases:
    """Every service's database, each on its own service's server, for a process that reads
    several (backup, the consistency check): ``databases["customers"]``. Services whose URIs are
    the same (one MongoDB cluster) share one client. Close it (or use it in a ``with``)."""

    def __init__(self, uris=None):
        self.uris = uris or {service: config.mongo_uri(service) for service in config.SERVICE_NAMES}
        self.clients = {}

    def client(self, service):
        uri = self.uris[service]
        if uri not in self.clients:
            self.clients[uri] = connect(uri)
        return self.clients[uri]

    def __getitem__(self, service):
        return self.client(service)[config.database_name(service)]

    def close(self):
        for client in self.clients.values():
            client.close()
        self.clients = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _index_setups(ensure_indexes, outbox_collections=()):
    from services.common import consumer, outbox

    yield lambda db: outbox.ensure_indexes(db, outbox_collections)
    yield consumer.ensure_indexes
    if ensure_indexes is not None:
        yield ensure_indexes


DUPLICATE_KEY = 11000


def insert_new(collection, documents):
    """Insert ``documents`` (``_id`` derived from what they stand for, so a re-run repeats them) in
    one write; -> the ids of those already stored, which are kept as they are. Any other refusal,
    a repeated value of another unique index included, is raised."""
    if not documents:
        return set()
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        failed = error.details.get("writeErrors", ())
        if any(one.get("code") != DUPLICATE_KEY or one.get("keyPattern") != {"_id": 1} for one in failed):
            raise
        return {one["op"]["_id"] for one in failed}
    return set()


def update_and_fetch(collection, match, update, projection=None, upsert=False):
    """``find_one_and_update(match, update, AFTER)`` for a ``match`` that names ``_id``.

    Done as ``update_one`` then ``find_one``: the embedded server answers findAndModify with a
    collection scan (it re-asserts ``{_id, $and: [match]}``, hundreds of ms on tens of thousands
    of documents) but an ``_id`` update from the index (``_id`` is put first in the filter, the
    clause its planner then picks). The conditions in ``match`` still make the write atomic; the
    read after it may see a later write, never an earlier one. With ``upsert`` a missing document
    is inserted (a DuplicateKeyError when one exists but did not match).
    """
    match = dict({"_id": match["_id"]}, **match)
    result = collection.update_one(match, update, upsert=upsert)
    if not result.matched_count and result.upserted_id is None:
        return None
    return collection.find_one({"_id": match["_id"]}, projection)


def changed(changes, now=None):
    """The update that sets ``changes`` on a versioned record: ``updated_at`` now, ``version`` one more."""
    return {"$set": dict(changes, updated_at=now or utcnow()), "$inc": {"version": 1}}


def at_version(document_id, version, **conditions):
    """The match of record ``document_id`` (``_id`` first, the clause the embedded server's planner
    picks) with ``conditions``, at ``version`` unless it is None (any version)."""
    match = dict({"_id": document_id}, **conditions)
    if version is not None:
        match["version"] = version
    return match


def save_versioned(collection, document_id, version, update, projection=None):
    """Apply ``update`` to the document ``document_id`` when its stored version is ``version`` (0: none is
    stored yet, and the document is made); the document after, or None when ``version`` is stale."""
    match = {"_id": document_id, "version": version}
    if version == 0:
        match = {"_id": document_id, "version": {"$exists": False}}
        update = dict(update, **{"$setOnInsert": {"created_at": utcnow()}})
    try:
        return update_and_fetch(collection, match, update, projection, upsert=version == 0)
    except DuplicateKeyError:
        return None


def claim(collection, candidates, update, guard, projection=None):
    """Win the first of ``candidates`` (documents as an indexed find read them) for ``update``.

    A compare-and-swap in place of ``find_one_and_update(query, sort=...)``: each candidate is
    updated by ``_id`` only if its ``guard`` fields still hold the values read, so of parallel
    claimers exactly one wins it (the update changes at least one guard field) and the others
    try their next candidate. A candidate read while it matched the claim's conditions still
    matches them when its guard fields are unchanged, so a claim is as exclusive as before.
    The document after the update, or None when every candidate was lost.
    """
    for candidate in candidates:
        match = {"_id": candidate["_id"]}
        match.update((field, candidate.get(field)) for field in guard)
        won = update_and_fetch(collection, match, update, projection)
        if won is not None:
            return won
    return None


def claim_many(collection, candidates, due, update, projection=None):
    """Win those of ``candidates`` (documents as an indexed find read them) that still match
    ``due``, in one write: ``update`` (a ``$set`` after which a document no longer matches
    ``due``: a lease) is applied with a fresh ``claim`` token to each by ``_id``, then the ones won
    are read back by the token. Each document's update is atomic and takes it out of ``due``, so of
    parallel claimers one only wins it. The documents won, after the update, in the candidates'
    order (each with its ``claim`` token unless ``projection`` hides it).
    """
    if not candidates:
        return []
    ids = [candidate["_id"] for candidate in candidates]
    token = uuid.uuid4().hex
    collection.update_many(dict({"_id": {"$in": ids}}, **due), {"$set": dict(update, claim=token)})
    won = {document["_id"]: document for document in collection.find({"_id": {"$in": ids}, "claim": token},
                                                                      projection)}
    return [won[ident] for ident in ids if ident in won]


def sweep(collection, field, cutoff, batch=500, max_batches=20, query=None):
    """Delete the documents whose ``field`` is before ``cutoff`` (and that match ``query``); how many.

    In place of a TTL index, whose sweeper scans and decodes the whole collection every minute
    under the embedded server's global lock: this reads only the expired documents, from the
    index on ``field``, in batches of ``batch`` ids (at most ``max_batches`` a call; the next
    call takes the rest).
    """
    expired = dict({field: {"$lt": cutoff}}, **(query or {}))
    deleted = 0
    for _ in range(max_batches):
        ids = [found["_id"] for found in collection.find(expired, {"_id": 1}).limit(batch)]
        if ids:
            deleted += collection.delete_many({"_id": {"$in": ids}}).deleted_count
        if len(ids) < batch:
            break
    return deleted


def drop_index(collection, keys):
    """Drop the index on exactly ``keys`` (``[(field, direction)]``) if an earlier release made it."""
    for name, index in collection.index_information().items():
        if index.get("key") == list(keys):
            collection.drop_index(name)


def replace_ttl_index(collection, field):
    """Drop a TTL index on ``field`` left by an earlier release, and keep a plain one for ``sweep``."""
    for name, index in collection.index_information().items():
        if index.get("key") == [(field, 1)] and "expireAfterSeconds" in index:
            collection.drop_index(name)
    collection.create_index(field)
