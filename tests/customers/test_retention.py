"""Finished imports and merges are purged after CUSTOMERS_JOB_RETENTION_DAYS, with what belongs to
them; running jobs, recent ones and merges that can still be reverted stay."""
import datetime

import pytest

from services.common.clock import utcnow
from services.customers import archive, retention, store

DAY = datetime.timedelta(days=1)


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def add_import(db, import_id, status, finished_at=None):
    db.imports.insert_one({"_id": import_id, "status": status, "created_at": utcnow() - 400 * DAY,
                           "finished_at": finished_at})
    store.save_import_chunk(db, import_id, 0, b"legal_name\nAcme\n")
    store.insert_import_errors(db, [{"_id": "%s:1" % import_id, "import_id": import_id, "row": 1}])


def kept_imports(db):
    return sorted(job["_id"] for job in db.imports.find())


def test_finished_imports_past_retention_go_with_their_chunks_and_errors(db, monkeypatch):
    monkeypatch.setenv("CUSTOMERS_JOB_RETENTION_DAYS", "90")
    now = utcnow()
    add_import(db, "old-done", "completed", now - 91 * DAY)
    add_import(db, "old-failed", "failed", now - 200 * DAY)
    add_import(db, "recent", "completed", now - 89 * DAY)
    add_import(db, "running", "running")
    add_import(db, "uploading", "uploading")
    assert retention.purge_finished(db, now)["imports"] == 2
    assert kept_imports(db) == ["recent", "running", "uploading"]
    assert sorted(db.import_chunks.distinct("import_id")) == ["recent", "running", "uploading"]
    assert sorted(db.import_errors.distinct("import_id")) == ["recent", "running", "uploading"]
    assert retention.purge_finished(db, now)["imports"] == 0


def test_the_retention_follows_its_variable(db, monkeypatch):
    monkeypatch.setenv("CUSTOMERS_JOB_RETENTION_DAYS", "7")
    now = utcnow()
    add_import(db, "week-old", "completed", now - 8 * DAY)
    add_import(db, "fresh", "failed", now - 6 * DAY)
    retention.purge_finished(db, now)
    assert kept_imports(db) == ["fresh"]


def add_customer(db, customer_id, site_id="site-a", **fields):
    db.customers.insert_one(dict({"_id": customer_id, "site_id": site_id, "legal_name": customer_id}, **fields))


def add_merge(db, merge_id, status, updated_at, survivor_id="c-survivor", merged_ids=("c-merged",)):
    db.merges.insert_one({"_id": merge_id, "status": status, "updated_at": updated_at, "survivor_id": survivor_id,
                          "merged_ids": list(merged_ids), "site_id": "site-a", "lease_until": None})
    store.save_merge_images(db, merge_id, "contacts", [{"_id": "p-%s" % merge_id}])


def test_merges_past_retention_go_unless_they_can_still_be_reverted(db, monkeypatch):
    monkeypatch.setenv("CUSTOMERS_JOB_RETENTION_DAYS", "90")
    now = utcnow()
    add_customer(db, "c-survivor")
    add_customer(db, "c-merged", deleted_at=now - 100 * DAY)
    add_customer(db, "c-erased", erased=True, deleted_at=now - 100 * DAY)
    add_merge(db, "reverted-old", "reverted", now - 91 * DAY)
    add_merge(db, "abandoned-old", "abandoned", now - 120 * DAY)
    add_merge(db, "reverted-recent", "reverted", now - 10 * DAY)
    add_merge(db, "done-revertible", "done", now - 100 * DAY)
    add_merge(db, "done-erased", "done", now - 100 * DAY, merged_ids=("c-erased",))
    add_merge(db, "done-recent-erased", "done", now - 60 * DAY, merged_ids=("c-erased",))
    add_merge(db, "pending-old", "pending", now - 100 * DAY)
    assert retention.purge_finished(db, now)["merges"] == 3
    assert sorted(found["_id"] for found in db.merges.find()) == [
        "done-recent-erased", "done-revertible", "pending-old", "reverted-recent"]
    assert sorted(db.merge_images.distinct("merge_id")) == [
        "done-recent-erased", "done-revertible", "pending-old", "reverted-recent"]


def test_a_done_merge_stays_for_its_revert_window_even_with_a_shorter_retention(db, monkeypatch):
    monkeypatch.setenv("CUSTOMERS_JOB_RETENTION_DAYS", "1")
    now = utcnow()
    add_customer(db, "c-survivor")
    add_customer(db, "c-erased", erased=True)
    add_merge(db, "done-young", "done", now - (archive.RESTORE_DAYS - 1) * DAY, merged_ids=("c-erased",))
    add_merge(db, "done-past-window", "done", now - (archive.RESTORE_DAYS + 1) * DAY, merged_ids=("c-erased",))
    add_merge(db, "abandoned", "abandoned", now - 2 * DAY)
    assert retention.purge_finished(db, now)["merges"] == 2
    assert [found["_id"] for found in db.merges.find()] == ["done-young"]


def test_revertible_done_merges_do_not_hold_back_the_ones_after_them(db, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    now = utcnow()
    add_customer(db, "c-survivor")
    add_customer(db, "c-merged")
    add_customer(db, "c-erased", erased=True)
    for n in range(4):
        add_merge(db, "kept-%d" % n, "done", now - (200 - n) * DAY)
    add_merge(db, "gone", "done", now - 150 * DAY, merged_ids=("c-erased",))
    assert retention.purge_finished(db, now)["merges"] == 1
    assert db.merges.find_one({"_id": "gone"}) is None and db.merges.count_documents({}) == 4
