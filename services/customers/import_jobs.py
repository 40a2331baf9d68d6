"""Import as a governed job: upload a file in chunks, preview it, start it with what its rows are
and how its columns map; ``import_worker`` then works it on a timer.

Job life: ``uploading`` (chunks arrive; only the uploader adds to it, previews it or starts it) →
``running`` → ``completed`` or ``failed``. A CSV is placed at the start (its header and first rows
read: a file that cannot make the entity's records is refused at once); a UTF-16 text, an XLSX
and a workbook are placed by the worker. Every end of a job (imported, dry run, failed,
abandoned) and every download of its errors is audited. The job's site must be active when the
job is created and started.
"""
import base64
import binascii
import logging
import uuid


from services.common import config, remote, sites
from services.common.clock import isoformat, utcnow
from services.common.errors import Conflict, NotFound, PayloadTooLarge, Unavailable, ValidationFailed
from services.common.schemas import load
from services.common.timers import Signal
from services.customers import (
    access, contract, events, import_mapping, import_mappings, lists, store, tabular,
)

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
MAX_SEQ = 1_000_000
SAMPLE = 20
ERROR_COLUMNS = ("row", "field", "message")
COUNTERS = ("done", "created", "updated", "unchanged", "failed", "warnings")
LINKS = ("tax_id", "code", "name")  # how a part's rows named their customers, counted
TRANSCODED_BASE = MAX_SEQ  # where a transcoded file's chunks are kept (the upload's are below)
# Entities whose rows name people (an owner, an assignee) by name, username or e-mail.
NAMING_PEOPLE = ("customers", "followups")
NOT_A_WORKBOOK = "Only an XLSX workbook imports its sheets in one go."
READERS = {}
# Woken once a job is started: this process's import worker takes it at its next tick (the workers
# of other processes look for jobs every ``import_worker.IDLE_SECONDS``).
STARTED = Signal()


def _time(value):
    return isoformat(value) if value else None


def out(db, job):
    sample = list(store.import_errors(db, job["_id"], SAMPLE)) if job.get("failed") else []
    warned = list(store.import_errors(db, job["_id"], SAMPLE, warnings=True)) if job.get("warnings") else []
    shown = {key: job.get(key, 0) for key in COUNTERS}
    shown["linked_by"] = {how: job.get("linked_by_" + how, 0) for how in LINKS}
    shown["sheets"] = job.get("sheets", [])
    shown["skipped_sheets"] = job.get("skipped_sheets", [])
    shown.update({
        "id": job["_id"], "status": job["status"], "dry_run": job["dry_run"], "filename": job["filename"],
        "site_id": job["site_id"], "format": job.get("format"), "total": job.get("total"),
        "entity": job.get("entity", "customers"), "sheet": job.get("sheet"), "mapping": job.get("mapping"),
        "skipped_columns": job.get("skipped", []),
        "errors_sample": [_error_out(e) for e in sample], "warnings_sample": [_error_out(e) for e in warned],
        "error": job.get("error"), "created_at": _time(job["created_at"]),
        "started_at": _time(job.get("started_at")), "finished_at": _time(job.get("finished_at")),
    })
    return shown


def _error_out(error):
    shown = {key: error[key] for key in ("row", "field", "message")}
    if error.get("sheet"):
        shown["sheet"] = error["sheet"]
    return shown


def _require_some_import(caller):
    """An upload needs the permission to write customers or one of their parts (which, is checked
    when the job starts and says what its rows are)."""
    caller.require("customers:read")
    if not caller.can("customers:write") and not any(caller.can(write) for _, write in
                                                     access.PART_PERMISSIONS.values()):
        caller.require("customers:write")


def create_import(db, caller, filename, dry_run=False, site_id=None):
    _require_some_import(caller)
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
    """A job of the caller's sites; ``write``: an upload of the caller's own (only its uploader adds to
    it, previews it or starts it)."""
    caller.require("customers:read")
    if write:
        _require_some_import(caller)
    job = store.find_import(db, import_id) if isinstance(import_id, str) else None
    if job is None or not caller.has_site(job["site_id"]) or (write and job["created_by"] != caller.user_id):
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


def chunks_of(db, job):
    """The job's stored file, ``(seq, bytes)`` from ``seq`` on (a transcoded file's, once written)."""
    base = job.get("chunk_base", 0)
    return lambda seq: ((number - base, data) for number, data in store.iter_import_chunks(db, job["_id"], seq + base))


