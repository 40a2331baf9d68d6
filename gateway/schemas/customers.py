"""Requests and responses of the customer archive: customers, their parts, upkeep, views and reports.

Input schemas check shape and bounds and turn away unknown fields; the domain rules (USCC check
digit, region-aware phone numbers, site scope, duplicates) are the customers service's, which
answers with errors naming the field. Output schemas list every field the service returns.
"""
import copy
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from gateway.schemas.common import (
    VERSION_RANGE, Cursor, Email, JsonBoolean, QueryInteger, StrictSchema, String, Text, Timestamp, Url,
)

TIERS = ("vip", "key", "general")
STATUSES = ("active", "inactive")
LIFECYCLE = ("prospect", "first_purchase", "repeat", "loyal", "dormant")
CHURN_LEVELS = ("none", "low", "high")
ACCOUNT_TYPES = ("group", "legal_entity", "plant", "ship_to", "bill_to")
ADDRESS_TYPES = ("billing", "shipping", "office")
INTERACTION_KINDS = ("call", "meeting", "email", "visit")
STAGES = ("identified", "contacted", "needs_analysis", "proposal", "negotiation", "won", "lost")
ORDER_STATUSES = ("draft", "confirmed", "shipped", "completed", "cancelled")
PAYMENT_METHODS = ("bank_transfer", "acceptance_bill", "cash", "card", "other")
SERVICE_STATUSES = ("open", "in_progress", "closed")
FOLLOWUP_STATUSES = ("open", "done", "cancelled")
SORT_FIELDS = ("legal_name", "created_at", "updated_at", "tier_rank", "annual_revenue", "completeness",
               "next_followup_date", "last_order_date")
VIEW_COLUMNS = ("legal_name", "short_name", "tax_id", "industry", "tier", "tags", "owner_id", "lifecycle_stage",
                "churn_risk", "site_id", "completeness", "next_followup_date", "last_order_date", "updated_at")
EXPORT_FORMATS = ("csv", "xlsx")
ID_MAX = 64


def Id(**kwargs):
    return Text(ID_MAX, min_length=1, **kwargs)


def Opt(max_length, **kwargs):
    """An optional, nullable text field."""
    return Text(max_length, allow_none=True, **kwargs)


def Money(**kwargs):
    return fields.Float(allow_nan=False, validate=validate.Range(min=0, max=10 ** 13), **kwargs)


def Choice(values, **kwargs):
    return fields.String(validate=validate.OneOf(values), **kwargs)


def Version():
    return fields.Integer(strict=True, required=True, validate=VERSION_RANGE,
                          metadata={"description": "the version you read; stale is 409"})


