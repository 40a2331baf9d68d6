"""Requests and responses of archive upkeep: import, export, duplicates and merges."""
from marshmallow import Schema, fields, validate

from gateway.language import LocalizedTexts
from gateway.schemas.common import Choice, Cursor, Ident, QueryInteger, StrictSchema, Timestamp, http_input
from gateway.schemas.customers import CustomerFilterSchema
from services.customers import contract
from services.customers.contract import EXPORT_FORMATS


class ImportUploadSchema(StrictSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "CSV (UTF-8 or GBK) or XLSX"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate only, change nothing"})
    site_id = Ident(metadata={"description": "the site the customers belong to; default your first"})


class ImportErrorSchema(Schema):
    row = fields.Integer()
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportJobSchema(LocalizedTexts):
    TEXT_KEYS = {"message": "messages", "error": "messages"}  # the rows' and the job's, in the caller's language

    id = fields.String()
    status = fields.String(metadata={"description": "uploading, running, completed or failed"})
    dry_run = fields.Boolean()
    filename = fields.String()
    site_id = fields.String()
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
