"""Cursor pages over a real database: no overlap, no gap, the total carried from the first page."""
import pytest

from services.common import paging
from services.common.errors import BadRequest, Unavailable, ValidationFailed


def test_pages_cover_every_document_once_and_carry_the_first_total(db_factory):
    db = db_factory("paging")
    db.items.insert_many([{"_id": "i%02d" % n, "rank": n % 4} for n in range(23)])
    seen, cursor, totals = [], None, []
    while True:
        documents, cursor, total = paging.page(db.items, {}, "rank", True, 5, cursor)
        seen += [d["_id"] for d in documents]
        totals.append(total)
        if len(seen) == 10:
            db.items.insert_one({"_id": "late", "rank": -1})
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 24
    assert set(seen) == {"i%02d" % n for n in range(23)} | {"late"}
    assert totals == [23] * len(totals)
    assert paging.page(db.items, {}, "rank", True, 5, None)[2] == 24


def test_an_uncounted_list_says_at_least_what_it_met_until_its_last_page_makes_it_exact(db_factory):
    db = db_factory("paging")
    db.items.insert_many([{"_id": "i%02d" % n, "rank": n % 4} for n in range(12)])
    seen, cursor, answers = [], None, []
    while True:
        documents, cursor, total, bound = paging.uncounted_page(db.items, {}, "rank", True, 5, cursor)
        seen += [d["_id"] for d in documents]
        answers.append((total, bound))
        if cursor is None:
            break
    assert sorted(seen) == ["i%02d" % n for n in range(12)]
    assert answers == [(6, True), (11, True), (12, False)]
    assert paging.uncounted_page(db.items, {"rank": 1}, "rank", True, 5, None)[2:] == (3, False)


def test_a_bad_cursor_or_limit_names_the_field(db_factory):
    db = db_factory("paging")
    with pytest.raises(BadRequest) as bad_cursor:
        paging.page(db.items, {}, "rank", True, 5, "not-a-cursor")
    assert "cursor" in bad_cursor.value.fields
    for limit in (0, 501, 2.5, True):
        with pytest.raises(ValidationFailed) as bad_limit:
            paging.page(db.items, {}, "rank", True, limit, None)
        assert "limit" in bad_limit.value.fields


def test_a_page_that_takes_longer_than_its_time_limit_is_refused_cleanly(db_factory):
    collection = db_factory("paging")["items"]
    collection.insert_many([{"_id": "d%05d" % n, "n": n, "text": "x" * 200} for n in range(5000)])
    with pytest.raises(Unavailable) as refused:
        paging.page(collection, {"n": {"$gte": 0}}, "n", limit=10, time_limit=0.001)
    assert refused.value.code == "search_too_broad" and "narrow it" in refused.value.message
    documents, _, total = paging.page(collection, {"n": {"$gte": 0}}, "n", limit=10, time_limit=30)
    assert total == 5000 and [d["n"] for d in documents] == list(range(4999, 4989, -1))


def test_clauses_on_one_field_merge_into_one_condition():
    assert paging.with_clauses({"a": 1, "d": {"$lt": 9}}, {"d": 5, "_id": {"$gt": "x"}}) == {
        "a": 1, "d": {"$lt": 9, "$eq": 5}, "_id": {"$gt": "x"}}
    assert paging.with_clauses({"d": {"$lt": 9}}, {"d": {"$gt": 2}}) == {"d": {"$lt": 9, "$gt": 2}}
    assert paging.with_clauses({"d": {"$lt": 9}}, {"d": {"$lt": 2}}) == {"$and": [{"d": {"$lt": 9}}, {"d": {"$lt": 2}}]}
    assert paging.with_clauses({}, {"d": 1}) == {"d": 1}


def test_pages_of_a_range_query_sorted_by_its_own_field(db_factory):
    collection = db_factory("paging")["items"]
    collection.insert_many([{"_id": "r%02d" % n, "d": n % 7} for n in range(30)])
    seen, cursor = [], None
    while True:
        documents, cursor, total = paging.page(collection, {"d": {"$lt": 5}}, "d", False, 4, cursor)
        seen += [d["_id"] for d in documents]
        if cursor is None:
            break
    assert total == len(seen) == len(set(seen)) == len([n for n in range(30) if n % 7 < 5])
