"""Import jobs that cannot end well still end: bombs fail, a job that kills its worker fails after
MAX_CRASHES, an upload never started is abandoned; each end is audited, and so are error downloads."""
import datetime
import uuid

import pytest

from services.common.errors import ValidationFailed
from services.customers import import_jobs, import_worker, store
from tests.customers import samples, workbooks
from tests.customers.test_import_job import SALES, run, upload


@pytest.fixture
def db(db_factory, monkeypatch):
    monkeypatch.setattr(import_worker, "BATCH_ROWS", 25)
    monkeypatch.setitem(import_worker._sweep, "next", 0.0)
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def audits(db, import_id):
    """(action, changes) of the audit events queued about one import, in order."""
    return [(e["data"]["action"], e["data"]["changes"]) for document in db.outbox.find({}).sort("_id", 1)
            for e in document["_outbox"] if e["type"] == "customers.audit" and e["data"]["entity_id"] == import_id]


def job_audits(db, import_id):
    document = db.imports.find_one({"_id": import_id})
    return [(e["data"]["action"], e["data"]["changes"]) for e in document.get("_outbox", [])
            if e["type"] == "customers.audit"] + audits(db, import_id)


@pytest.mark.parametrize("bomb, words", [
    (workbooks.shared_strings_bomb(20), "compressed more than 100 times"),
    (workbooks.understated_bomb(20), "not a readable XLSX"),
])
def test_a_workbook_bomb_fails_the_job_with_a_clear_error(db, bomb, words):
    job = run(db, upload(db, bomb, "bomb.xlsx", dry_run=True)["id"])
    assert job["status"] == "failed" and words in job["error"]
    assert db.import_chunks.count_documents({"import_id": job["id"]}) == 0
    [(action, changes)] = job_audits(db, job["id"])
    assert action == "failed" and words in changes["error"]["after"] and changes["dry_run"]["after"] is True


def test_a_job_whose_worker_keeps_dying_fails_after_max_crashes(db):
    job = upload(db, samples.csv_bytes([samples.customer_row(n) for n in range(5)]))
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    for attempt in range(import_worker.MAX_CRASHES):  # claimed, then the process died: never released
        assert store.claim_import(db, "dead-%d" % attempt, "token-%d" % attempt, past)["_id"] == job["id"]
    final = run(db, job["id"])
    assert final["status"] == "failed" and final["error"] == "The file could not be read (the import stopped 3 times)."
    assert final["done"] == 0 and store.count_customers(db, {}) == 0
    assert [action for action, _ in job_audits(db, job["id"])] == ["failed"]


def test_a_worker_taken_over_after_making_progress_is_no_crash(db):
    """Two replicas: one step outlives the lease and the other takes the job over. Progress was
    saved meanwhile, so the takeovers do not add up to a failure."""
    job = upload(db, samples.csv_bytes([samples.customer_row(n) for n in range(300)]))
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    for attempt in range(import_worker.MAX_CRASHES + 2):
        claimed = store.claim_import(db, "replica-%d" % attempt, uuid.uuid4().hex, past)
        import_worker._work(db, claimed, {"lease_token": claimed["lease_token"]}, budget=0)  # one step, never released
        db.imports.update_one({"_id": job["id"]}, {"$set": {"lease_until": past}})  # its lease runs out
    assert db.imports.find_one({"_id": job["id"]})["claims"] == 0
    assert run(db, job["id"])["status"] == "completed"


def test_ticks_that_end_normally_never_count_as_crashes(db):
    job = upload(db, samples.csv_bytes([samples.customer_row(n) for n in range(120)]))
    for _ in range(import_worker.MAX_CRASHES + 2):
        import_worker.run_tick(db, budget=0)
    assert db.imports.find_one({"_id": job["id"]})["claims"] == 0
    assert run(db, job["id"])["status"] == "completed"


def test_an_upload_never_started_is_abandoned_and_its_chunks_dropped(db):
    job = import_jobs.create_import(db, SALES, "half.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"legal_name\r\nAcme\r\n", 100)[0])
    fresh = import_jobs.create_import(db, SALES, "fresh.csv")
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=import_worker.ABANDON_SECONDS + 60)
    db.imports.update_one({"_id": job["id"]}, {"$set": {"created_at": old}})
    assert import_worker.run_tick(db) is False
    abandoned = import_jobs.get_import(db, SALES, job["id"])
    assert abandoned["status"] == "failed" and abandoned["error"] == import_worker.NEVER_STARTED
    assert db.import_chunks.count_documents({"import_id": job["id"]}) == 0
    assert [action for action, _ in job_audits(db, job["id"])] == ["abandoned"]
    assert import_jobs.get_import(db, SALES, fresh["id"])["status"] == "uploading"


def test_dry_runs_failures_and_error_downloads_are_audited(db):
    rows = [samples.customer_row(n) for n in range(4)]
    rows[1][0] = "Bad\x07Name"
    dry = run(db, upload(db, samples.csv_bytes(rows), dry_run=True)["id"])
    assert (dry["status"], dry["created"], dry["failed"]) == ("completed", 3, 1)
    assert dry["errors_sample"] == [{"row": 3, "field": "legal_name",
                                     "message": "Must not contain control characters or line breaks."}]
    [(action, changes)] = job_audits(db, dry["id"])
    assert action == "dry_run" and changes["created"]["after"] == 3 and changes["failed"]["after"] == 1
    report = import_jobs.import_errors(db, SALES, dry["id"])
    assert report["rows"] == [[3, "legal_name", "Must not contain control characters or line breaks."]]
    assert [action for action, _ in job_audits(db, dry["id"])] == ["dry_run", "errors_downloaded"]


def test_a_file_refused_at_start_is_audited_as_failed(db):
    job = import_jobs.create_import(db, SALES, "bad.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(b"nonsense\r\nAcme\r\n", 100)[0])
    with pytest.raises(ValidationFailed):
        import_jobs.start_import(db, SALES, job["id"])
    assert import_jobs.get_import(db, SALES, job["id"])["status"] == "failed"
    [(action, changes)] = job_audits(db, job["id"])
    assert action == "failed" and "no column for legal_name" in changes["error"]["after"]


def test_a_batch_stops_at_its_memory_budget_and_the_job_still_completes(db, monkeypatch):
    monkeypatch.setattr(import_worker, "BATCH_CHARS", 500)
    names = ["客户%03d%s" % (n, "名" * 145) for n in range(6)]  # 150 characters a row: 4 rows pass 500
    sheet = workbooks.sheet([[("s", 0)]] + [[("s", n + 1)] for n in range(6)])
    job = upload(db, workbooks.workbook(sheet, workbooks.shared_strings(["客户名称"] + names)), "long.xlsx")
    batches = []
    real = import_worker._import_batch
    monkeypatch.setattr(import_worker, "_import_batch", lambda *args: batches.append(args[1]["done"]) or real(*args))
    final = run(db, job["id"])
    assert (final["status"], final["created"], final["failed"]) == ("completed", 6, 0)
    assert batches == [0, 4]