class Day(fields.Date):
    """A calendar date (ISO text); text the service already formatted passes through."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class ItemsSchema(Schema):
    """An answer with a list under ``items``."""

    @pre_dump
    def with_items(self, answer, **kwargs):
        # A dict without "items" would otherwise serialise its own ``items`` method.
        return {"items": [], **answer}


def update_schema(create_schema):
    """The PATCH form of ``create_schema``: every field optional, ``version`` required.

    Create schemas set no load defaults, so a PATCH carries only what the caller sent.
    """
    declared = {}
    for name, field in create_schema._declared_fields.items():
        declared[name] = copy.copy(field)
        declared[name].required = False
    declared["version"] = Version()
    return type(create_schema.__name__.replace("Create", "Update"), (StrictSchema,), declared)


# Customers

class AddressCreateSchema(StrictSchema):
    type = Choice(ADDRESS_TYPES, required=True)
    street = Opt(300)
    city = Opt(100)
    province = Opt(100, metadata={"description": "province or state"})
    postal_code = Opt(20)
    country = Opt(100, metadata={"description": "default CN"})


class AddressSchema(Schema):
    id = fields.String()
    type = fields.String()
    street = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)


class CustomerCreateSchema(StrictSchema):
    legal_name = Text(200, min_length=1, required=True)
    short_name = Opt(100)
    tax_id = Opt(40, metadata={"description": "USCC (18 characters, check digit verified) for CN, else free text"})
    external_code = Opt(64)
    country = Text(2, min_length=2, metadata={"description": "ISO 3166 alpha-2, default CN"})
    industry = Opt(100)
    company_size = Opt(40)
    annual_revenue = Money(allow_none=True)
    main_products = fields.List(Text(100), validate=validate.Length(max=50))
    website = Url(allow_none=True, validate=validate.Length(max=300))
    phone = Opt(40, metadata={"description": "validated for the customer's country"})
    email = Email(allow_none=True, validate=validate.Length(max=254))
    source_channel = Opt(60)
    owner_id = Opt(ID_MAX, metadata={"description": "the user owning the account, default the caller: an active user "
                                                    "of the customer's site with customers:read, else 422"})
    tags = fields.List(Text(40, min_length=1), validate=validate.Length(max=50))
    status = Choice(STATUSES)
    account_type = Choice(ACCOUNT_TYPES, metadata={"description": "default legal_entity"})
    parent_id = Opt(ID_MAX, metadata={"description": "the account above this one; a cycle is 409"})
    addresses = fields.List(fields.Nested(AddressCreateSchema), validate=validate.Length(max=20))
    site_id = Id(metadata={"description": "one of your sites; default your first. Changing it moves the customer "
                                         "with all its records (both sites must be yours)"})
    notes = Opt(2000, multiline=True)


CustomerUpdateSchema = update_schema(CustomerCreateSchema)


class OwnerLeftSchema(Schema):
    user_id = fields.String(metadata={"description": "the user who owned (or was assigned) the record"})
    at = Timestamp(metadata={"description": "when the record was let go"})


class CustomerSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    legal_name = fields.String()
    short_name = fields.String(allow_none=True)
    tax_id = fields.String(allow_none=True)
    external_code = fields.String(allow_none=True)
    country = fields.String()
    industry = fields.String(allow_none=True)
    company_size = fields.String(allow_none=True)
    annual_revenue = fields.Float(allow_none=True)
    main_products = fields.List(fields.String())
    website = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    source_channel = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_left = fields.Nested(OwnerLeftSchema, allow_none=True, metadata={
        "description": "set when the owner was cleared because they left (disabled, deleted, moved to another site "
                       "or without customers:read); null otherwise"})
    tags = fields.List(fields.String())
    status = fields.String()
    account_type = fields.String()
    parent_id = fields.String(allow_none=True)
    addresses = fields.List(fields.Nested(AddressSchema))
    notes = fields.String(allow_none=True)
    lifecycle_stage = fields.String()
    tier = fields.Dict(metadata={"description": "level, reasons, overridden (and the override's reason and expiry)"})
    churn_risk = fields.Dict(metadata={"description": "level (none, low, high) and reasons"})
    completeness = fields.Integer(metadata={"description": "percent of the key fields filled"})
    last_verified_at = Timestamp(allow_none=True)
    next_followup_date = Day(allow_none=True)
    last_order_date = Day(allow_none=True)
    deleted_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class CandidateSchema(Schema):
    id = fields.String()
    legal_name = fields.String()


class DuplicateErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "duplicate_tax_id or possible_duplicate"})
    message = fields.String(required=True)
    existing_id = fields.String(metadata={"description": "duplicate_tax_id: the customer with this tax id"})
    candidates = fields.List(fields.Nested(CandidateSchema), metadata={"description": "the similar customers"})
    fields = fields.Dict(keys=fields.String(), values=fields.Raw())  # last: the name shadows the module


class DuplicateErrorSchema(Schema):
    error = fields.Nested(DuplicateErrorDetailSchema, required=True)


class CustomerFilterSchema(StrictSchema):
    q = Text(100, min_length=1, metadata={
        "description": "prefix of a name, short name, tax id, code, contact name, phone or e-mail"})
    tier = Choice(TIERS)
    tag = Text(40)
    industry = Text(100)
    region = Text(100, metadata={"description": "province or city of an address"})
    owner_id = Id(metadata={"description": "a user id, or the literal `none`: customers without an owner (never "
                                           "given one, or whose owner left: see `owner_left`)"})
    lifecycle = Choice(LIFECYCLE)
    churn_risk = Choice(CHURN_LEVELS)
    site_id = Id()
    status = Choice(STATUSES)
    parent_id = Id()
    deleted = fields.Boolean(metadata={"description": "true: the soft-deleted ones instead"})
    sort = Choice([prefix + name for name in SORT_FIELDS for prefix in ("", "-")],
                  metadata={"description": "field, or -field for descending; default -updated_at"})


class CustomerListQuerySchema(CustomerFilterSchema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500),
                         metadata={"description": "Items per page (1-500)"})
    cursor = Cursor()


class CreateCustomerQuerySchema(StrictSchema):
    force = fields.Boolean(load_default=False, metadata={"description": "create despite similar customers"})


class DeleteCustomerQuerySchema(StrictSchema):
    erase = fields.Boolean(load_default=False, metadata={
        "description": "erase the personal data of the customer and its parts now, instead of a soft delete "
                       "(restorable for 30 days, then erased the same way); a soft-deleted customer may be erased"})


class TierOverrideSchema(StrictSchema):
    tier = Choice(TIERS, required=True)
    reason = Text(500, min_length=1, required=True, multiline=True)
    expires_at = fields.AwareDateTime(allow_none=True, metadata={"description": "none: until cleared"})


class TierChangeSchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    site_id = fields.String()
    at = Timestamp()
    old_tier = fields.String(allow_none=True)
    new_tier = fields.String()
    reasons = fields.List(fields.String())
    overridden = fields.Boolean()
    by = fields.String(allow_none=True, metadata={"description": "the user, or the service for computed changes"})


class TierHistorySchema(ItemsSchema):
    items = fields.List(fields.Nested(TierChangeSchema), metadata={"description": "newest first"})


# Parts of a customer

class PartSchema(Schema):
    """What every part of a customer carries."""

    id = fields.String()
    customer_id = fields.String()
    site_id = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    deleted_at = Timestamp(allow_none=True)
    version = fields.Integer()


class ContactCreateSchema(StrictSchema):
    name = Text(100, min_length=1, required=True)
    position = Opt(100)
    phone = Opt(40, metadata={"description": "validated for phone_region"})
    phone_region = Text(2, min_length=2, metadata={"description": "ISO 3166 alpha-2, default CN"})
    email = Email(allow_none=True, validate=validate.Length(max=254))
    primary = JsonBoolean()
    birthday = fields.Date(allow_none=True)
    notes = Opt(2000, multiline=True)


class ContactSchema(PartSchema):
    name = fields.String()
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    phone_region = fields.String()
    email = fields.String(allow_none=True)
    primary = fields.Boolean()
    birthday = Day(allow_none=True)
    notes = fields.String(allow_none=True)


class OrderLineCreateSchema(StrictSchema):
    product = Text(200, min_length=1, required=True)
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=10 ** 9))
    amount = Money(required=True)


class OrderLineSchema(Schema):
    product = fields.String()
    quantity = fields.Float()
    amount = fields.Float()


class OrderCreateSchema(StrictSchema):
    number = Text(64, min_length=1, required=True)
    order_date = fields.Date(required=True)
    lines = fields.List(fields.Nested(OrderLineCreateSchema), required=True, validate=validate.Length(min=1, max=500))
    currency = String(validate=validate.Regexp(r"^[A-Z]{3}$"), metadata={"description": "default CNY"})
    status = Choice(ORDER_STATUSES, metadata={"description": "default confirmed"})
    contract_end_date = fields.Date(allow_none=True)


class OrderSchema(PartSchema):
    number = fields.String()
    order_date = Day()
    lines = fields.List(fields.Nested(OrderLineSchema))
    currency = fields.String()
    status = fields.String()
    contract_end_date = Day(allow_none=True)
    total_amount = fields.Float(metadata={"description": "sum of the lines"})


class PaymentCreateSchema(StrictSchema):
    payment_date = fields.Date(required=True)
    amount = Money(required=True)
    method = Choice(PAYMENT_METHODS, metadata={"description": "default bank_transfer"})
    order_number = Opt(64)


class PaymentSchema(PartSchema):
    payment_date = Day()
    amount = fields.Float()
    method = fields.String()
    order_number = fields.String(allow_none=True)


class ServiceRecordCreateSchema(StrictSchema):
    service_date = fields.Date(required=True)
    product = Opt(200)
    issue = Text(2000, min_length=1, required=True, multiline=True)
    action = Opt(2000, multiline=True)
    engineer = Opt(100)
    status = Choice(SERVICE_STATUSES, metadata={"description": "default open"})


class ServiceRecordSchema(PartSchema):
    service_date = Day()
    product = fields.String(allow_none=True)
    issue = fields.String()
    action = fields.String(allow_none=True)
    engineer = fields.String(allow_none=True)
    status = fields.String()


class InteractionCreateSchema(StrictSchema):
    kind = Choice(INTERACTION_KINDS, required=True)
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": "with its UTC offset"})
    participants = fields.List(Text(100), validate=validate.Length(max=50))
    summary = Text(2000, min_length=1, required=True, multiline=True)
    key_points = Opt(4000, multiline=True)
    decisions = Opt(4000, multiline=True)
    next_step = Opt(1000, multiline=True)
    next_step_date = fields.Date(allow_none=True)


class InteractionSchema(PartSchema):
    kind = fields.String()
    occurred_at = Timestamp()
    participants = fields.List(fields.String())
    summary = fields.String()
    key_points = fields.String(allow_none=True)
    decisions = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)
    next_step_date = Day(allow_none=True)


class OpportunityCreateSchema(StrictSchema):
    title = Text(200, min_length=1, required=True)
    stage = Choice(STAGES, metadata={"description": "default identified"})
    expected_amount = Money(allow_none=True)
    expected_close_date = fields.Date(allow_none=True)
    probability = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    product = Opt(200)


class StageChangeSchema(Schema):
    stage = fields.String()
    at = Timestamp()
    by = fields.String(allow_none=True)


class OpportunitySchema(PartSchema):
    title = fields.String()
    stage = fields.String()
    expected_amount = fields.Float(allow_none=True)
    expected_close_date = Day(allow_none=True)
    probability = fields.Integer(allow_none=True)
    product = fields.String(allow_none=True)
    stage_history = fields.List(fields.Nested(StageChangeSchema))


class FollowupCreateSchema(StrictSchema):
    title = Text(200, min_length=1, required=True)
    due_date = fields.Date(required=True)
    assignee_id = Opt(ID_MAX, metadata={
        "description": "an active user of the customer's site with interactions:write, else 422"})
    status = Choice(FOLLOWUP_STATUSES, metadata={"description": "default open"})
    notes = Opt(2000, multiline=True)


class FollowupSchema(PartSchema):
    title = fields.String()
    due_date = Day()
    assignee_id = fields.String(allow_none=True)
    assignee_left = fields.Nested(OwnerLeftSchema, allow_none=True, metadata={
        "description": "set when the assignee was cleared because they left; the due reminder then goes to the "
                       "customer's owner, or to the site's managers"})
    status = fields.String()
    notes = fields.String(allow_none=True)


ContactUpdateSchema = update_schema(ContactCreateSchema)
OrderUpdateSchema = update_schema(OrderCreateSchema)
PaymentUpdateSchema = update_schema(PaymentCreateSchema)
ServiceRecordUpdateSchema = update_schema(ServiceRecordCreateSchema)
InteractionUpdateSchema = update_schema(InteractionCreateSchema)
OpportunityUpdateSchema = update_schema(OpportunityCreateSchema)
FollowupUpdateSchema = update_schema(FollowupCreateSchema)


class AmountSchema(Schema):
    amount = fields.Float()
    orders = fields.Integer()


class OrderTotalsSchema(AmountSchema):
    since = Day()
    until = Day()
    accounts = fields.Integer(metadata={"description": "this account and those below it in your sites"})
    own = fields.Nested(AmountSchema, metadata={"description": "this account's own orders"})


class NextFollowupSchema(Schema):
    date = Day(allow_none=True)
    reason = fields.String(allow_none=True)
    followup = fields.Nested(FollowupSchema, allow_none=True)


class ChildAccountSchema(Schema):
    id = fields.String()
    legal_name = fields.String()
    account_type = fields.String(allow_none=True)
    site_id = fields.String()
    tier = fields.String(allow_none=True)


class OverviewSchema(Schema):
    """The 360 view; what the caller may not see is absent."""

    customer = fields.Nested(CustomerSchema)
    tier = fields.Dict(metadata={"description": "level, reasons, overridden and the explanation"})
    contacts = fields.List(fields.Nested(ContactSchema), metadata={"description": "contacts:read"})
    interactions = fields.List(fields.Nested(InteractionSchema), metadata={
        "description": "the last 10 (interactions:read)"})
    opportunities = fields.List(fields.Nested(OpportunitySchema), metadata={
        "description": "the open ones (interactions:read)"})
    next_followup = fields.Nested(NextFollowupSchema, metadata={"description": "interactions:read"})
    orders_12m = fields.Nested(OrderTotalsSchema, metadata={
        "description": "12-month order totals rolled up the hierarchy (orders:read)"})
    open_feedback = fields.Raw(metadata={
        "description": 'open feedback count, or "unknown" when feedback does not answer (feedback:read)'})
    children = fields.List(fields.Nested(ChildAccountSchema), metadata={"description": "accounts directly below"})


# Import, export, duplicates and merges

class ImportUploadSchema(StrictSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "CSV (UTF-8 or GBK) or XLSX"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate only, change nothing"})
    site_id = Id(metadata={"description": "the site the customers belong to; default your first"})


class ImportErrorSchema(Schema):
    row = fields.Integer()
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportJobSchema(Schema):
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


class MergeRequestSchema(StrictSchema):
    merged_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500),
                             metadata={"description": "customers merged into this one"})
    fields = fields.Dict(keys=Text(64, min_length=1), values=Id(), load_default=dict,  # last: shadows the module
                         metadata={"description": "field name -> id of the customer whose value is kept"})


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


# Saved views

class ViewFilterSchema(CustomerFilterSchema):
    """The filters of a saved view: JSON, so a boolean is ``true`` or ``false`` only."""

    deleted = JsonBoolean(metadata={"description": "true: the soft-deleted ones instead"})


class ViewCreateSchema(StrictSchema):
    name = Text(100, min_length=1, required=True)
    filters = fields.Nested(ViewFilterSchema)
    columns = fields.List(Choice(VIEW_COLUMNS), validate=validate.Length(min=1, max=len(VIEW_COLUMNS)))
    shared = JsonBoolean(metadata={"description": "shared with the site, or private (default)"})
    site_id = Id()


class ViewSchema(Schema):
    id = fields.String()
    name = fields.String()
    filters = fields.Dict()
    columns = fields.List(fields.String())
    shared = fields.Boolean()
    site_id = fields.String()
    owner_id = fields.String()
    created_at = Timestamp()


class ViewListSchema(ItemsSchema):
    items = fields.List(fields.Nested(ViewSchema))


# Reports

class ReportQuerySchema(StrictSchema):
    site_id = Id(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default a year before until"})
    until = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default today"})

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before since.", "until")



class ReportSchema(Schema):
    since = Day()
    until = Day()
    site_id = fields.String(allow_none=True, metadata={"description": "null: all your sites"})


class TierMoveSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    count = fields.Integer()


class TierReportSchema(ReportSchema):
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "customers per tier"})
    moves = fields.List(fields.Nested(TierMoveSchema), metadata={"description": "tier changes in the period"})


class MonthSalesSchema(AmountSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})


class ProductSalesSchema(AmountSchema):
    product = fields.String()
    quantity = fields.Float()


class CustomerSalesSchema(AmountSchema):
    customer_id = fields.String()
    legal_name = fields.String(allow_none=True)
    site_id = fields.String()


class GroupSalesSchema(AmountSchema):
    customer_id = fields.String(metadata={"description": "the top account of the hierarchy"})
    legal_name = fields.String(allow_none=True)
    accounts = fields.Integer()


class SiteSalesSchema(AmountSchema):
    site_id = fields.String()


class SalesReportSchema(ReportSchema):
    total = fields.Float()
    orders = fields.Integer()
    by_month = fields.List(fields.Nested(MonthSalesSchema))
    by_product = fields.List(fields.Nested(ProductSalesSchema))
    by_customer = fields.List(fields.Nested(CustomerSalesSchema))
    by_group = fields.List(fields.Nested(GroupSalesSchema), metadata={"description": "rolled up the hierarchy"})
    by_site = fields.List(fields.Nested(SiteSalesSchema))


class StageSchema(Schema):
    stage = fields.String()
    count = fields.Integer()
    amount = fields.Float()


class ConversionSchema(Schema):
    won = fields.Integer()
    lost = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "won of decided; null when none decided"})


class FunnelReportSchema(ReportSchema):
    stages = fields.List(fields.Nested(StageSchema), metadata={"description": "count and amount per stage"})
    conversion = fields.Nested(ConversionSchema)


class AtRiskSchema(Schema):
    customer_id = fields.String()
    legal_name = fields.String()
    site_id = fields.String()
    owner_id = fields.String(allow_none=True)
    level = fields.String(metadata={"description": "low or high"})
    reasons = fields.List(fields.String())
    tier = fields.String(allow_none=True)
    lifecycle_stage = fields.String(allow_none=True)
    last_order_date = Day(allow_none=True)


class ChurnReportSchema(ItemsSchema):
    site_id = fields.String(allow_none=True, metadata={"description": "null: all your sites"})
    items = fields.List(fields.Nested(AtRiskSchema))
    total = fields.Integer()
