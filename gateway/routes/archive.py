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
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import BaseConverter

from gateway import downloads, language
from gateway.blueprint import ApiBlueprint
from gateway.schemas import archive as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.services import customers
from services.common.errors import ValidationFailed

RAW_CHUNK_BYTES = 384 * 1024  # 512 KB once base64-encoded
EXPORT_PAGE = 500
EXPORT_DESCRIPTION = "The customers as CSV (UTF-8 with a BOM) or XLSX"
XLSX_MAGIC = b"PK\x03\x04"
BINARY_MAGIC = (XLSX_MAGIC, b"\xd0\xcf\x11\xe0")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text": NUL bytes are its text
FILE_TYPES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx"}  # .txt: Excel's "Unicode text"


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


class ImportIdConverter(BaseConverter):
    """An import's id in a path: any segment but the names of the routes beside it (``/imports/preview``
    is no import, so its Allow header names POST only)."""

    regex = r"(?!(?:preview|fields|template)(?![^/]))[^/]+"


blp.record_once(lambda state: state.app.url_map.converters.setdefault("import_id", ImportIdConverter))


def download(description, xlsx=None):
    """``operation`` arguments documenting a CSV download (and an XLSX one, ``xlsx`` its description)."""
    documented = {"content_type": "text/csv", "description": description}
    if xlsx:
        documented["answers"] = {200: {"schema": {"type": "string", "format": "binary"}, "description": xlsx,
                                       "content_type": downloads.XLSX_TYPE, "success": True}}
    return documented


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
        raise UnsupportedMediaType("Upload a CSV or XLSX file (.csv, .txt, .tsv, .xlsx).")
    first = upload.stream.read(RAW_CHUNK_BYTES)
    if not first:
        raise ValidationFailed(fields={"file": ["The file is empty."]})
    if kind == "xlsx" and not first.startswith(XLSX_MAGIC):
        raise ValidationFailed(fields={"file": ["This is not an XLSX workbook."]})
    if kind == "csv" and (first.startswith(BINARY_MAGIC) or (b"\x00" in first and not first.startswith(UTF16_BOMS))):
        raise ValidationFailed(fields={"file": ["This is not a CSV text file."]})
    return filename, first


def chunks(first, stream):
    chunk = first
    while chunk:
        yield chunk
        chunk = stream.read(RAW_CHUNK_BYTES)


def uploaded(form, dry_run=False):
    """The id of a new import job holding the form's ``file``, sent to the service in chunks."""
    upload = form["file"]
    filename, first = checked_upload(upload)
    site = {"site_id": form["site_id"]} if form.get("site_id") else {}
    job = customers.create_import(filename, dry_run, **site)
    for seq, chunk in enumerate(chunks(first, upload.stream)):
        customers.append_import_chunk(job["id"], seq, base64.b64encode(chunk).decode("ascii"))
    return job["id"]


@blp.route("/customers/import", methods=["POST"])
@blp.operation(202, s.ImportJobSchema, 403, 413, 415, body=s.ImportUploadSchema, location="multipart")
def import_customers(form):
    """Import customers from CSV or XLSX as a job with the suggested mapping; follow it at ``/imports/{id}``.

    Each column goes to the field its header names in any of the systems ``docs/import.md`` lists,
    or its values show (USCCs, e-mails, dates…); a column placed nowhere is skipped and listed in
    ``skipped_columns``. Rows are upserted by tax id, else external code, else exact name;
    ``dry_run=true`` validates only. Bodies over the gateway's limit (MAX_BODY_BYTES) are 413. The
    site must exist and be active (422 on ``site_id``); a job whose site is disabled before it ran
    fails with the reason in ``error``.
    """
    return customers.start_import(uploaded(form, form["dry_run"]), {"entity": "customers"})


@blp.route("/imports/preview", methods=["POST"])
@blp.operation(200, s.ImportPreviewSchema, 403, 413, 415, body=s.ImportPreviewUploadSchema, location="multipart")
def preview_import(form):
    """The columns of a file before importing it: each header, its first values and the field suggested
    for it (from the header, in the export labels of Zoho, Salesforce, HubSpot, Odoo, Fxiaoke,
    Kingdee/Yonyou and plain spreadsheets, or from the values), the workbook's sheets, and the fields
    the entity offers. The upload is kept an hour: run it with ``POST /imports`` and its ``upload_id``."""
    upload_id = uploaded(form)
    preview = customers.preview_import(upload_id, form["entity"], form.get("sheet"))
    return dict(preview, fields=labelled_fields(preview["fields"]))


