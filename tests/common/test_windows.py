"""Windowed keyset paging against the real database server: every order, with nulls, ties and
several scopes, pages to exactly what one sorted query answers; every query it sends is
equalities and one range on an index; and a page reads a bounded number of documents."""
import datetime
import random

import pytest
from pymongo import ASCENDING

from services.common import windows
from tests.support.windows import served_by, watching

INDEX = [("site_id", ASCENDING), ("deleted_at", ASCENDING), ("keys", ASCENDING), ("value", ASCENDING),
         ("_id", ASCENDING)]
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
FLOORS = {"text": "", "number": float("-inf"), "time": datetime.datetime(1900, 1, 1, tzinfo=datetime.timezone.utc)}


def value_of(kind, rng):
    if rng.random() < 0.15:
        return None
    if kind == "text":
        return rng.choice(["", "a", "ab", "b", "Zeta", "苏州", "北京", "ab"]) + rng.choice(["", "x", "y"])
    if kind == "number":
        return rng.choice([0, 1, 2.5, -3, 1e9, 7])
    return EPOCH + datetime.timedelta(days=rng.choice([0, 1, 1, 40, 400]))


def seed(collection, kind, rng, count=300):
    collection.create_index(INDEX)
    documents = []
    for number in range(count):
        document = {"_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice("ab"), "deleted_at": None,
                    "keys": ["*"] + (["even"] if number % 2 == 0 else [])}
        value = value_of(kind, rng)
        if value is not None or rng.random() < 0.5:
            document["value"] = value
        documents.append(document)
    collection.insert_many(documents)
    return documents


def expected(collection, equalities, descending):
    direction = -1 if descending else 1
    return [d["_id"] for d in collection.find(equalities).sort([("value", direction), ("_id", direction)])]


def cuts_of(collection, equalities, order, every):
    rows = list(collection.find(equalities).sort([("value", ASCENDING), ("_id", ASCENDING)]))
    cuts = [(row.get("value"), row["_id"]) for row in rows[every - 1::every]]
    return list(reversed(cuts)) if order.descending else cuts


def page_through(collection, scopes, order, limit):
    seen, start = [], None
    while True:
        rows, _ = windows.read_page(collection, scopes, order, start, limit + 1)
        seen += [row["_id"] for row in rows[:limit]]
        if len(rows) <= limit:
            return seen
        last = rows[limit - 1]
        start = (last.get("value"), last["_id"])


