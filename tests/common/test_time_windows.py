"""Lists sorted by a time, read as windows cut geometrically in time (``windows.time_page``), on
the real database server: every order, with nulls, ties, future values, bounds and several
scopes, pages to exactly what one sorted query answers; every query is equalities and one range
on the list's index; a page reads a bounded number of documents beside a dense burst."""
import datetime
import random

import pytest
from pymongo import ASCENDING

from services.common import windows
from tests.support.windows import served_by, watching

NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc)
SITE_INDEX = [("site_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)]
ALL_INDEX = [("at", ASCENDING), ("_id", ASCENDING)]


@pytest.fixture(scope="module")
def watched(test_env):
    yield from watching(test_env, "time_windows")


def at_of(rng, text):
    """A burst at a few shared instants, a spread over hours and years, the future, and nulls."""
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.4:
        value = NOW - datetime.timedelta(milliseconds=rng.choice([1, 1, 2, 250, 251, 600]))
    elif roll < 0.7:
        value = NOW - datetime.timedelta(seconds=rng.randrange(1, 10 ** 5))
    elif roll < 0.9:
        value = NOW - datetime.timedelta(days=rng.randrange(1, 4000))
    else:
        value = NOW + datetime.timedelta(hours=rng.randrange(1, 500))
    return value.date().isoformat() if text else value


def seed(collection, rng, text, count=250):
    collection.create_index(SITE_INDEX)
    collection.create_index(ALL_INDEX)
    documents = []
    for number in range(count):
        document = {"_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice("abc"), "even": number % 2 == 0}
        value = at_of(rng, text)
        if value is not None or rng.random() < 0.5:
            document["at"] = value
        documents.append(document)
    collection.insert_many(documents)


def expected(collection, query, descending, test=lambda d: True):
    direction = -1 if descending else 1
    return [d["_id"] for d in collection.find(query).sort([("at", direction), ("_id", direction)]) if test(d)]


def page_through(collection, scopes, descending, limit, **options):
    ids, cursor, pages = [], None, []
    while True:
        rows, cursor, total, bound = windows.time_page(collection, scopes, "at", descending, limit, cursor, now=NOW,
                                                       **options)
        ids += [row["_id"] for row in rows]
        pages.append((total, bound))
        assert total == len(ids) + bound and bound == (cursor is not None)
        if not cursor:
            return ids, pages


@pytest.mark.parametrize("text", [False, True], ids=["datetime", "date-text"])
@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
def test_time_windows_page_to_exactly_the_sorted_list(watched, descending, text):
    db, _ = watched
    collection = db["exact_%s_%s" % (descending, text)]
    seed(collection, random.Random("%s%s" % (descending, text)), text)
    for limit in (9, 60, 500):
        ids, pages = page_through(collection, [{}], descending, limit, text=text)
        assert ids == expected(collection, {}, descending), limit
        assert pages[0][1] == (len(ids) > limit)
        ids, _ = page_through(collection, [{"site_id": "a"}, {"site_id": "c"}], descending, limit, text=text)
        assert ids == expected(collection, {"site_id": {"$in": ["a", "c"]}}, descending), limit
        ids, _ = page_through(collection, [{"site_id": "b"}], descending, limit, text=text,
                              keep=lambda d: d["even"])
        assert ids == expected(collection, {"site_id": "b"}, descending, lambda d: d["even"]), limit


@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
def test_since_and_until_bound_the_windows(watched, descending):
    db, finds = watched
    collection = db["bounded_%s" % descending]
    seed(collection, random.Random(descending), False)
    bounds = [(None, NOW - datetime.timedelta(milliseconds=250)), (NOW - datetime.timedelta(days=30), None),
              (NOW - datetime.timedelta(milliseconds=251), NOW + datetime.timedelta(microseconds=1500)),
              (NOW - datetime.timedelta(days=900), NOW - datetime.timedelta(seconds=3))]
    for since, until in bounds:
        at = {}
        if since:
            at["$gte"] = since
        if until:
            at["$lte"] = until
        for limit in (12, 500):
            wanted = expected(collection, {"site_id": {"$in": ["a", "b"]}, "at": at}, descending)
            finds.filters.clear()
            ids, _ = page_through(collection, [{"site_id": "a"}, {"site_id": "b"}], descending, limit, since=since,
                                  until=until)
            assert ids == wanted
            assert all(len([v for v in query.values() if isinstance(v, dict)]) <= 1 for query in finds.filters)
            assert all(not isinstance(query.get("at"), dict) or set(query["at"]) <= {"$gte", "$gt", "$lt", "$lte"}
                       for query in finds.filters)


def test_a_page_reads_a_bounded_number_of_documents_beside_a_dense_burst(watched):
    """1 500 rows written at 500 a second just before now (an import's audit), 300 sparse rows over
    ten years before: each page of 25 reads a few hundred at most, in at most ~36 queries."""
    db, finds = watched
    collection = db.bounded_read
    collection.create_index(SITE_INDEX)
    rng = random.Random(5)
    burst = [NOW - datetime.timedelta(milliseconds=2 * n) for n in range(1500)]
    sparse = [NOW - datetime.timedelta(hours=1 + rng.randrange(24 * 3650)) for _ in range(300)]
    collection.insert_many([{"_id": "%032x" % rng.getrandbits(128), "site_id": "a", "at": at}
                            for at in burst + sparse])
    cursor, pages, limit = None, 0, 25
    while True:
        finds.filters.clear()
        rows, cursor, _, _ = windows.time_page(collection, [{"site_id": "a"}], "at", True, limit, cursor, now=NOW)
        pages += 1
        assert all(served_by(query, SITE_INDEX) for query in finds.filters), finds.filters
        read = sum(collection.count_documents(query) for query in finds.filters)
        assert read <= 300 and len(finds.filters) <= 40, (pages, read, len(finds.filters))
        if not cursor:
            break
    assert pages == 72


def test_cuts_stand_for_every_row_of_their_instant():
    order = windows.Order("at", True, windows.TIME_FLOOR)
    start, cuts, closed = windows.time_cuts(order, None, NOW)
    assert start is None and not closed and cuts[0] == (NOW, windows.WHOLE)
    assert [value for value, _ in cuts[1:4]] == [NOW - datetime.timedelta(milliseconds=ms) for ms in (250, 500, 1000)]
    assert len(cuts) == windows.DOUBLINGS + 2
    assert order.between((NOW, "x"), cuts[1]) == [
        {"at": NOW, "_id": {"$lt": "x"}}, {"at": {"$gte": cuts[1][0], "$lt": NOW}}]
    assert order.between(cuts[1], cuts[2]) == [{"at": {"$gte": cuts[2][0], "$lt": cuts[1][0]}}]
    since = NOW - datetime.timedelta(seconds=1, microseconds=700)
    _, cuts, closed = windows.time_cuts(order, None, NOW, since=since)
    assert closed and cuts[-1] == (NOW - datetime.timedelta(milliseconds=1001), windows.WHOLE) and len(cuts) == 5


@pytest.mark.parametrize("text", [False, True], ids=["datetime", "date-text"])
@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
def test_the_first_and_last_times_there_are_page_and_bound_like_any_other(watched, descending, text):
    """Rows at year 1 and 9999 (a hostile or mistyped date) and bounds at them: every page answers,
    exactly, where shifting a cut by a quarter second past them used to be a server error."""
    db, _ = watched
    collection = db["extremes_%s_%s" % (descending, text)]
    collection.create_index(SITE_INDEX)
    first = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
    last = datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)
    instants = [first, first + datetime.timedelta(days=1), NOW, last - datetime.timedelta(days=1), last] * 3
    collection.insert_many([{"_id": "%02d" % number, "site_id": "a",
                             "at": instant.date().isoformat() if text else instant}
                            for number, instant in enumerate(instants)])
    bounds = [{}] if text else [{}, {"since": first}, {"until": last}, {"since": first, "until": last}]
    for options in bounds:
        for limit in (1, 4, 50):
            ids, _ = page_through(collection, [{"site_id": "a"}], descending, limit, text=text, **options)
            assert ids == expected(collection, {"site_id": "a"}, descending), (options, limit)
