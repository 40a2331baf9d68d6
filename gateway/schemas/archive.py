"""Requests and responses of archive upkeep: import, export, duplicates and merges."""
import json

from marshmallow import ValidationError, fields, validate, validates_schema

from gateway.language import LocalizedTexts
from gateway.schemas.common import Choice, Cursor, Ident, QueryInteger, StrictSchema, Text, http_input, http_output
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


ImportFieldSchema = http_output(contract.ImportFieldSchema, labels=None, label=fields.String(metadata={
    "description": "in the caller's language"}))
ImportFieldsSchema = http_output(contract.ImportFieldsSchema)
ImportPreviewSchema = http_output(contract.ImportPreviewSchema)


class ImportTemplateQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES, load_default="customers")
    format = Choice(EXPORT_FORMATS, load_default="csv")
    language = Choice(LANGUAGES, metadata={"description": "the headers' language; default yours"})


class ImportFieldsQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES, load_default="customers")


ImportMappingCreateSchema = http_input(contract.ImportMappingSchema)


ImportMappingSchema = http_output(contract.ImportMappingOutSchema)
ImportMappingListSchema = http_output(contract.ImportMappingListSchema)


class ImportMappingQuerySchema(StrictSchema):
    entity = Choice(IMPORT_ENTITIES)
    site_id = Ident()


class ImportTexts(LocalizedTexts):
    """An import job: the texts of its rows, of the job and of a skipped sheet in the caller's language."""

    TEXT_KEYS = {"message": "messages", "error": "messages", "reason": "messages"}


ImportJobSchema = http_output(contract.ImportJobSchema, bases=(ImportTexts,))


class ExportQuerySchema(CustomerFilterSchema):
    format = Choice(EXPORT_FORMATS, load_default="csv")


class DuplicatesQuerySchema(StrictSchema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500),
                         metadata={"description": "clusters at most (1-500); a page may hold fewer, even none, "
                                                  "and still have a next_cursor"})
    cursor = Cursor()


DuplicateClustersSchema = http_output(contract.DuplicateClustersSchema)
MergeRequestSchema = http_input(contract.MergeSchema, "MergeRequestSchema", defaults=("fields",))
MergeSchema = http_output(contract.MergeOutSchema)
