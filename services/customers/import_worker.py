"""The import worker: a timer's tick takes a running job's lease and works its phases
(``import_jobs`` says what a job is) for about TICK_SECONDS.

Phases: ``transcode`` (a UTF-16 text file: its chunks rewritten as UTF-8 above
``import_jobs.TRANSCODED_BASE``, the originals dropped once all are written), ``plan`` (a workbook:
its sheets in import order, ``import_workbook``), ``header`` (the header row and the first rows'
values place each column, ``import_mapping``), ``count`` (a cheap pass for ``total``) and
``import`` (rows validated and upserted in batches by the entity's batch). Whoever works a job
holds its lease (``lease_token``); every progress write is conditional on it, and the read
position (``position`` / ``count_position``) is saved with the counters, so a restart or another
replica resumes where the last saved batch ended. Rows of a batch cut short by a crash are
upserted again and then count as unchanged, never twice as created. A job whose worker died
MAX_CRASHES times (``claims`` counts leases never released) fails rather than taking down every
replica in turn; an upload never started within ABANDON_SECONDS is failed as abandoned and its
chunks dropped. A job whose site is disabled or deleted meanwhile fails at its next batch,
storing no more rows, the reason in ``error``.
"""
import datetime
import logging
import time
import uuid

import eventlet
from pymongo.errors import PyMongoError

from services.common import sites
from services.common.clock import utcnow
from services.common.errors import Unavailable, ValidationFailed
from services.customers import import_jobs, import_workbook, store, tabular
from services.customers.import_parts import PartBatch
from services.customers.import_rows import Batch

log = logging.getLogger(__name__)

BATCH_ROWS = 500
BATCH_CHARS = 16 * 1024 * 1024  # what one batch's rows may hold in memory, in characters
COUNT_ROWS = 5000
TICK_SECONDS = 0.5
IDLE_SECONDS = 5.0  # how often a worker with no job looks for one it was not woken for
LEASE_SECONDS = 30
AFFINITY_SECONDS = 2
MAX_CRASHES = 3
ABANDON_SECONDS = 3600
SWEEP_SECONDS = 60
OWNER = uuid.uuid4().hex
STOPPED = "The file could not be read (the import stopped %d times)." % MAX_CRASHES
NEVER_STARTED = "The upload was never finished, so the import never started."
_sweep = {"next": 0.0}


def run_tick(db, budget=TICK_SECONDS):
    """Work on one running job for about ``budget`` seconds; True when there was one."""
    token = uuid.uuid4().hex
    try:
        _sweep_abandoned(db)
        job = store.claim_import(db, OWNER, token, _after(LEASE_SECONDS))
        if job is None:
            return False
        try:
            if job.get("claims", 0) > MAX_CRASHES:
                log.error("import %s: its worker stopped %d times; the job fails", job["_id"], MAX_CRASHES)
                import_jobs.finish(db, job, {"lease_token": token}, "failed", STOPPED)
            else:
                _work(db, job, {"lease_token": token}, budget)
        finally:
            store.release_import(db, job["_id"], token, _after(AFFINITY_SECONDS))
    except PyMongoError as exc:
        log.warning("import: database unavailable (%s); the job resumes later", type(exc).__name__)
        return False
    return True


def _sweep_abandoned(db):
    """Fail uploads never started within ABANDON_SECONDS (at most once a SWEEP_SECONDS per process)."""
    if time.monotonic() < _sweep["next"]:
        return
    _sweep["next"] = time.monotonic() + SWEEP_SECONDS
    for job in store.abandoned_imports(db, _after(-ABANDON_SECONDS)):
        import_jobs.finish(db, job, None, "failed", NEVER_STARTED, action="abandoned")


def _site_problem(db, job):
    """Why the job's site takes no more rows (disabled or deleted since), or None; an unknown
    site accounts cannot be asked about now is Unavailable (the job waits)."""
    try:
        sites.require(db, job["site_id"])
    except ValidationFailed as refused:
        return refused.message
    return None


def _work(db, job, lease, budget):
    try:
        problem = _site_problem(db, job)
    except Unavailable:
        log.warning("import %s: its site cannot be checked now; the job waits", job["_id"])
        return
    if problem:
        import_jobs.finish(db, job, lease, "failed", problem)
        return
    deadline = time.monotonic() + budget
    steps = {"transcode": _transcode, "plan": _plan, "header": _read_header, "count": _count,
             "import": _import_batch}
    while True:
        try:
            job = steps[job["phase"]](db, job, lease)
        except tabular.FileError as exc:
            import_jobs.finish(db, job, lease, "failed", str(exc))
            return
        except PyMongoError:
            raise
        except Exception:
            log.exception("import %s failed", job["_id"])
            import_jobs.finish(db, job, lease, "failed", "The import stopped on an internal error.")
            return
        if job is None or job["status"] != "running" or time.monotonic() >= deadline:
            return
        eventlet.sleep(0)


