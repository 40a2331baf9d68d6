"""The shared compare-and-swap claim, the indexed sweep that replaces TTL indexes, and a guard
that keeps findAndModify out of the services (the embedded server scans the whole collection
for each one)."""
import datetime
import pathlib
import re

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.clock import utcnow
from services.common.mongo import claim, insert_new, replace_ttl_index, sweep, update_and_fetch
from tests.common.concurrency import race

SERVICES = pathlib.Path(__file__).resolve().parents[2] / "services"
FIND_AND_MODIFY = re.compile(r"\.find_one_and_(update|replace|delete)\s*\(")


@pytest.fixture
def db(db_factory):
    return db_factory("common")


def test_no_service_module_calls_find_one_and():
    offenders = ["%s:%d" % (path.relative_to(SERVICES.parent), number)
                 for path in sorted(SERVICES.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if FIND_AND_MODIFY.search(line)]
    assert offenders == []


def test_of_claimers_holding_the_same_read_one_wins_and_the_other_takes_its_next_candidate(db):
    db.jobs.insert_many([{"_id": "a", "owner": None}, {"_id": "b", "owner": None}])
    read = list(db.jobs.find({"owner": None}).sort("_id", 1))
    first = claim(db.jobs, read, {"$set": {"owner": "one"}}, ("owner",))
    second = claim(db.jobs, read, {"$set": {"owner": "two"}}, ("owner",))
    third = claim(db.jobs, read, {"$set": {"owner": "three"}}, ("owner",))
    assert first == {"_id": "a", "owner": "one"} and second == {"_id": "b", "owner": "two"} and third is None


def test_many_threads_claiming_one_document_have_exactly_one_winner(db):
    db.jobs.insert_one({"_id": "only", "owner": None})

    def take(number):
        return claim(db.jobs, list(db.jobs.find({"owner": None})), {"$set": {"owner": number}}, ("owner",))

    won = [result for result in race(8, take) if result is not None]
    assert len(won) == 1 and db.jobs.find_one({"_id": "only"})["owner"] == won[0]["owner"]


def test_update_and_fetch_with_a_stale_condition_loses_and_an_upsert_inserts_once(db):
    assert update_and_fetch(db.settings, {"_id": "s1", "version": {"$exists": False}},
                            {"$set": {"x": 1}, "$inc": {"version": 1}}, upsert=True) == {"_id": "s1", "x": 1,
                                                                                         "version": 1}
    with pytest.raises(DuplicateKeyError):
        update_and_fetch(db.settings, {"_id": "s1", "version": {"$exists": False}},
                         {"$set": {"x": 2}, "$inc": {"version": 1}}, upsert=True)
    assert update_and_fetch(db.settings, {"_id": "s1", "version": 0}, {"$set": {"x": 3}}) is None
    assert update_and_fetch(db.settings, {"version": 1, "_id": "s1"}, {"$set": {"x": 4}}, {"x": 1}) == {
        "_id": "s1", "x": 4}


def test_a_sweep_deletes_only_what_is_past_its_cutoff_in_bounded_batches(db):
    now = utcnow()
    db.tokens.create_index("expires_at")
    db.tokens.insert_many([{"_id": "old-%d" % n, "expires_at": now - datetime.timedelta(minutes=n + 1)}
                           for n in range(7)])
    db.tokens.insert_many([{"_id": "live", "expires_at": now + datetime.timedelta(minutes=1)},
                           {"_id": "at-cutoff", "expires_at": now}, {"_id": "never"}])
    assert sweep(db.tokens, "expires_at", now, batch=3, max_batches=2) == 6
    assert sweep(db.tokens, "expires_at", now, batch=3, max_batches=2) == 1
    assert sweep(db.tokens, "expires_at", now, batch=3) == 0
    assert sorted(found["_id"] for found in db.tokens.find()) == ["at-cutoff", "live", "never"]


def test_a_ttl_index_left_by_an_earlier_release_becomes_a_plain_one(db):
    db.mail.create_index("sent_at", expireAfterSeconds=3600)
    assert db.mail.index_information()["sent_at_1"]["expireAfterSeconds"] == 3600
    replace_ttl_index(db.mail, "sent_at")
    replace_ttl_index(db.mail, "sent_at")
    indexes = db.mail.index_information()
    assert [index["key"] for index in indexes.values()] == [[("_id", 1)], [("sent_at", 1)]]
    assert not any("expireAfterSeconds" in index for index in indexes.values())


def test_insert_new_stores_what_is_new_and_names_what_was_stored_already(db):
    db.things.insert_one({"_id": "b", "n": 0})
    assert insert_new(db.things, [{"_id": "a", "n": 1}, {"_id": "b", "n": 2}, {"_id": "c", "n": 3}]) == {"b"}
    assert {thing["_id"]: thing["n"] for thing in db.things.find()} == {"a": 1, "b": 0, "c": 3}
    assert insert_new(db.things, [{"_id": "a", "n": 9}, {"_id": "c", "n": 9}]) == {"a", "c"}
    assert insert_new(db.things, []) == set() and db.things.count_documents({}) == 3


def test_insert_new_raises_a_refusal_other_than_a_repeated_id(db):
    things = db.create_collection("things", validator={"$jsonSchema": {"required": ["code"]}})
    with pytest.raises(BulkWriteError):
        insert_new(things, [{"_id": "b", "code": "y"}, {"_id": "c"}])
    things.create_index("code", unique=True)  # the same value of another unique index is no repeat
    with pytest.raises(BulkWriteError):
        insert_new(things, [{"_id": "b", "code": "y"}, {"_id": "d", "code": "y"}])
