"""Customer import as a governed job: upload in chunks, start, then a timer works it.

Job life: ``uploading`` (chunks arrive) → ``running`` → ``completed`` or ``failed``. A running
job goes through phases ``header`` (XLSX only: read the header row), ``count`` (a cheap pass for
``total``) and ``import`` (rows validated and upserted in batches). Whoever works a job holds its
lease (``lease_token``); every progress write is conditional on it, and the read position
(``position`` / ``count_position``) is saved with the counters, so a restart or another replica
resumes where the last saved batch ended. Rows of a batch cut short by a crash are upserted again
and then count as unchanged, never twice as created. A job whose worker died MAX_CRASHES times
(``claims`` counts leases never released) fails rather than taking down every replica in turn;
an upload never started within ABANDON_SECONDS is failed as abandoned and its chunks dropped.
Every end of a job (imported, dry run, failed, abandoned) and every download of its errors is
audited. The job's site must be active when the job is created and started; a job whose site is
disabled or deleted meanwhile fails at its next batch, storing no more rows, the reason in ``error``.
"""
import base64
import binascii
import datetime
import logging
import time
import uuid

import eventlet
from pymongo.errors import PyMongoError

from services.common import sites
from services.common.clock import isoformat, utcnow
from services.common.errors import Conflict, NotFound, PayloadTooLarge, Unavailable, ValidationFailed
from services.customers import events, store, tabular
from services.customers.import_rows import Batch

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
MAX_SEQ = 1_000_000
BATCH_ROWS = 500
BATCH_CHARS = 16 * 1024 * 1024  # what one batch's rows may hold in memory, in characters
COUNT_ROWS = 5000
TICK_SECONDS = 0.5
LEASE_SECONDS = 30
AFFINITY_SECONDS = 2
SAMPLE = 20
MAX_CRASHES = 3
ABANDON_SECONDS = 3600
SWEEP_SECONDS = 60
OWNER = uuid.uuid4().hex
STOPPED = "The file could not be read (the import stopped %d times)." % MAX_CRASHES
NEVER_STARTED = "The upload was never finished, so the import never started."
ERROR_COLUMNS = ("row", "field", "message")
COUNTERS = ("done", "created", "updated", "unchanged", "failed", "warnings")
_XLSX = {}
_sweep = {"next": 0.0}


def _after(seconds):
    return utcnow() + datetime.timedelta(seconds=seconds)


def _time(value):
    return isoformat(value) if value else None


def out(db, job):
    sample = list(store.import_errors(db, job["_id"], SAMPLE)) if job.get("failed") else []
    warned = list(store.import_errors(db, job["_id"], SAMPLE, warnings=True)) if job.get("warnings") else []
    shown = {key: job.get(key, 0) for key in COUNTERS}
    shown.update({
        "id": job["_id"], "status": job["status"], "dry_run": job["dry_run"], "filename": job["filename"],
        "site_id": job["site_id"], "format": job.get("format"), "total": job.get("total"),
        "errors_sample": [{k: e[k] for k in ("row", "field", "message")} for e in sample],
        "warnings_sample": [{k: e[k] for k in ("row", "field", "message")} for e in warned],
        "error": job.get("error"), "created_at": _time(job["created_at"]),
        "started_at": _time(job.get("started_at")), "finished_at": _time(job.get("finished_at")),
    })
    return shown


def create_import(db, caller, filename, dry_run=False, site_id=None):
    caller.require("customers:write")
    if not isinstance(filename, str) or not 1 <= len(filename.strip()) <= 200:
        raise ValidationFailed(fields={"filename": ["Give the file's name (1-200 characters)."]})
    site_id = site_id or (caller.sites[0] if caller.sites else None)
    if not isinstance(site_id, str) or not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    now = utcnow()
    job = {"_id": uuid.uuid4().hex, "status": "uploading", "filename": filename.strip(), "dry_run": bool(dry_run),
           "site_id": site_id, "created_by": caller.user_id, "total": None, "created_at": now, "updated_at": now,
           **{key: 0 for key in COUNTERS}}
    store.insert_import(db, job)
    return out(db, job)


