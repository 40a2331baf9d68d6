"""Requests and responses of archive upkeep: import, export, duplicates and merges."""
import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.language import LocalizedTexts
from gateway.schemas.common import Choice, Cursor, Ident, QueryInteger, StrictSchema, Text, Timestamp, http_input
from gateway.schemas.customers import CustomerFilterSchema
from services.customers import contract
from services.common.schemas import LANGUAGES
from services.customers.contract import EXPORT_FORMATS, IMPORT_ENTITIES, IMPORT_KINDS

FILE = {"type": "string", "format": "binary",
        "description": "CSV (UTF-8 with or without BOM, GBK/GB18030 or UTF-16 as Excel saves \"Unicode text\"; comma, "
                       "semicolon or tab separated) or XLSX"}


class JsonText(fields.Field):
    """A form field holding a JSON object (a multipart form has text fields only)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return value
        try:
            loaded = json.loads(value) if isinstance(value, str) and len(value) <= 256 * 1024 else None
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            raise ValidationError("Must be a JSON object.")
        return loaded


class ImportUploadSchema(StrictSchema):
    file = fields.Raw(required=True, metadata=FILE)
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate only, change nothing"})
    site_id = Ident(metadata={"description": "the site the customers belong to; default your first"})


class ImportPreviewUploadSchema(StrictSchema):
    file = fields.Raw(required=True, metadata=FILE)
    entity = Choice(IMPORT_ENTITIES, load_default="customers", metadata={"description": "what the rows are"})
    sheet = Text(100, min_length=1, metadata={"description": "the XLSX sheet to read; default the first"})
    site_id = Ident(metadata={"description": "the site the records will belong to; default your first"})


class ImportRunSchema(StrictSchema):
    file = fields.Raw(metadata=FILE)
    upload_id = Ident(metadata={"description": "a previewed upload (``POST /imports/preview``), instead of ``file``"})
    entity = Choice(IMPORT_KINDS, load_default="customers", metadata={
        "description": "what the rows are; each part's rows name their customer by tax id, code or exact name. "
                       "workbook: an XLSX whose sheets are named for record types (客户, 联系人, 订单…), imported "
                       "one after the other, customers first, each with its suggested mapping"})
    mapping = JsonText(metadata={"type": "string", "description": "JSON {header: field or null}: null skips the "
                                 "column; a header not named takes its suggested field"})
    value_map = JsonText(metadata={"type": "string", "description": "JSON {field: {text in the file: value}}, "
                                   "e.g. {\"level\": {\"重要客户\": \"key\"}}"})
    mapping_id = Ident(metadata={"description": "a saved mapping (``/import-mappings``) instead of ``mapping``"})
    sheet = Text(100, min_length=1, metadata={"description": "the XLSX sheet to read; default the first"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate only, change nothing"})
    site_id = Ident(metadata={"description": "the site the records belong to; default your first (with "
                                            "``upload_id``: the upload's)"})

    @validates_schema
    def one_file(self, data, **kwargs):
        if ("file" in data) == ("upload_id" in data):
            raise ValidationError("Send a file, or the upload_id of a preview.", "file")


class ImportColumnSchema(Schema):
    index = fields.Integer()
    header = fields.String()
    samples = fields.List(fields.String(), metadata={"description": "the first values of the column"})
    field = fields.String(allow_none=True, metadata={"description": "the suggested field; null: skipped"})
    suggested_by = fields.String(allow_none=True, metadata={"description": "header, values or null"})


class ImportFieldSchema(Schema):
    name = fields.String()
    kind = fields.String(metadata={"description": "text, int, number, amount, date, datetime, list, enum, bool, "
                                                 "user, customer or level"})
    required = fields.Boolean()
    label = fields.String(metadata={"description": "in the caller's language"})


class ImportFieldsSchema(Schema):
    entity = fields.String()
    fields = fields.List(fields.Nested(ImportFieldSchema))


class ImportPreviewSchema(Schema):
    upload_id = fields.String(metadata={"description": "give it to POST /imports within an hour"})
    entity = fields.String()
    format = fields.String(metadata={"description": "csv or xlsx"})
    encoding = fields.String(allow_none=True, metadata={"description": "utf-8, gb18030 or utf-16 (csv)"})
    delimiter = fields.String(allow_none=True)
    sheets = fields.List(fields.String(), metadata={"description": "the workbook's sheets (xlsx)"})
    sheet = fields.String(allow_none=True, metadata={"description": "the sheet read"})
    rows_read = fields.Integer()
    columns = fields.List(fields.Nested(ImportColumnSchema))
    fields = fields.List(fields.Nested(ImportFieldSchema))


class ImportTemplateQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES, load_default="customers")
    format = Choice(EXPORT_FORMATS, load_default="csv")
    language = Choice(LANGUAGES, metadata={"description": "the headers' language; default yours"})


class ImportFieldsQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES, load_default="customers")


ImportMappingCreateSchema = http_input(contract.ImportMappingSchema)


class ImportMappingSchema(Schema):
    id = fields.String()
    name = fields.String()
    entity = fields.String()
    site_id = fields.String()
    mapping = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    value_map = fields.Dict()
    created_by = fields.String()
    updated_at = Timestamp()


class ImportMappingListSchema(Schema):
    items = fields.List(fields.Nested(ImportMappingSchema))


class ImportMappingQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES)
    site_id = Ident()


class ImportErrorSchema(Schema):
    sheet = fields.String(metadata={"description": "the sheet of a workbook's row"})
    row = fields.Integer()
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportSheetSchema(Schema):
    sheet = fields.String()
    entity = fields.String()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    warnings = fields.Integer()
    skipped_columns = fields.List(fields.String())


class SkippedSheetSchema(Schema):
    sheet = fields.String()
    reason = fields.String()


class ImportJobSchema(LocalizedTexts):
    # the rows', the job's and a skipped sheet's, in the caller's language
    TEXT_KEYS = {"message": "messages", "error": "messages", "reason": "messages"}

    id = fields.String()
    status = fields.String(metadata={"description": "uploading, running, completed or failed"})
    dry_run = fields.Boolean()
    filename = fields.String()
    site_id = fields.String()
    entity = fields.String(metadata={"description": "what the rows are"})
    sheet = fields.String(allow_none=True, metadata={"description": "the XLSX sheet read"})
    mapping = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), allow_none=True,
                          metadata={"description": "the mapping given (null: the suggested one)"})
    skipped_columns = fields.List(fields.String(), metadata={
        "description": "headers of the columns not imported: mapped to null, or placed nowhere"})
    linked_by = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "a part's rows by how they named their customer: tax_id, code, name"})
    sheets = fields.List(fields.Nested(ImportSheetSchema), metadata={
        "description": "a workbook's sheets imported so far, each with its own counts"})
    skipped_sheets = fields.List(fields.Nested(SkippedSheetSchema), metadata={
        "description": "a workbook's sheets not imported, and why"})
    format = fields.String(allow_none=True, metadata={"description": "csv or xlsx"})
    total = fields.Integer(allow_none=True, metadata={"description": "rows in the file, once counted"})
    done = fields.Integer(metadata={"description": "rows processed so far"})
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    errors_sample = fields.List(fields.Nested(ImportErrorSchema), metadata={"description": "the first errors"})
    warnings = fields.Integer(metadata={"description": "rows imported with a remark: an address kept as written "
                                                       "that names no region for certain"})
    warnings_sample = fields.List(fields.Nested(ImportErrorSchema), metadata={"description": "the first warnings"})
    error = fields.String(allow_none=True, metadata={"description": "why the whole job failed"})
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)


class ExportQuerySchema(CustomerFilterSchema):
    format = Choice(EXPORT_FORMATS, load_default="csv")


class DuplicatesQuerySchema(StrictSchema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500),
                         metadata={"description": "clusters at most (1-500); a page may hold fewer, even none, "
                                                  "and still have a next_cursor"})
    cursor = Cursor()


class ClusterMemberSchema(Schema):
    id = fields.String()
    legal_name = fields.String(allow_none=True)
    site_id = fields.String()
    tax_id = fields.String(allow_none=True)


class ClusterSchema(Schema):
    key = fields.String(metadata={"description": "the normalised value they share"})
    reason = fields.String(metadata={"description": "same_tax_id, similar_name, same_phone or same_email"})
    customers = fields.List(fields.Nested(ClusterMemberSchema))


class DuplicateClustersSchema(Schema):
    clusters = fields.List(fields.Nested(ClusterSchema), metadata={"description": (
        "strongest reason first (same_tax_id, similar_name, same_phone, same_email), then by key; at most 50 "
        "customers each; a cluster whose customers are exactly a stronger one's is left out")})
    next_cursor = fields.String(allow_none=True, metadata={"description": (
        "pass it as cursor for the next page; null when no more clusters follow. A page reads a bounded part of "
        "the archive, so it may hold fewer than limit clusters while more follow")})


MergeRequestSchema = http_input(contract.MergeSchema, "MergeRequestSchema", defaults=("fields",))


class MergeSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "pending, done, abandoned, reverting or reverted"})
    survivor_id = fields.String()
    merged_ids = fields.List(fields.String())
    moved = fields.Dict(metadata={"description": "records moved to the survivor, per kind"})
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    done_at = Timestamp(allow_none=True)
    reverted_at = Timestamp(allow_none=True)
    reverted_by = fields.String(allow_none=True)
    names = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                        metadata={"description": "legal name of each customer in the merge, as it was"})
    fields = fields.Dict(metadata={"description": "the field choices applied"})  # last: shadows the module
