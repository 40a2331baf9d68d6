"""Read-only looks into the services' own databases, for what the API does not show."""
import contextlib
import importlib
import time

from services.common.outbox import OutboxRelay
from tests.support.servers import service_database

STORES = {
    "accounts": "services.accounts.store",
    "customers": "services.customers.store",
    "feedback": "services.feedback.store",
    "notifications": "services.notifications.store",
}


@contextlib.contextmanager
def service_databases(env):
    """``{service: its pymongo Database}``, each on its service's server (``env``: ``test_env``)."""
    yield {name: service_database(env, name) for name in STORES}


def pending_events(databases):
    """``{service: events still waiting in its outbox}``."""
    pending = {}
    for name, db in databases.items():
        collections = importlib.import_module(STORES[name]).OUTBOX_COLLECTIONS
        pending[name] = OutboxRelay(db, collections, publish=None).pending_count()
    return pending


def handled(db, consumer, event_ids):
    """The ids among ``event_ids`` that ``consumer`` of ``db``'s service has processed."""
    markers = ["%s/%s" % (consumer, event_id) for event_id in event_ids]
    found = db.processed_events.find({"_id": {"$in": markers}}, {"_id": 1, "pending": 1})
    return {document["_id"].split("/", 1)[1] for document in found if not document.get("pending")}


def wait_until_handled(db, consumer, event_ids, timeout):
    """The ids among ``event_ids`` that ``consumer`` has handled, once all are or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        seen = handled(db, consumer, event_ids)
        if seen == set(event_ids) or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def wait_until_drained(databases, timeout):
    """``(drained, backlog samples)``: every service's outbox polled until empty or ``timeout``."""
    deadline = time.monotonic() + timeout
    samples = []
    while True:
        samples.append(sum(pending_events(databases).values()))
        if not samples[-1] or time.monotonic() > deadline:
            return not samples[-1], samples
        time.sleep(0.5)