@pytest.mark.parametrize("kind", ["text", "number", "time"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_over_windows_are_the_sorted_list_exactly(db_factory, kind, descending):
    rng = random.Random("%s%s" % (kind, descending))
    collection = db_factory("windows").items
    seed(collection, kind, rng)
    order = windows.Order("value", descending, FLOORS[kind])
    for key in ("*", "even"):
        for every, stride, limit in ((7, 1, 5), (20, 2, 13), (1000, 1, 50)):
            scopes = [({"site_id": site, "deleted_at": None, "keys": key},
                       cuts_of(collection, {"site_id": site, "keys": key}, order, every), stride)
                      for site in "ab"]
            both = expected(collection, {"keys": key}, descending)
            assert page_through(collection, scopes, order, limit) == both, (key, every, stride, limit)
            single = scopes[:1]
            assert page_through(collection, single, order, limit) == expected(
                collection, {"site_id": "a", "keys": key}, descending)


def test_a_page_reads_a_bounded_number_of_documents_whatever_the_list_size(test_env):
    watched = watching(test_env, "windows_bound")
    db, finds = next(watched)
    collection = db.items
    try:
        rng = random.Random(7)
        collection.create_index(INDEX)
        names = ["%s%05d" % (rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"), rng.randrange(100000)) for _ in range(4000)]
        collection.insert_many([{"_id": "%032x" % rng.getrandbits(128), "site_id": "a", "deleted_at": None,
                                 "keys": ["*"], "value": name} for name in names])
        order = windows.Order("value", False, "")
        equalities = {"site_id": "a", "deleted_at": None, "keys": "*"}
        cuts = cuts_of(collection, equalities, order, 100)
        for start in (None, (sorted(names)[2000], "f" * 32)):
            finds.filters.clear()
            rows, queries = windows.read_page(collection, [(equalities, cuts, 1)], order, start, 51)
            assert len(rows) == 51 and queries == len(finds.filters)
            assert all(served_by(query, INDEX) for query in finds.filters), finds.filters
            read = sum(collection.count_documents(query) for query in finds.filters)
            assert read <= 2 * 100 + 51, read
    finally:
        watched.close()


def test_a_closed_scope_reads_up_to_its_last_cut_when_its_windows_grow_past_it(db_factory):
    """Cuts older than the rows (a stale sample): the first window holds nothing, so the next one
    grows; it must end at the scope's last cut, not give up before it, nor go past it."""
    collection = db_factory("windows").items
    collection.create_index(INDEX)
    values = [EPOCH + datetime.timedelta(days=day) for day in range(10)]
    collection.insert_many([{"_id": "%02d" % day, "site_id": "a", "deleted_at": None, "keys": ["*"], "value": value}
                            for day, value in enumerate(values)])
    order = windows.Order("value", False, FLOORS["time"])
    stale = [(EPOCH - datetime.timedelta(days=1), "00")]
    last = (values[6], windows.WHOLE)
    rows, _ = windows.read_scope(collection, {"site_id": "a", "deleted_at": None, "keys": "*"}, order, None, 50,
                                 stale + [last], 1, closed=True)
    assert [row["_id"] for row in rows] == ["%02d" % day for day in range(7)]


def test_windows_checked_row_by_row_grow_by_the_share_of_rows_they_kept(db_factory):
    """The cuts stand for 100 rows each and the first window is sized as if every row were kept;
    one in ten is. Doubling each short window read 1 + 2 + 4 cuts (about 700 rows) for the 51 kept;
    sizing each next window by the share kept so far reads about 600, and the page is the same."""
    collection = db_factory("windows").items
    collection.create_index(INDEX)
    collection.insert_many([{"_id": "%04d" % number, "site_id": "a", "deleted_at": None, "keys": ["*"],
                             "value": number, "kept": number % 10 == 0} for number in range(2000)])
    order = windows.Order("value", False, FLOORS["number"])
    equalities = {"site_id": "a", "deleted_at": None, "keys": "*"}
    cuts = cuts_of(collection, equalities, order, 100)
    read = []

    def keep(row):
        read.append(row["_id"])
        return row["kept"]

    rows, _ = windows.read_scope(collection, equalities, order, None, 51, cuts, 1, keep=keep)
    assert [row["value"] for row in rows] == list(range(0, 10 * len(rows), 10)) and len(rows) >= 51
    assert len(read) <= 600, len(read)
    assert [row["value"] for row in windows.read_page(collection, [(equalities, cuts, 1)], order, None, 51,
                                                      keep=keep)[0]] == list(range(0, 510, 10))


def test_a_page_of_checked_scopes_that_kept_rows_past_their_share_is_the_merged_list_exactly(db_factory):
    """Two sites, every fifth row kept: a scope's last window is read whole, and the rows it kept
    past the share it was asked for come along to the merge; the page is still the list's first
    rows, in order, none twice."""
    collection = db_factory("windows").items
    collection.create_index(INDEX)
    collection.insert_many([{"_id": "%04d" % number, "site_id": "ab"[number % 2], "deleted_at": None,
                             "keys": ["*"], "value": number} for number in range(1000)])
    order = windows.Order("value", False, FLOORS["number"])
    scopes = [({"site_id": site, "deleted_at": None, "keys": "*"},
               cuts_of(collection, {"site_id": site, "keys": "*"}, order, 40), 1) for site in "ab"]
    rows, _ = windows.read_page(collection, scopes, order, None, 21, keep=lambda row: row["value"] % 5 == 0)
    assert [row["value"] for row in rows] == list(range(0, 105, 5))


@pytest.mark.parametrize("descending", [True, False], ids=["down", "up"])
def test_windows_of_a_field_of_integers_take_no_exclusive_lower_bound_and_skip_empty_ranges(descending):
    """The embedded server reads every row equal to an exclusive lower bound and then drops them: on
    a tier's rank that was a whole tier read for the empty range above the highest rank. Between
    ranks 2 and 3 no integer lies: no query at all."""
    order = windows.Order("tier_rank", descending, float("-inf"), whole_numbers=True)
    plain = windows.Order("tier_rank", descending, float("-inf"))
    top, middle = (3, "e0000000"), (2, "40000000")
    start, end = (top, middle) if descending else (middle, top)
    for clauses in (order.between(None, start), order.between(start, end), order.between(end, None)):
        assert not [clause for clause in clauses
                    if isinstance(clause.get("tier_rank"), dict) and "$gt" in clause["tier_rank"]], clauses
    assert [clause for clause in order.between(start, end) if isinstance(clause["tier_rank"], dict)] == []
    assert [clause for clause in plain.between(start, end) if isinstance(clause["tier_rank"], dict)]
    if descending:
        assert order.between(None, start)[0] == {"tier_rank": {"$gte": 4}}
    assert windows.through(2) == {"$lt": 2.0000000000000004}
