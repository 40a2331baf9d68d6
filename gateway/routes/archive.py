"""Archive upkeep: import, export, duplicates and merges.

An upload is read from Werkzeug's spooled temporary file and handed to the customers service in
base64 chunks, so neither the gateway nor one RPC message holds the whole file. An export is
fetched page by page while it streams.
"""
import base64
import datetime
import itertools
import os
import re
from urllib.parse import quote

from flask import Response, send_file, stream_with_context
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import UnsupportedMediaType

from gateway import downloads, language
from gateway.blueprint import ApiBlueprint
from gateway.schemas import archive as s
from gateway.schemas.common import PageQuerySchema, error_responses, page_schema, split_page
from gateway.security import authenticated
from gateway.services import customers
from services.common.errors import ValidationFailed

RAW_CHUNK_BYTES = 384 * 1024  # 512 KB once base64-encoded
EXPORT_PAGE = 500
EXPORT_DESCRIPTION = "The customers as CSV (UTF-8 with a BOM) or XLSX"
XLSX_MAGIC = b"PK\x03\x04"
BINARY_MAGIC = (XLSX_MAGIC, b"\xd0\xcf\x11\xe0")
FILE_TYPES = {".csv": "csv", ".xlsx": "xlsx"}


class UploadParser(FlaskParser):
    """Reads a ``multipart/form-data`` body's form fields and files as one set of arguments."""

    __location_map__ = dict(FlaskParser.__location_map__, multipart="load_multipart")

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)


class ArchiveBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = UploadParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = dict(ApiBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                                 multipart="multipart/form-data")


blp = ArchiveBlueprint("archive", __name__, description="Import, export, duplicates and merges of customers")


def attachment(filename):
    """A Content-Disposition header for ``filename``: an ASCII name, and the UTF-8 one (RFC 6266) if different."""
    plain_name = re.sub(r'[^\x20-\x7e]|["\\]', "", filename).strip() or "download"
    value = 'attachment; filename="%s"' % plain_name
    if plain_name != filename:
        value += "; filename*=UTF-8''%s" % quote(filename, safe="")
    return {"Content-Disposition": value}


# Import

def checked_upload(upload):
    """``(filename, first chunk)`` of an acceptable CSV or XLSX upload; 415 or 422 otherwise."""
    if not isinstance(upload, FileStorage):
        raise ValidationFailed(fields={"file": ["Upload a file."]})
    filename = os.path.basename((upload.filename or "").replace("\\", "/")).strip()[:200]
    kind = FILE_TYPES.get(os.path.splitext(filename)[1].lower())
    if kind is None:
        raise UnsupportedMediaType("Upload a CSV or XLSX file (.csv, .xlsx).")
    first = upload.stream.read(RAW_CHUNK_BYTES)
    if not first:
        raise ValidationFailed(fields={"file": ["The file is empty."]})
    if kind == "xlsx" and not first.startswith(XLSX_MAGIC):
        raise ValidationFailed(fields={"file": ["This is not an XLSX workbook."]})
    if kind == "csv" and (first.startswith(BINARY_MAGIC) or b"\x00" in first):
        raise ValidationFailed(fields={"file": ["This is not a CSV text file."]})
    return filename, first


def chunks(first, stream):
    chunk = first
    while chunk:
        yield chunk
        chunk = stream.read(RAW_CHUNK_BYTES)


@blp.route("/customers/import", methods=["POST"])
@authenticated(blp)
@blp.arguments(s.ImportUploadSchema, location="multipart")
@blp.response(202, s.ImportJobSchema)
@error_responses(blp, 403, 413, 415)
def import_customers(form):
    """Import customers from CSV (UTF-8 or GBK) or XLSX as a job; follow it at ``/imports/{id}``.

    Rows are upserted by tax id, else external code; ``dry_run=true`` validates only. Bodies over
    the gateway's limit (MAX_BODY_BYTES) are 413. The site must exist and be active (422 on
    ``site_id``); a job whose site is disabled before it ran fails with the reason in ``error``.
    """
    upload = form["file"]
    filename, first = checked_upload(upload)
    site = {"site_id": form["site_id"]} if form.get("site_id") else {}
    job = customers.create_import(filename, form["dry_run"], **site)
    for seq, chunk in enumerate(chunks(first, upload.stream)):
        customers.append_import_chunk(job["id"], seq, base64.b64encode(chunk).decode("ascii"))
    return customers.start_import(job["id"])