def preview_import(db, caller, import_id, entity="customers", sheet=None):
    """An upload's columns before it is started: headers, sample values, the suggested field of each."""
    job = _visible_job(db, caller, import_id, write=True)
    if job["status"] != "uploading":
        raise Conflict("This import has already started.", code="import_started")
    options = load(contract.ImportOptionsSchema(), dict({"entity": entity}, **({"sheet": sheet} if sheet else {})))
    entity = _one_entity(options)
    count, last, _ = store.import_chunk_stats(db, import_id)
    if count == 0:
        raise ValidationFailed(fields={"file": ["No file was uploaded."]})
    first = next(store.iter_import_chunks(db, import_id, 0))[1]
    try:
        read = tabular.preview(chunks_of(db, job), first, import_id, options.get("sheet"))
    except tabular.FileError as exc:
        raise ValidationFailed(str(exc), {"file": [str(exc)]})
    headers = [header[:tabular.MAX_HEADER_CHARS] for header in read["header"]]
    _, _, suggestions = import_mapping.columns_of(entity, headers, read["samples"])
    columns = [{"index": index, "header": header, "samples": samples, "field": field, "suggested_by": by}
               for index, (header, samples, (field, by)) in enumerate(zip(headers, read["samples"], suggestions))]
    return {"upload_id": import_id, "entity": entity, "format": read["format"], "encoding": read.get("encoding"),
            "delimiter": read.get("delimiter"), "sheets": read.get("sheets", []), "sheet": read.get("sheet"),
            "rows_read": read.get("rows_read", 0), "columns": columns,
            "fields": import_mapping.field_list(entity)}


def import_fields(caller, entity):
    """The fields a column of ``entity`` may fill (for a mapping form or a template)."""
    caller.require("customers:read")
    entity = _one_entity(load(contract.ImportOptionsSchema(), {"entity": entity}))
    return {"entity": entity, "fields": import_mapping.field_list(entity)}


def _one_entity(options):
    """The record type of loaded ``options``: a workbook has fields and columns per sheet only (422)."""
    entity = options.get("entity", "customers")
    if entity == contract.WORKBOOK:
        raise ValidationFailed(fields={"entity": ["A workbook is previewed sheet by sheet: name a record type."]})
    return entity


def _options(db, caller, job, options):
    """The start options (entity, mapping, value map, sheet, dry run) as the job keeps them; a saved
    mapping named by ``mapping_id`` gives its entity, mapping and value map."""
    options = load(contract.ImportOptionsSchema(), options or {})
    if options.get("mapping_id"):
        saved = import_mappings.get(db, caller, options["mapping_id"])
        options.setdefault("mapping", saved["mapping"])
        options.setdefault("value_map", saved.get("value_map") or {})
        options["entity"] = saved["entity"]
    entity = options.get("entity", "customers")
    if entity != contract.WORKBOOK:
        import_mapping.check(entity, options.get("mapping"), options.get("value_map"))
    if entity == "customers":
        caller.require("customers:write")
    elif entity != contract.WORKBOOK:
        access.require_part(caller, entity, write=True)
    chosen = {"entity": entity, "mapping": options.get("mapping"), "value_map": options.get("value_map") or {},
              "sheet": options.get("sheet")}
    if "dry_run" in options:
        chosen["dry_run"] = options["dry_run"]
    if entity == contract.WORKBOOK:
        chosen["perms"] = sorted(caller.perms)
    return chosen


def _names_people(job, columns):
    """Whether the file may name an owner or assignee: its columns say so once placed (a CSV's, at the
    start); a workbook's or an XLSX's are placed later by the worker, which cannot ask accounts."""
    if job["entity"] not in NAMING_PEOPLE + (contract.WORKBOOK,):
        return False
    return columns is None or bool({"owner", "assignee"} & set(columns))


def _people(caller, site_id):
    """Who an owner or assignee column may name, asked of accounts as the caller (503 when it is away)."""
    if caller.is_service:
        return []
    found = remote.call("accounts", "site_people", site_id, token=caller.token).get("items", [])
    return [{key: person.get(key) for key in ("id", "username", "display_name", "email", "sites", "permissions")}
            for person in found]


def start_import(db, caller, import_id, options=None):
    job = _visible_job(db, caller, import_id, write=True)
    if job["status"] != "uploading":
        raise Conflict("This import has already started.", code="import_started")
    job = dict(job, **_options(db, caller, job, options))
    count, last, size = store.import_chunk_stats(db, import_id)
    if count == 0:
        raise ValidationFailed(fields={"file": ["No file was uploaded."]})
    if last != count - 1:
        raise ValidationFailed(fields={"file": ["Chunks are missing: %d of %d arrived." % (count, last + 1)]})
    try:
        sites.require(db, job["site_id"])
    except ValidationFailed as refused:
        finish(db, job, None, "failed", refused.message)
        raise
    try:
        changes = _prepare(db, job)
    except tabular.FileError as exc:
        finish(db, job, None, "failed", str(exc))
        raise ValidationFailed(str(exc), {"file": [str(exc)]})
    changes.update({key: job[key] for key in ("entity", "mapping", "value_map", "sheet", "dry_run", "perms")
                    if key in job})
    if _names_people(job, changes.get("columns")):
        try:
            changes["people"] = _people(caller, job["site_id"])
        except Unavailable:
            if changes.get("columns") is not None:
                raise  # the file names people: it waits for accounts (503)
            changes["people"] = None  # it may not: the job runs, and says so of any name it meets
    changes.update(status="running", chunks=count, size=size, started_at=utcnow(), busy=False, lease_until=None)
    if not store.update_import(db, import_id, changes, match={"status": "uploading"}):
        raise Conflict("This import has already started.", code="import_started")
    STARTED.wake()
    return out(db, dict(job, **changes))