def _save(db, job, lease, changes, *emitted):
    """The job with ``changes`` saved, or None when this worker lost the lease. Progress renews
    the lease and clears the count of crashed claims: only a worker that dies before making any
    progress, MAX_CRASHES times in a row, fails the job."""
    changes = dict(changes, claims=0, lease_until=_after(LEASE_SECONDS))
    if not store.update_import(db, job["_id"], changes, *emitted, match=lease):
        return None
    return dict(job, **changes)


def _transcode(db, job, lease):
    """A UTF-16 file's chunks rewritten as UTF-8 above import_jobs.TRANSCODED_BASE, then read from there: a
    worker that dies midway leaves the upload whole, and the next writes the copy again."""
    chunks = store.iter_import_chunks(db, job["_id"], 0)
    uploaded = (data for seq, data in chunks if seq < import_jobs.TRANSCODED_BASE)
    for seq, data in enumerate(tabular.transcode_utf16(uploaded)):
        store.save_import_chunk(db, job["_id"], import_jobs.TRANSCODED_BASE + seq, data)
        if seq % 20 == 19 and _save(db, job, lease, {}) is None:
            return None
        eventlet.sleep(0)
    job = _save(db, job, lease, {"chunk_base": import_jobs.TRANSCODED_BASE})
    if job is None:
        return None
    store.delete_import_chunks(db, job["_id"], below=import_jobs.TRANSCODED_BASE)
    first = next(store.iter_import_chunks(db, job["_id"], import_jobs.TRANSCODED_BASE), (None, b""))[1]
    return _save(db, job, lease, import_jobs.csv_header(db, job, first))


def _plan(db, job, lease):
    """A workbook's sheets in the order they are imported (``import_workbook``); the first begins."""
    reader = tabular.XlsxRows(job["_id"], import_jobs.chunks_of(db, job))
    try:
        names = reader.sheet_names()
    finally:
        reader.close()
    plan, skipped = import_workbook.plan(names, job.get("perms", ()))
    if not plan:
        raise tabular.FileError(import_workbook.NO_SHEETS)
    job = dict(job, plan=plan, skipped_sheets=skipped, sheets=[])
    return _save(db, job, lease, dict(import_workbook.sheet_start(job, 0), plan=plan, skipped_sheets=skipped,
                                      sheets=[]))


def _next_sheet(db, job, lease):
    """After a workbook's sheet: its counts kept, the next sheet begun; None when it was the last."""
    sheets = job.get("sheets", []) + [import_workbook.sheet_summary(job, job.get("sheet_before", {}))]
    reader = import_jobs.READERS.pop(job["_id"], None)
    if reader is not None:
        reader.close()
    if job["sheet_index"] + 1 >= len(job["plan"]):
        return _save(db, job, lease, {"sheets": sheets})
    return _save(db, job, lease, dict(import_workbook.sheet_start(job, job["sheet_index"] + 1), sheets=sheets))


def _read_header(db, job, lease):
    reader = import_jobs.reader_of(db, job)
    header, after = reader.header()
    changes = import_jobs.header_changes(job, header, reader.rows(after))
    return _save(db, job, lease, dict(changes, phase="count", position=after, count_position=after))


def _count(db, job, lease):
    position, counted, seen, finished = job["count_position"], 0, 0, True
    for _, cells, after in import_jobs.reader_of(db, job).rows(position):
        position, seen = after, seen + 1
        counted += 0 if tabular.is_blank(cells) else 1
        if seen % 1000 == 0:
            eventlet.sleep(0)
        if seen >= COUNT_ROWS:
            finished = False
            break
    counted += job.get("counted") or 0
    changes = {"count_position": position, "counted": counted}
    if finished:
        changes.update(phase="import", total=(job.get("counted_before") or 0) + counted)
    return _save(db, job, lease, changes)


def _import_batch(db, job, lease):
    position, rows, held, finished = job["position"], [], 0, True
    for number, cells, after in import_jobs.reader_of(db, job).rows(position):
        position = after
        if not tabular.is_blank(cells):
            rows.append((number, cells))
            held += tabular.size(cells)
        if len(rows) >= BATCH_ROWS or held >= BATCH_CHARS:
            finished = False
            break
    batch = (Batch if job.get("entity", "customers") == "customers" else PartBatch)(db, job).run(rows)
    store.insert_import_errors(db, batch.errors + list(batch.warnings.values()))
    changes = {key: job.get(key, 0) + batch.counts.get(key, 0)
               for key in import_jobs.COUNTERS + tuple("linked_by_" + how for how in import_jobs.LINKS)}
    changes.update(done=job["done"] + len(rows), position=position)
    job = _save(db, job, lease, changes)
    if job is not None and finished and job.get("plan"):
        job = _next_sheet(db, job, lease)
        if job is None or job["phase"] == "header":
            return job
    if job is not None and finished:
        return import_jobs.finish(db, job, lease, "completed")
    return job


def _after(seconds):
    return utcnow() + datetime.timedelta(seconds=seconds)