@blp.route("/imports/<import_id>")
@blp.operation(200, s.ImportJobSchema, 403, 404)
def get_import(import_id):
    """An import's status and progress: rows done of total, created, updated, failed."""
    return customers.get_import(import_id)


@blp.route("/imports/<import_id>/errors")
@authenticated(blp)
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="One line per rejected value: row, field, message")
@error_responses(blp, 403, 404)
def import_errors(import_id):
    """The rows an import rejected, as a CSV download (UTF-8 with a BOM; text a spreadsheet would run
    as a formula starts with an apostrophe, as in the export); audited."""
    result = language.localized_column(customers.import_errors(import_id), "message")
    content = b"".join(downloads.csv_lines([result], header=language.column_headers))
    return Response(content, mimetype=downloads.CSV_TYPE, headers=attachment(result["filename"]))


# Export

def export_pages(filters):
    cursor = None
    while True:
        page = customers.export_rows(filters, cursor, limit=EXPORT_PAGE)
        yield page
        cursor = page.get("next_cursor")
        if not cursor:
            return


class Counted:
    """Pages passed through, counting their rows."""

    def __init__(self, pages):
        self.pages = pages
        self.rows = 0

    def __iter__(self):
        for page in self.pages:
            self.rows += len(page["rows"])
            yield page


def streamed_csv(pages, filters):
    counted = Counted(pages)
    try:
        yield from downloads.csv_lines(counted, header=language.column_headers)
    finally:
        customers.record_export(filters, "csv", counted.rows)


@blp.route("/customers/export")
@authenticated(blp)
@blp.arguments(s.ExportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, {"type": "string"}, content_type="text/csv", description=EXPORT_DESCRIPTION)
@blp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type=downloads.XLSX_TYPE,
                  description=EXPORT_DESCRIPTION, success=True)
@error_responses(blp, 403)
def export_customers(args):
    """Customers matching the list's filters as CSV or XLSX, only the fields you may see (audited)."""
    args = dict(args)
    file_format = args.pop("format")
    filters = split_page(args)[0]
    pages = export_pages(filters)
    first = next(pages)  # a refused export answers with its error before any download starts
    pages = itertools.chain([first], pages)
    name = "customers-%s.%s" % (datetime.date.today().strftime("%Y%m%d"), file_format)
    if file_format == "xlsx":
        count, handle = downloads.xlsx_file(pages, header=language.column_headers)
        try:
            customers.record_export(filters, "xlsx", count)
        except BaseException:
            handle.close()
            raise
        return send_file(handle, mimetype=downloads.XLSX_TYPE, as_attachment=True, download_name=name)
    return Response(stream_with_context(streamed_csv(pages, filters)), mimetype=downloads.CSV_TYPE,
                    headers=attachment(name))


# Duplicates and merges

@blp.route("/customers/duplicates")
@blp.operation(200, s.DuplicateClustersSchema, 400, 403, query=s.DuplicatesQuerySchema)
def duplicates(args):
    """Clusters of customers in your sites that look like the same company, a page at a time; 400 for
    a cursor that is not a next_cursor of this list."""
    return customers.duplicates(limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/customers/<customer_id>/merge", methods=["POST"])
@blp.operation(200, s.MergeSchema, 403, 404, 409, body=s.MergeRequestSchema)
def merge(body, customer_id):
    """Merge other customers into this one, choosing per field whose value is kept; revertible.

    The survivor's site must be active (422 on ``site_id``); merged customers may come from a
    disabled site.
    """
    return customers.merge(customer_id, body)


@blp.route("/merges")
@blp.operation(200, page_schema(s.MergeSchema), 400, 403, query=PageQuerySchema)
def list_merges(args):
    """Merges whose surviving customer is in your sites, newest first, to review or revert (customers:write)."""
    return customers.list_merges(limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/merges/<merge_id>/revert", methods=["POST"])
@blp.operation(200, s.MergeSchema, 403, 404, 409)
def revert_merge(merge_id):
    """Undo a merge: the merged customers and every moved record come back. 409 `merge_erased` once a
    customer of the merge was erased or purged (30 days after the merge), `merge_moved` once the
    survivor moved to another site."""
    return customers.revert_merge(merge_id)