def _prepare(db, job):
    """Format and, for CSV, encoding, header and column placing (cheap: the first records only)."""
    first = next(store.iter_import_chunks(db, job["_id"], 0))[1]
    if job.get("entity") == contract.WORKBOOK:
        if tabular.sniff(first) != "xlsx":
            raise tabular.FileError(NOT_A_WORKBOOK)
        return {"format": "xlsx", "phase": "plan"}
    if tabular.sniff(first) == "xlsx":
        return {"format": "xlsx", "phase": "header"}
    if tabular.is_utf16(first):
        return {"format": "csv", "phase": "transcode"}
    return csv_header(db, job, first)


def csv_header(db, job, first):
    encoding, delimiter, header, after = tabular.header_of_csv(chunks_of(db, job)(0), first)
    reader = tabular.CsvRows(chunks_of(db, job), encoding, delimiter)
    return dict(header_changes(job, header, reader.rows(after)), format="csv", encoding=encoding,
                delimiter=delimiter, phase="count", position=after, count_position=after)


def header_changes(job, cells, data_rows):
    """The columns' fields (placed by the header, or the values of the first ``data_rows``) and the
    headers skipped; FileError when they cannot make the entity's records."""
    entity = job.get("entity", "customers")
    headers = [(tabular.clean(cell) or "")[:tabular.MAX_HEADER_CHARS] for cell in cells]
    samples = tabular.first_values(cells, data_rows)["samples"]
    columns, skipped, _ = import_mapping.columns_of(entity, headers, samples, job.get("mapping"))
    problems = import_mapping.problems(entity, columns, headers)
    if problems:
        raise tabular.FileError(problems[0])
    return {"columns": columns, "headers": headers, "skipped": skipped}


def reader_of(db, job):
    if job["format"] == "csv":
        return tabular.CsvRows(chunks_of(db, job), job["encoding"], job["delimiter"])
    if job["_id"] not in READERS:
        READERS[job["_id"]] = tabular.XlsxRows(job["_id"], chunks_of(db, job), job.get("sheet"))
    return READERS[job["_id"]]


def get_import(db, caller, import_id):
    return out(db, _visible_job(db, caller, import_id))


def import_errors(db, caller, import_id, warnings=False):
    """The rejected values (or, ``warnings``, the remarks on rows kept) as table rows (the gateway
    writes the CSV, defusing formulas); audited."""
    job = _visible_job(db, caller, import_id)
    columns = (("sheet",) if job.get("plan") else ()) + ERROR_COLUMNS
    rows = [[error.get(key) for key in columns]
            for error in store.import_errors(db, import_id, warnings=bool(warnings))]
    action = "warnings_downloaded" if warnings else "errors_downloaded"
    store.queue_events(db, events.audit("import", job["_id"], action, {"rows": {"before": None, "after": len(rows)}},
                                        job["site_id"], caller.user_id))
    name = job["filename"].rsplit(".", 1)[0] + ("-warnings.csv" if warnings else "-errors.csv")
    return {"filename": name, "columns": list(columns), "rows": rows}


def finish(db, job, lease, status, error=None, action=None):
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
    reader = READERS.pop(job["_id"], None)
    if reader is None and job.get("format") == "xlsx":
        reader = tabular.XlsxRows(job["_id"], None)  # a file left by a worker that died
    if reader is not None:
        reader.discard()
    if saved:
        store.delete_import_dry_keys(db, job["_id"])
        store.delete_import_chunks(db, job["_id"])
        if job.get("recount_after"):
            _recount(db, job)
    return dict(job, **changes) if saved else None


def _recount(db, job):
    """The list totals counted again after a job taken from a worker that stopped mid-batch
    (``store.claim_import``): the rows it stored before their counts were kept count as unchanged
    when written again, so the totals would miss them until the daily recount."""
    log.warning("import %s was taken up after its worker stopped: the list totals are counted again", job["_id"])
    store.request_run(db, "recount")
    lists.periodic_recount(db, config.get_float("CUSTOMERS_RECOUNT_INTERVAL"))