def _visible_job(db, caller, import_id, write=False):
    caller.require("customers:write" if write else "customers:read")
    job = store.find_import(db, import_id) if isinstance(import_id, str) else None
    if job is None or not caller.has_site(job["site_id"]):
        raise NotFound("No such import.")
    return job


def append_chunk(db, caller, import_id, seq, content_b64):
    job = _visible_job(db, caller, import_id, write=True)
    if job["status"] != "uploading":
        raise Conflict("This import has already started.", code="import_started")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < MAX_SEQ:
        raise ValidationFailed(fields={"seq": ["A whole number from 0 on."]})
    try:
        data = base64.b64decode(content_b64 or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValidationFailed(fields={"content_b64": ["Not valid base64."]})
    if not data:
        raise ValidationFailed(fields={"content_b64": ["The chunk is empty."]})
    if len(data) > CHUNK_BYTES:
        raise PayloadTooLarge("A chunk may hold at most 1 MB.")
    store.save_import_chunk(db, import_id, seq, data)
    return {"import_id": import_id, "seq": seq, "size": len(data)}


def _chunks(db, job):
    return lambda seq: store.iter_import_chunks(db, job["_id"], seq)


def start_import(db, caller, import_id):
    job = _visible_job(db, caller, import_id, write=True)
    if job["status"] != "uploading":
        raise Conflict("This import has already started.", code="import_started")
    count, last, size = store.import_chunk_stats(db, import_id)
    if count == 0:
        raise ValidationFailed(fields={"file": ["No file was uploaded."]})
    if last != count - 1:
        raise ValidationFailed(fields={"file": ["Chunks are missing: %d of %d arrived." % (count, last + 1)]})
    try:
        sites.require(db, job["site_id"])
    except ValidationFailed as refused:
        _finish(db, job, None, "failed", refused.message)
        raise
    try:
        changes = _prepare(db, job)
    except tabular.FileError as exc:
        _finish(db, job, None, "failed", str(exc))
        raise ValidationFailed(str(exc), {"file": [str(exc)]})
    changes.update(status="running", chunks=count, size=size, started_at=utcnow(), busy=False, lease_until=None)
    if not store.update_import(db, import_id, changes, match={"status": "uploading"}):
        raise Conflict("This import has already started.", code="import_started")
    return out(db, dict(job, **changes))


def _prepare(db, job):
    """Format and, for CSV, encoding and header (cheap: the first records only)."""
    first = next(store.iter_import_chunks(db, job["_id"], 0))[1]
    if tabular.sniff(first) == "xlsx":
        return {"format": "xlsx", "phase": "header"}
    encoding, delimiter, header, after = tabular.header_of_csv(_chunks(db, job)(0), first)
    return dict(_header(header), format="csv", encoding=encoding, delimiter=delimiter, phase="count",
                position=after, count_position=after)


def _header(cells):
    return {"columns": tabular.map_headers(cells), "headers": [tabular.clean(cell) for cell in cells]}


def _reader(db, job):
    if job["format"] == "csv":
        return tabular.CsvRows(_chunks(db, job), job["encoding"], job["delimiter"])
    if job["_id"] not in _XLSX:
        _XLSX[job["_id"]] = tabular.XlsxRows(job["_id"], _chunks(db, job))
    return _XLSX[job["_id"]]


def get_import(db, caller, import_id):
    return out(db, _visible_job(db, caller, import_id))


def import_errors(db, caller, import_id):
    """The rejected values as table rows (the gateway writes the CSV, defusing formulas); audited."""
    job = _visible_job(db, caller, import_id)
    rows = [[error[key] for key in ERROR_COLUMNS] for error in store.import_errors(db, import_id)]
    store.queue_events(db, events.audit("import", job["_id"], "errors_downloaded",
                                        {"rows": {"before": None, "after": len(rows)}}, job["site_id"],
                                        caller.user_id))
    name = job["filename"].rsplit(".", 1)[0] + "-errors.csv"
    return {"filename": name, "columns": list(ERROR_COLUMNS), "rows": rows}


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
                _finish(db, job, {"lease_token": token}, "failed", STOPPED)
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
        _finish(db, job, None, "failed", NEVER_STARTED, action="abandoned")


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
        _finish(db, job, lease, "failed", problem)
        return
    deadline = time.monotonic() + budget
    steps = {"header": _read_header, "count": _count, "import": _import_batch}
    while True:
        try:
            job = steps[job["phase"]](db, job, lease)
        except tabular.FileError as exc:
            _finish(db, job, lease, "failed", str(exc))
            return
        except PyMongoError:
            raise
        except Exception:
            log.exception("import %s failed", job["_id"])
            _finish(db, job, lease, "failed", "The import stopped on an internal error.")
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


def _read_header(db, job, lease):
    header, after = _reader(db, job).header()
    return _save(db, job, lease, dict(_header(header), phase="count", position=after, count_position=after))


def _count(db, job, lease):
    position, counted, seen, finished = job["count_position"], 0, 0, True
    for _, cells, after in _reader(db, job).rows(position):
        position, seen = after, seen + 1
        counted += 0 if tabular.is_blank(cells) else 1
        if seen % 1000 == 0:
            eventlet.sleep(0)
        if seen >= COUNT_ROWS:
            finished = False
            break
    total = (job.get("counted") or 0) + counted
    changes = {"count_position": position, "counted": total}
    if finished:
        changes.update(phase="import", total=total)
    return _save(db, job, lease, changes)


def _import_batch(db, job, lease):
    position, rows, held, finished = job["position"], [], 0, True
    for number, cells, after in _reader(db, job).rows(position):
        position = after
        if not tabular.is_blank(cells):
            rows.append((number, cells))
            held += tabular.size(cells)
        if len(rows) >= BATCH_ROWS or held >= BATCH_CHARS:
            finished = False
            break
    batch = Batch(db, job).run(rows)
    store.insert_import_errors(db, batch.errors + list(batch.warnings.values()))
    changes = {key: job.get(key, 0) + batch.counts.get(key, 0) for key in COUNTERS}
    changes.update(done=job["done"] + len(rows), position=position)
    job = _save(db, job, lease, changes)
    if job is not None and finished:
        return _finish(db, job, lease, "completed")
    return job


def _finish(db, job, lease, status, error=None, action=None):
    """End the job as ``status``; audited as ``action`` (by default imported, dry_run or failed)."""
    changes = {"status": status, "phase": "done", "error": error, "finished_at": utcnow(), "busy": False}
    counts = {key: job.get(key, 0) for key in ("created", "updated", "failed")}
    audited = dict(counts, unchanged=job.get("unchanged", 0), filename=job["filename"])
    if status == "completed" and not job["dry_run"]:
        action = "imported"
    else:
        action = action or ("dry_run" if status == "completed" else "failed")
        audited.update(dry_run=job["dry_run"], done=job.get("done", 0), error=error)
    emitted = (events.audit("import", job["_id"], action,
                            {key: {"before": None, "after": value} for key, value in audited.items()},
                            job["site_id"], job["created_by"]),)
    if action == "imported":
        emitted = (events.event("import_completed", dict(counts, import_id=job["_id"], total=job["done"]),
                                job["site_id"], job["created_by"]),) + emitted
    saved = store.update_import(db, job["_id"], changes, *emitted, match=lease or {"status": job["status"]})
    reader = _XLSX.pop(job["_id"], None)
    if reader is None and job.get("format") == "xlsx":
        reader = tabular.XlsxRows(job["_id"], None)  # a file left by a worker that died
    if reader is not None:
        reader.discard()
    if saved:
        store.delete_import_chunks(db, job["_id"])
    return dict(job, **changes) if saved else None
