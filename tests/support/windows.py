"""What the tests of a list read in time windows share: a database whose client records every
``find`` it sends, a check that a query is served by one of its collection's indexes as the
embedded server serves it (equalities on a prefix, at most one range on the next field), and the
documents a page's queries read."""
import datetime
import random

import pytest
from pymongo import MongoClient, monitoring

from services.common import windows
from services.common.windows import sort_key

START = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class Finds(monitoring.CommandListener):
    """The filter of every ``find`` sent, by collection; ``filters`` those of ``collection`` (of
    every collection when None), cleared by ``filters.clear()`` or ``clear()``."""

    def __init__(self, collection=None):
        self.collection = collection
        self.sent = []
        self.filters = []
        self.projections = []  # (filter, projection) of each find of ``collection``

    def started(self, event):
        if event.command_name == "find":
            name, query = event.command["find"], dict(event.command["filter"])
            self.sent.append((name, query))
            if self.collection in (None, name):
                self.filters.append(query)
                self.projections.append((query, dict(event.command.get("projection") or {})))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def clear(self):
        self.sent.clear()
        self.filters.clear()
        self.projections.clear()

    def of(self, collection):
        return [query for name, query in self.sent if name == collection]


def watching(test_env, prefix, collection=None):
    """Yields (database, finds): a fresh database on the test server through a client that records
    its finds (``Finds(collection)``); drops it after. For fixtures of any scope."""
    finds = Finds(collection)
    client = MongoClient(test_env["MONGO_URI"], event_listeners=[finds], tz_aware=True)
    db = client["%s_%08x" % (prefix, random.getrandbits(32))]
    try:
        yield db, finds
    finally:
        client.drop_database(db.name)
        client.close()


@pytest.fixture
def watched_db(test_env):
    """(database, finds) for one test (``watching``)."""
    yield from watching(test_env, "lists")


@pytest.fixture
def frozen_clock(monkeypatch):
    """Pages start cut from 10 ms after the newest rows seeded, however long the test runs."""
    monkeypatch.setattr(windows, "clock", lambda: START + datetime.timedelta(milliseconds=10))


def times(rng, dense, sparse):
    """``dense`` instants 2 ms apart just before START, then ``sparse`` over the ten years before."""
    return ([START - datetime.timedelta(milliseconds=2 * n) for n in range(dense)]
            + [START - datetime.timedelta(minutes=rng.randrange(1, 60 * 24 * 3650)) for _ in range(sparse)])


def served_by(query, index):
    """Whether ``index`` (``[(field, direction)]``) serves ``query`` as the embedded server does: its
    equalities are the index's leading fields and its one range (if any) is on the field after them."""
    ranged = [name for name, value in query.items() if isinstance(value, dict)]
    equal = [name for name in query if name not in ranged]
    if len(ranged) > 1 or any(name.startswith("$") for name in query):
        return False
    fields = [name for name, _ in index]
    return set(fields[:len(equal)]) == set(equal) and (not ranged or fields[len(equal):len(equal) + 1] == ranged)


def index_served(collection, query):
    """Whether an index of ``collection`` serves ``query`` (``served_by``)."""
    return any(served_by(query, index["key"]) for index in collection.index_information().values())


def check_queries(collection, queries, most):
    """Every query of a page index-served, and what they read (each replayed as a count) at most ``most``."""
    assert queries, "the page sent no query"
    assert all(index_served(collection, query) for query in queries), queries
    read = sum(collection.count_documents(query) for query in queries)
    assert read <= most, (read, len(queries))
    return read


def newest_first(documents, field):
    return [d["_id"] for d in sorted(documents, key=lambda d: sort_key(d.get(field), d["_id"]), reverse=True)]


def page_all(read_page, limit, counted=False):
    """Every id ``read_page(limit, cursor)`` pages through (a list's answers), checking each total: a
    lower bound (``total_is_lower_bound``) before the last page unless ``counted``, exact on it."""
    ids, cursor = [], None
    while True:
        page = read_page(limit, cursor)
        ids += [item.get("id", item.get("_id")) for item in page["items"]]
        assert page["total"] >= len(ids)
        cursor = page["next_cursor"]
        if not cursor:
            assert page["total"] == len(ids) and not page["total_is_lower_bound"]
            return ids
        assert page["total_is_lower_bound"] != counted