@blp.route("/imports", methods=["POST"])
@blp.operation(202, s.ImportJobSchema, 403, 404, 409, 413, 415, body=s.ImportRunSchema, location="multipart")
def run_import(form):
    """Import a file's rows as customers or as one kind of their records (``entity``), with a mapping of
    its columns; follow the job at ``/imports/{id}``.

    Part rows (contacts, orders — one row per order line —, payments, interactions, service records,
    opportunities, follow-ups) name their customer by tax id, code or exact name; importing the same
    file again creates nothing new. A column mapped to null is skipped and listed on the job. 409
    ``import_started`` for an upload already run."""
    options = {key: form[key] for key in ("entity", "mapping", "value_map", "mapping_id", "sheet") if key in form}
    if "upload_id" in form:
        return customers.start_import(form["upload_id"], dict(options, dry_run=form["dry_run"]))
    return customers.start_import(uploaded(form, form["dry_run"]), options)


def labelled_fields(found, chosen=None):
    """Import fields with their label in ``chosen`` (default the request's language)."""
    chosen = chosen or language.request_language()
    return [dict(field, label=field["labels"].get(chosen) or field["name"]) for field in found]


@blp.route("/imports/fields")
@blp.operation(200, s.ImportFieldsSchema, 403, query=s.ImportFieldsQuerySchema)
def import_fields(args):
    """The fields a column of ``entity`` may fill, with their kinds and labels in your language."""
    found = customers.import_fields(args["entity"])
    return dict(found, fields=labelled_fields(found["fields"]))


@blp.route("/imports/template")
@blp.operation(200, {"type": "string"}, 403, query=s.ImportTemplateQuerySchema, **download(
    "An empty file with the entity's headers", xlsx="An empty workbook with the entity's headers"))
def import_template(args):
    """An empty CSV or XLSX with the headers of ``entity``'s fields in your language (or ``language``),
    required ones first; either language's headers import again."""
    found = labelled_fields(customers.import_fields(args["entity"])["fields"], args.get("language"))
    found = sorted(found, key=lambda field: not field["required"])
    page = {"columns": [field["name"] for field in found], "rows": []}
    labels = {field["name"]: field["label"] for field in found}

    def header(columns):
        return [labels[column] for column in columns]

    name = "%s-template.%s" % (args["entity"], args["format"])
    if args["format"] == "xlsx":
        _, handle = downloads.xlsx_file([page], title=args["entity"], header=header)
        return send_file(handle, mimetype=downloads.XLSX_TYPE, as_attachment=True, download_name=name)
    return Response(b"".join(downloads.csv_lines([page], header=header)), mimetype=downloads.CSV_TYPE,
                    headers=attachment(name))


@blp.route("/import-mappings")
@blp.operation(200, s.ImportMappingListSchema, 403, 404, query=s.ImportMappingQuerySchema)
def list_import_mappings(args):
    """Column mappings saved for your sites, by name (of ``entity``, of ``site_id`` when given)."""
    return customers.list_import_mappings(args.get("entity"), args.get("site_id"))


@blp.route("/import-mappings", methods=["POST"])
@blp.operation(201, s.ImportMappingSchema, 403, body=s.ImportMappingCreateSchema)
def save_import_mapping(body):
    """Save a column mapping by name for a site; a name saved again (same site and entity) replaces it."""
    return customers.save_import_mapping(body)


@blp.route("/import-mappings/<mapping_id>", methods=["DELETE"])
@blp.operation(204, None, 403, 404)
def delete_import_mapping(mapping_id):
    """Delete a saved mapping."""
    customers.delete_import_mapping(mapping_id)


@blp.route("/imports/<import_id:import_id>")
@blp.operation(200, s.ImportJobSchema, 403, 404)
def get_import(import_id):
    """An import's status and progress: rows done of total, created, updated, failed."""
    return customers.get_import(import_id)


@blp.route("/imports/<import_id:import_id>/errors")
@blp.operation(200, {"type": "string"}, 403, 404, **download("One line per rejected value: row, field, message"))
def import_errors(import_id):
    """The rows an import rejected, as a CSV download (UTF-8 with a BOM; text a spreadsheet would run
    as a formula starts with an apostrophe, as in the export); audited."""
    return rows_download(customers.import_errors(import_id))


@blp.route("/imports/<import_id:import_id>/warnings")
@blp.operation(200, {"type": "string"}, 403, 404, **download(
    "One line per value left out of a row that was kept: row, field, message"))
def import_warnings(import_id):
    """The remarks on rows an import kept (an owner no user of the site has, a rating or choice this
    archive lacks, an address placed in no region), as a CSV download like the error file; audited."""
    return rows_download(customers.import_errors(import_id, warnings=True))


def rows_download(result):
    result = language.localized_column(result, "message")
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
@blp.operation(200, {"type": "string"}, 403, query=s.ExportQuerySchema,
               **download(EXPORT_DESCRIPTION, xlsx=EXPORT_DESCRIPTION))
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
        count, handle = downloads.xlsx_file(pages, header=language.column_headers,
                                            language=language.request_language())
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
