"""The customers service's claims without findAndModify: of parallel claimers of an import job, a
merge, a periodic run or a site's settings version, exactly one wins; a stale version still loses."""
import datetime

import pytest

from services.common.clock import utcnow
from services.customers import store
from tests.common.concurrency import race

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def running_job(job_id, created_at, **fields):
    return dict({"_id": job_id, "status": "running", "created_at": created_at, "busy": False, "lease_until": None,
                 "claims": 0}, **fields)


def test_parallel_workers_claim_a_running_job_once(db):
    db.imports.insert_one(running_job("j1", utcnow()))
    until = utcnow() + MINUTE
    claimed = [job for job in race(8, lambda n: store.claim_import(db, "owner-%d" % n, "token-%d" % n, until)) if job]
    assert len(claimed) == 1 and claimed[0]["claims"] == 1 and claimed[0]["busy"] is True
    stored = db.imports.find_one({"_id": "j1"})
    assert stored["lease_token"] == claimed[0]["lease_token"] and stored["lease_owner"] == claimed[0]["lease_owner"]


def test_the_oldest_job_goes_first_and_parallel_workers_each_get_a_different_one(db):
    now = utcnow()
    db.imports.insert_many([running_job("j%d" % n, now - n * MINUTE) for n in range(4)])
    assert store.claim_import(db, "first", "token-first", now + MINUTE)["_id"] == "j3"
    claimed = race(5, lambda n: store.claim_import(db, "owner-%d" % n, "token-%d" % n, now + MINUTE))
    assert sorted(job["_id"] for job in claimed if job) == ["j0", "j1", "j2"]
    assert store.claim_import(db, "late", "token-late", now + MINUTE) is None


def test_a_leased_job_is_left_to_its_holder_and_a_released_one_to_its_last_owner(db):
    now = utcnow()
    db.imports.insert_one(running_job("j1", now))
    first = store.claim_import(db, "a", "t1", now + MINUTE)
    assert first["_id"] == "j1" and store.claim_import(db, "b", "t2", now + MINUTE) is None
    store.release_import(db, "j1", "t1", now + MINUTE)
    assert store.claim_import(db, "b", "t3", now + MINUTE) is None
    again = store.claim_import(db, "a", "t4", now + MINUTE)
    assert again["lease_token"] == "t4" and again["claims"] == 1
    store.release_import(db, "j1", "t4", now - MINUTE)
    assert store.claim_import(db, "b", "t5", now + MINUTE)["lease_owner"] == "b"
    db.imports.update_one({"_id": "j1"}, {"$set": {"status": "completed", "busy": False, "lease_until": None}})
    assert store.claim_import(db, "c", "t6", now + MINUTE) is None


def test_a_job_taken_from_a_worker_that_died_importing_rows_is_marked_for_a_recount(db):
    """Only a lease that ran out while its worker was busy in the import phase (rows may be stored
    without their list counts) marks the job; a worker that died reading the header, or one that
    released its lease, leaves nothing to recount."""
    now = utcnow()
    db.imports.insert_many([
        running_job("died-importing", now - 3 * MINUTE, phase="import", busy=True, lease_until=now - MINUTE),
        running_job("died-reading", now - 2 * MINUTE, phase="header", busy=True, lease_until=now - MINUTE),
        running_job("released", now - MINUTE, phase="import", busy=False, lease_until=now - MINUTE)])
    taken = [store.claim_import(db, "next", "t%d" % n, now + MINUTE) for n in range(3)]
    assert [(job["_id"], bool(job.get("recount_after"))) for job in taken] == [
        ("died-importing", True), ("died-reading", False), ("released", False)]
    assert db.imports.find_one({"_id": "died-importing"})["recount_after"] is True
    assert "recount_after" not in db.imports.find_one({"_id": "released"})


def test_a_stale_merge_is_resumed_by_one_replica_and_a_live_lease_by_none(db):
    now = utcnow()
    db.merges.insert_many([{"_id": "m-stale", "status": "pending", "lease_until": now - MINUTE},
                           {"_id": "m-live", "status": "reverting", "lease_until": now + MINUTE}])
    claimed = [record for record in race(6, lambda _: store.claim_merge(db, utcnow() + MINUTE)) if record]
    assert [record["_id"] for record in claimed] == ["m-stale"]
    assert claimed[0]["lease_until"] > now
    assert store.claim_merge(db, utcnow() + MINUTE) is None


def test_a_done_merge_is_claimed_for_its_revert_once(db):
    now = utcnow()
    db.merges.insert_one({"_id": "m1", "status": "done", "lease_until": now - MINUTE})
    claimed = [record for record in race(6, lambda _: store.claim_merge(db, utcnow() + MINUTE, merge_id="m1",
                                                                        status="reverting")) if record]
    assert len(claimed) == 1 and claimed[0]["status"] == "reverting"
    assert store.claim_merge(db, utcnow() + MINUTE, merge_id="m1", status="reverting") is None
    assert store.claim_merge(db, utcnow() + MINUTE, merge_id="unknown") is None


def test_a_periodic_run_is_started_by_one_caller_then_not_before_it_is_due(db):
    now = utcnow()
    assert race(6, lambda _: store.claim_run(db, "recompute", 3600, now)).count(True) == 1
    assert store.claim_run(db, "recompute", 3600, now + MINUTE) is False
    assert race(6, lambda _: store.claim_run(db, "recompute", 3600, now + 61 * MINUTE)).count(True) == 1
    store.request_run(db, "recompute")
    assert race(6, lambda _: store.claim_run(db, "recompute", 3600, now + 62 * MINUTE)).count(True) == 1
    assert store.claim_run(db, "recompute", 3600, now + 63 * MINUTE) is False


def test_of_parallel_first_saves_of_settings_one_wins_and_a_stale_version_loses(db):
    saved = [found for found in race(6, lambda n: store.save_settings(db, "site-a", 0, {"review_days": n})) if found]
    assert len(saved) == 1 and saved[0]["version"] == 1 and saved[0]["created_at"]
    saved = [found for found in race(6, lambda n: store.save_settings(db, "site-a", 1, {"review_days": n})) if found]
    assert len(saved) == 1 and saved[0]["version"] == 2
    assert store.save_settings(db, "site-a", 1, {"review_days": 9}) is None
    assert store.find_settings(db, "site-a")["review_days"] == saved[0]["review_days"]
