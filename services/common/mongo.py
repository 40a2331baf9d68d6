"""The MongoDB dependency: one client per service container, indexes ensured at start."""
import logging
import time

from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from services.common import config

log = logging.getLogger(__name__)

SERVER_SELECTION_TIMEOUT_MS = 3000


def connect(uri=None):
    """A client with short timeouts, so an outage is a fast error, not a long hang."""
    return MongoClient(
        uri or config.mongo_uri(),
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

    ``ensure_indexes(db)`` runs at container start; if the server is not up yet it is tried again
    (at most every few seconds) by later workers, so services may start before the database.
    Database errors inside a worker surface as pymongo errors, which callers map to 503.
    """

    retry_seconds = 5

    def __init__(self, service_name, ensure_indexes=None):
        self.service_name = service_name
        self.ensure_indexes = ensure_indexes
        self.client = None
        self.db = None
        self.indexes_ready = False
        self.last_attempt = 0.0

    def setup(self):
        self.client = connect()
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
            for setup_indexes in _index_setups(self.ensure_indexes):
                setup_indexes(self.db)
            self.indexes_ready = True
        except PyMongoError as exc:
            log.warning("database of %s not ready: %s", self.service_name, exc)

    def get_dependency(self, worker_ctx):
        self._prepare()
        return self.db


def _index_setups(ensure_indexes):
    from services.common import events

    yield events.ensure_indexes
    if ensure_indexes is not None:
        yield ensure_indexes


def update_and_fetch(collection, match, update, projection=None):
    """``find_one_and_update(match, update, AFTER)`` for a ``match`` that names ``_id``.

    Done as ``update_one`` then ``find_one``: the embedded server answers findAndModify with a
    collection scan (hundreds of ms on tens of thousands of documents) but an ``_id`` update from
    the index. The conditions in ``match`` still make the write atomic; the read after it may see
    a later write, never an earlier one.
    """
    if not collection.update_one(match, update).matched_count:
        return None
    return collection.find_one({"_id": match["_id"]}, projection)
