"""The customers service's public face: its enumerations, the shapes of its RPC inputs and outputs,
and its event catalogue. The gateway and the other services import the customers service only
through this module."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common import regions
from services.common.envelope import AUDIT_ENTRIES, AUDIT_FIELDS, Catalogue
from services.common.schemas import (
    ID_MAX, VERSION_RANGE, Choice, Day, Email, Id, Ident, JsonBoolean, Money, Opt, OrderedPeriod, String, Text,
    Timestamp, Url,
)
from services.customers import company_sizes, identifiers, industries

TIERS = ("vip", "key", "general")
ACCOUNT_TYPES = ("group", "legal_entity", "plant", "ship_to", "bill_to")
STATUSES = ("active", "inactive")
LIFECYCLE = ("prospect", "first_purchase", "repeat", "loyal", "dormant")
CHURN_LEVELS = ("none", "low", "high")
ADDRESS_TYPES = ("billing", "shipping", "office")
INTERACTION_KINDS = ("call", "meeting", "email", "visit")
STAGES = ("identified", "contacted", "needs_analysis", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = STAGES[:5]
ORDER_STATUSES = ("draft", "confirmed", "shipped", "completed", "cancelled")
PAYMENT_METHODS = ("bank_transfer", "acceptance_bill", "cash", "card", "other")
SERVICE_STATUSES = ("open", "in_progress", "closed")
FOLLOWUP_STATUSES = ("open", "done", "cancelled")
# Which contacts of each customer a campaign writes to (``audience.py``).
AUDIENCE_SELECTIONS = ("primary", "all", "position")
# Why a product is recommended to a customer (``recommendations.py``).
RECOMMENDATION_KINDS = ("similar_customers", "bought_together")
# The dates an automation rule can be triggered by (``dates.py``): each day, the records whose date it is.
DATE_KINDS = ("contact_birthday", "customer_anniversary", "days_after_last_order", "days_after_last_interaction",
              "days_before_contract_end", "expected_order_overdue")
COMPANY_SIZES = company_sizes.SIZES
# Where customers come from: what the form offers; ``source_channel`` stays free text.
SOURCE_CHANNELS = ("exhibition", "referral", "website", "online_platform", "social_media", "cold_call", "tender",
                   "existing_customer", "advertising", "other")
# GB/T 4754-2017: (code, Chinese name, English name, parent code) of each section and division.
INDUSTRIES = industries.ENTRIES
SORT_FIELDS = ("legal_name", "created_at", "updated_at", "tier_rank", "annual_revenue", "completeness",
               "next_followup_date", "last_order_date")
SORTS = tuple(prefix + name for name in SORT_FIELDS for prefix in ("", "-"))
VIEW_COLUMNS = ("legal_name", "short_name", "tax_id", "industry", "tier", "tags", "owner_id", "lifecycle_stage",
                "churn_risk", "site_id", "completeness", "next_followup_date", "last_order_date", "forecast",
                "updated_at")
EXPORT_FORMATS = ("csv", "xlsx")
# What an import file's rows may be, in the order a workbook's sheets are imported (a part needs its customer).
IMPORT_ENTITIES = ("customers", "contacts", "orders", "payments", "interactions", "service_records", "opportunities",
                   "followups")
WORKBOOK = "workbook"  # an XLSX whose sheets are named for the record types they hold
IMPORT_KINDS = IMPORT_ENTITIES + (WORKBOOK,)
TARGET_MEASURES = ("order_amount", "payments", "new_customers", "opportunities_won", "interactions",
                   "followups_on_time")
TARGET_HOLDERS = ("site", "team", "user")
PERFORMANCE_MEASURES = ("order_amount", "orders", "payments", "new_customers", "opportunities_won",
                        "opportunities_lost", "win_rate", "interactions", "followups_on_time", "followups_late",
                        "feedback_assigned", "feedback_resolved", "feedback_resolved_within_sla",
                        "median_hours_to_resolve", "csat", "nps", "tier_upgrades", "churned_customers")
IMPORT_STATUSES = ("uploading", "running", "completed", "failed")  # an import job's life, in order
DUPLICATE_REASONS = ("same_tax_id", "similar_name", "same_phone", "same_email")  # the strongest first
MERGE_STATUSES = ("pending", "done", "abandoned", "reverting", "reverted")
MAX_MAPPED_COLUMNS = 500
MAX_MAPPED_VALUES = 1000


# Inputs. Each field says its bounds and, where the service applies one, its default; the gateway's
# HTTP forms are derived from these (strict, and without the defaults, so a PATCH carries only what
# the caller sent).

class IndustryCode(String):
    """A GB/T 4754-2017 section (``C``) or division (``C36``); ``c36`` and a bare ``36`` read as ``C36``."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = industries.canonical(super()._deserialize(value, attr, data, **kwargs))
        if code is None:
            raise ValidationError("Unknown industry code: a GB/T 4754-2017 section (A to T) or division (e.g. C36).")
        return code


def RegionCode(what):
    return Opt(6, validate=validate.Regexp(r"^\d{6}$", error="A six-digit region code."), metadata={
        "description": "GB/T 2260 code of the %s; catalogue `regions`. Without codes, they are placed from the "
                       "address's text where it names a region for certain" % what})


def known_region(value):
    """A six-digit filter value must be a known region code."""
    if regions.CODE.match(value) and not regions.find(value):
        raise ValidationError("Unknown region code.")


class AddressSchema(Schema):
    id = String(dump_only=True)
    type = Choice(ADDRESS_TYPES, required=True)
    street = Opt(300)
    city = Opt(100)
    province = Opt(100, metadata={"description": "province or state"})
    postal_code = Opt(20)
    country = Opt(100, load_default="CN", metadata={"description": "default CN"})
    province_code = RegionCode("province (e.g. 320000)")
    city_code = RegionCode("city (e.g. 320500), inside province_code")
    district_code = RegionCode("district, county or county-level city (e.g. 320506), inside city_code")

    @validates_schema
    def known_regions(self, data, **kwargs):
        problems = regions.code_problems(data)
        if problems:
            raise ValidationError({field: [message] for field, message in problems.items()})


class CustomerSchema(Schema):
    """A customer as written (create and update)."""

    legal_name = Text(200, min_length=1, required=True)
    short_name = Opt(100)
    tax_id = Opt(40, metadata={"description": "USCC (18 characters, check digit verified) for CN, else free text"})
    external_code = Opt(64)
    country = Text(2, min_length=2, load_default="CN", metadata={"description": "ISO 3166 alpha-2, default CN"})
    industry = Opt(100, metadata={"description": "free text, kept as written; given without industry_code, a "
                                                 "text naming an industry (汽车零部件, electronics…) sets it too"})
    industry_code = IndustryCode(allow_none=True, metadata={
        "description": "GB/T 4754-2017 section (e.g. C) or division (e.g. C36); catalogue `industries`"})
    company_size = Choice(COMPANY_SIZES, allow_none=True, metadata={
        "description": "large, medium, small or micro (统计上大中小微型企业划分办法(2017)); not given: derived by that "
                       "rule from employees, annual_revenue and industry_code where the rule sizes the industry"})
    employees = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10 ** 7),
                               metadata={"description": "number of employees (从业人员)"})
    annual_revenue = Money(allow_none=True, metadata={"description": "operating revenue of a year, in CNY (元)"})
    main_products = fields.List(Text(100), validate=validate.Length(max=50))
    website = Url(allow_none=True, validate=validate.Length(max=300))
    phone = Opt(40, metadata={"description": "validated for the customer's country"})
    email = Email(allow_none=True, validate=validate.Length(max=254))
    source_channel = Opt(60, metadata={"description": "free text, or a code of the catalogue `source_channels`"})
    owner_id = Opt(ID_MAX, metadata={"description": "the user owning the account, default the caller: an active user "
                                                    "of the customer's site with customers:read, else 422"})
    tags = fields.List(Text(40, min_length=1), validate=validate.Length(max=50))
    status = Choice(STATUSES)
    account_type = Choice(ACCOUNT_TYPES, metadata={"description": "default legal_entity"})
    parent_id = Opt(ID_MAX, metadata={"description": "the account above this one; a cycle is 409"})
    addresses = fields.List(fields.Nested(AddressSchema), validate=validate.Length(max=20))
    site_id = Ident(metadata={"description": "one of your sites; default your first. Changing it moves the customer "
                                            "with all its records (both sites must be yours)"})
    notes = Opt(2000, multiline=True)
    customer_since = fields.Date(allow_none=True, metadata={
        "description": "when the customer relationship began, if before the record (e.g. kept by an import from "
                       "another system); counts toward the years as a customer in tiering"})

    @validates_schema
    def valid_phone(self, data, **kwargs):
        if data.get("phone") and not identifiers.valid_phone(data["phone"], data.get("country") or "CN"):
            raise ValidationError("Not a valid phone number.", "phone")

    @validates_schema(skip_on_field_errors=False)
    def valid_tax_id(self, data, **kwargs):
        tax_id = data.get("tax_id")
        if tax_id and data.get("country", "CN") == "CN":
            key = identifiers.tax_id_key(tax_id)
            if len(key) == 18 and not identifiers.valid_uscc(key):
                raise ValidationError("Not a valid unified social credit code (check digit).", "tax_id")
            if len(key) != 18:
                raise ValidationError("A Chinese tax id is the 18-character unified social credit code.", "tax_id")


class CustomerUpdateSchema(CustomerSchema):
    version = fields.Integer(required=True, strict=True)


class ContactSchema(Schema):
    name = Text(100, min_length=1, required=True)
    position = Opt(100)
    phone = Opt(40, metadata={"description": "validated for phone_region"})
    phone_region = Text(2, min_length=2, load_default="CN", metadata={"description": "ISO 3166 alpha-2, default CN"})
    email = Email(allow_none=True, validate=validate.Length(max=254))
    primary = JsonBoolean(load_default=False)
    birthday = fields.Date(allow_none=True)
    notes = Opt(2000, multiline=True)

    @validates_schema
    def valid_phone(self, data, **kwargs):
        if data.get("phone") and not identifiers.valid_phone(data["phone"], data.get("phone_region") or "CN"):
            raise ValidationError("Not a valid phone number for region %s." % data.get("phone_region", "CN"), "phone")


class OrderLineSchema(Schema):
    product = Text(200, min_length=1, required=True)
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=10 ** 9))
    amount = Money(required=True)


class OrderSchema(Schema):
    number = Text(64, min_length=1, required=True)
    order_date = fields.Date(required=True)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True, validate=validate.Length(min=1, max=500))
    currency = String(load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$"),
                      metadata={"description": "default CNY"})
    status = Choice(ORDER_STATUSES, load_default="confirmed", metadata={"description": "default confirmed"})
    contract_end_date = fields.Date(allow_none=True)


class PaymentSchema(Schema):
    payment_date = fields.Date(required=True)
    amount = Money(required=True)
    method = Choice(PAYMENT_METHODS, load_default="bank_transfer", metadata={"description": "default bank_transfer"})
    order_number = Opt(64)


class ServiceRecordSchema(Schema):
    service_date = fields.Date(required=True)
    product = Opt(200)
    issue = Text(2000, min_length=1, required=True, multiline=True)
    action = Opt(2000, multiline=True)
    engineer = Opt(100)
    status = Choice(SERVICE_STATUSES, load_default="open", metadata={"description": "default open"})


class InteractionSchema(Schema):
    kind = Choice(INTERACTION_KINDS, required=True)
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": "with its UTC offset"})
    participants = fields.List(Text(100), validate=validate.Length(max=50))
    summary = Text(2000, min_length=1, required=True, multiline=True)
    key_points = Opt(4000, multiline=True)
    decisions = Opt(4000, multiline=True)
    next_step = Opt(1000, multiline=True)
    next_step_date = fields.Date(allow_none=True)


class OpportunitySchema(Schema):
    title = Text(200, min_length=1, required=True)
    stage = Choice(STAGES, load_default="identified", metadata={"description": "default identified"})
    expected_amount = Money(allow_none=True)
    expected_close_date = fields.Date(allow_none=True)
    probability = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    product = Opt(200)


class FollowupSchema(Schema):
    title = Text(200, min_length=1, required=True)
    due_date = fields.Date(required=True)
    assignee_id = Opt(ID_MAX, metadata={
        "description": "an active user of the customer's site with interactions:write, else 422"})
    status = Choice(FOLLOWUP_STATUSES, load_default="open", metadata={"description": "default open"})
    notes = Opt(2000, multiline=True)


def versioned(schema_class):
    """The update form of a part schema: every field optional but ``version``."""
    return type(schema_class.__name__.replace("Schema", "UpdateSchema"), (schema_class,), {
        "version": fields.Integer(required=True, strict=True),
    })


class ListFilterSchema(Schema):
    q = Text(100, min_length=1, metadata={
        "description": "prefix of a name, short name, tax id, code, contact name, phone or e-mail"})
    tier = Choice(TIERS)
    tag = Text(40)
    industry = Text(100, metadata={
        "description": "an industry code: a section (e.g. C) finds its divisions' customers too, a division (e.g. "
                       "C36) its own; for customers without a code, their free-text industry as written"})
    region = Text(100, validate=known_region, metadata={
        "description": "a region code of any level (320000 province, 320500 city, 320576 district), or a name "
                       "(江苏, 苏州市) or the province or city of an address as written"})
    owner_id = Ident(metadata={"description": "a user id, or the literal `none`: customers without an owner (never "
                                             "given one, or whose owner left: see `owner_left`)"})
    lifecycle = Choice(LIFECYCLE)
    churn_risk = Choice(CHURN_LEVELS)
    site_id = Ident()
    status = Choice(STATUSES)
    parent_id = Ident()
    deleted = fields.Boolean(metadata={"description": "true: the soft-deleted ones instead"})
    sort = Choice(SORTS, metadata={"description": "field, or -field for descending (legal_name: by pinyin); "
                                                  "default -updated_at"})

    @validates("q")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("Enter something to search for.")


class ListQuerySchema(ListFilterSchema):
    """The list's filters and where a list sorted by name starts."""

    name_from = Text(20, min_length=1, metadata={
        "description": "the A–Z jump: with sort=legal_name (or -legal_name), and without q or deleted, the list "
                       "starts at the first name whose pinyin (or Latin) reading begins with this, e.g. `b` or "
                       "`bei`; names sort by their pinyin (安徽… before 北京… before 重庆…)"})


def Days(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=3650), **kwargs)


class TierThresholdsSchema(Schema):
    vip_amount = Money(metadata={"description": "12-month amount that makes a customer VIP"})
    vip_loyal_amount = Money(metadata={"description": "the VIP amount for a customer of vip_loyal_years or more"})
    vip_loyal_years = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100))
    key_amount = Money(metadata={"description": "12-month amount that makes a customer key"})
    key_orders = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000),
                                metadata={"description": "orders in 12 months that make a customer key"})


class FollowupDaysSchema(Schema):
    vip = Days()
    key = Days()
    general = Days()


def Percent(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=100), **kwargs)


class StageProbabilitiesSchema(Schema):
    """The chance (percent) an open opportunity at each stage is won, which weights the pipeline forecast."""

    identified = Percent()
    contacted = Percent()
    needs_analysis = Percent()
    proposal = Percent()
    negotiation = Percent()


class SettingsUpdateSchema(Schema):
    """A change of a site's customer settings: what is sent changes, the rest stays."""

    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read (0 at first)"})
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    followup_days = fields.Nested(FollowupDaysSchema, metadata={"description": "follow-up cadence per tier"})
    review_days = Days(metadata={"description": "days after the last verification a review falls due"})
    stage_probabilities = fields.Nested(StageProbabilitiesSchema, metadata={
        "description": "percent per open stage, weighting the pipeline forecast"})

    @validates_schema
    def not_empty(self, data, **kwargs):
        if len(data) == 1:
            raise ValidationError("Nothing to change.", "_body")


class TierOverrideSchema(Schema):
    tier = Choice(TIERS, required=True)
    reason = Text(500, min_length=1, required=True, multiline=True)
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None,
                                      metadata={"description": "none: until cleared"})


class ImportOptionsSchema(Schema):
    """How an uploaded file is read: which records its rows are, which field each column fills."""

    entity = Choice(IMPORT_KINDS, metadata={
        "description": "default customers; workbook: every sheet named for a record type, in dependency order"})
    mapping = fields.Dict(keys=Text(200, min_length=1), values=String(allow_none=True, validate=validate.Length(
        max=64)), validate=validate.Length(max=MAX_MAPPED_COLUMNS), allow_none=True, metadata={
        "description": "{header: field or null}: null skips the column; a header not named takes its suggested "
                       "field"})
    value_map = fields.Dict(keys=Text(64, min_length=1), values=fields.Dict(
        keys=Text(200, min_length=1), values=Text(200), validate=validate.Length(max=MAX_MAPPED_VALUES)),
        validate=validate.Length(max=50), allow_none=True, metadata={
            "description": "{field: {text in the file: value}}, e.g. {\"level\": {\"重要客户\": \"key\"}}"})
    sheet = Text(100, min_length=1, metadata={"description": "the XLSX sheet to read; default the first"})
    mapping_id = Ident(metadata={"description": "a saved mapping: its entity, mapping and value map"})
    dry_run = JsonBoolean()

    @validates_schema
    def workbook_by_suggestion(self, data, **kwargs):
        if data.get("entity") == WORKBOOK and (data.get("mapping") or data.get("mapping_id") or data.get("sheet")):
            raise ValidationError("A workbook's sheets take their suggested mappings: import a sheet alone to map "
                                  "it by hand.", "entity")


class ImportMappingSchema(Schema):
    """A column mapping saved by name for a site, to import the next file of the same system alike."""

    name = Text(100, min_length=1, required=True)
    entity = Choice(IMPORT_ENTITIES, required=True)
    site_id = Ident(metadata={"description": "one of your sites; default your first"})
    mapping = fields.Dict(keys=Text(200, min_length=1), values=String(allow_none=True, validate=validate.Length(
        max=64)), required=True, validate=validate.Length(min=1, max=MAX_MAPPED_COLUMNS))
    value_map = ImportOptionsSchema._declared_fields["value_map"]


MERGEABLE = tuple(name for name in CustomerSchema._declared_fields if name != "site_id")
MAX_MERGED = 500


class MergeSchema(Schema):
    merged_ids = fields.List(Ident(), required=True, validate=validate.Length(min=1, max=MAX_MERGED),
                             metadata={"description": "customers merged into this one"})
    fields = fields.Dict(keys=Text(64, min_length=1, validate=validate.OneOf(MERGEABLE)), values=Ident(),
                         load_default=dict,  # last: the name shadows the module
                         metadata={"description": "field name -> id of the customer whose value is kept"})


class ViewSchema(Schema):
    name = Text(100, min_length=1, required=True)
    filters = fields.Nested(ListFilterSchema, load_default=dict)
    columns = fields.List(Choice(VIEW_COLUMNS), load_default=lambda: list(VIEW_COLUMNS[:6]),
                          validate=validate.Length(min=1, max=len(VIEW_COLUMNS)))
    shared = JsonBoolean(load_default=False, metadata={"description": "shared with the site, or private (default)"})
    site_id = Ident()


class ReportFilterSchema(OrderedPeriod):
    """The filters of the reports (``report_*``), which the service reads itself: ``since`` and ``until``
    as ISO dates or times."""

    site_id = Ident(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default a year before until"})
    until = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default today"})


# Outputs

class ForecastDatesSchema(Schema):
    next_order_date = Day(allow_none=True, metadata={"description": "when its order history expects the next order"})
    earliest = Day(allow_none=True, metadata={"description": "the 80 % range of that date"})
    latest = Day(allow_none=True)


class OwnerLeftSchema(Schema):
    user_id = String(metadata={"description": "the user who owned (or was assigned) the record"})
    at = Timestamp(metadata={"description": "when the record was let go"})


class AddressOutSchema(Schema):
    id = String()
    type = String()
    street = String(allow_none=True)
    city = String(allow_none=True)
    province = String(allow_none=True)
    postal_code = String(allow_none=True)
    country = String(allow_none=True)
    province_code = String(allow_none=True)
    city_code = String(allow_none=True)
    district_code = String(allow_none=True)
    province_name = String(allow_none=True, metadata={"description": "the name of province_code"})
    city_name = String(allow_none=True, metadata={"description": "the name of city_code"})
    district_name = String(allow_none=True, metadata={"description": "the name of district_code"})
    region_unparsed = fields.Boolean(metadata={
        "description": "true: the address came without codes and its text names no region for certain; it is "
                       "kept as written"})


class CustomerOutSchema(Schema):
    id = Id()
    site_id = String()
    legal_name = String()
    short_name = String(allow_none=True)
    tax_id = String(allow_none=True)
    external_code = String(allow_none=True)
    country = String()
    industry = String(allow_none=True)
    industry_code = String(allow_none=True, metadata={"description": "GB/T 4754-2017 section or division"})
    industry_labels = fields.Dict(allow_none=True, metadata={
        "description": "the zh-CN and en names of industry_code (null without one)"})
    company_size = String(allow_none=True)
    company_size_derived = fields.Boolean(metadata={
        "description": "true: company_size was derived by the national rule, and follows employees, annual_revenue "
                       "and industry_code; false: it was given"})
    employees = fields.Integer(allow_none=True)
    annual_revenue = fields.Float(allow_none=True)
    main_products = fields.List(String())
    website = String(allow_none=True)
    phone = String(allow_none=True)
    email = String(allow_none=True)
    source_channel = String(allow_none=True)
    owner_id = String(allow_none=True)
    owner_left = fields.Nested(OwnerLeftSchema, allow_none=True, metadata={
        "description": "set when the owner was cleared because they left (disabled, deleted, moved to another site "
                       "or without customers:read); null otherwise"})
    tags = fields.List(String())
    status = String()
    account_type = String()
    parent_id = String(allow_none=True)
    addresses = fields.List(fields.Nested(AddressOutSchema))
    notes = String(allow_none=True)
    customer_since = Day(allow_none=True)
    lifecycle_stage = String()
    dormant_since = Day(allow_none=True, metadata={"description": "the day it was first seen dormant, while it is"})
    tier = fields.Dict(metadata={"description": "level, reasons, overridden (and the override's reason and expiry)"})
    churn_risk = fields.Dict(metadata={"description": "level (none, low, high) and reasons"})
    completeness = fields.Integer(metadata={"description": "percent of the key fields filled"})
    last_verified_at = Timestamp(allow_none=True)
    next_followup_date = Day(allow_none=True)
    last_order_date = Day(allow_none=True)
    forecast = fields.Nested(ForecastDatesSchema, allow_none=True, metadata={
        "description": "the reorder forecast's dates; null with fewer than 3 order days (the amounts: "
                       "GET /customers/{id}/forecast, orders:read)"})
    deleted_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class PartOutSchema(Schema):
    """What every part of a customer carries."""

    id = String()
    customer_id = String()
    site_id = String()
    created_by = String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    deleted_at = Timestamp(allow_none=True)
    version = fields.Integer()


class ContactOutSchema(PartOutSchema):
    name = String()
    position = String(allow_none=True)
    phone = String(allow_none=True)
    phone_region = String()
    email = String(allow_none=True)
    primary = fields.Boolean()
    birthday = Day(allow_none=True)
    notes = String(allow_none=True)


class OrderLineOutSchema(Schema):
    product = String()
    quantity = fields.Float()
    amount = fields.Float()


class OrderOutSchema(PartOutSchema):
    number = String()
    order_date = Day()
    lines = fields.List(fields.Nested(OrderLineOutSchema))
    currency = String()
    status = String()
    contract_end_date = Day(allow_none=True)
    total_amount = fields.Float(metadata={"description": "sum of the lines"})
    owner_id = String(allow_none=True, metadata={
        "description": "the customer's owner when it was recorded: whom it counts for in targets and scorecards"})


class PaymentOutSchema(PartOutSchema):
    payment_date = Day()
    amount = fields.Float()
    method = String()
    order_number = String(allow_none=True)
    owner_id = String(allow_none=True, metadata={
        "description": "the customer's owner when it was recorded: whom it counts for in targets and scorecards"})


class ServiceRecordOutSchema(PartOutSchema):
    service_date = Day()
    product = String(allow_none=True)
    issue = String()
    action = String(allow_none=True)
    engineer = String(allow_none=True)
    status = String()


class InteractionOutSchema(PartOutSchema):
    kind = String()
    occurred_at = Timestamp()
    participants = fields.List(String())
    summary = String()
    key_points = String(allow_none=True)
    decisions = String(allow_none=True)
    next_step = String(allow_none=True)
    next_step_date = Day(allow_none=True)


class StageChangeSchema(Schema):
    stage = String()
    at = Timestamp()
    by = String(allow_none=True)


class OpportunityOutSchema(PartOutSchema):
    title = String()
    stage = String()
    expected_amount = fields.Float(allow_none=True)
    expected_close_date = Day(allow_none=True)
    probability = fields.Integer(allow_none=True)
    product = String(allow_none=True)
    stage_history = fields.List(fields.Nested(StageChangeSchema))
    owner_id = String(allow_none=True, metadata={
        "description": "the customer's owner when it was recorded: whom it counts for in targets and scorecards"})
    decided_at = Timestamp(allow_none=True, metadata={"description": "when it was won or lost"})


class FollowupOutSchema(PartOutSchema):
    title = String()
    due_date = Day()
    assignee_id = String(allow_none=True)
    assignee_left = fields.Nested(OwnerLeftSchema, allow_none=True, metadata={
        "description": "set when the assignee was cleared because they left; the due reminder then goes to the "
                       "customer's owner, or to the site's managers"})
    status = String()
    notes = String(allow_none=True)
    done_at = Timestamp(allow_none=True, metadata={"description": "when it was marked done"})


class TierChangeSchema(Schema):
    id = String()
    customer_id = String()
    site_id = String()
    at = Timestamp()
    old_tier = String(allow_none=True)
    new_tier = String()
    reasons = fields.List(String())
    overridden = fields.Boolean()
    by = String(allow_none=True, metadata={"description": "the user, or the service for computed changes"})


class TierHistorySchema(Schema):
    items = fields.List(fields.Nested(TierChangeSchema), metadata={"description": "newest first"})


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
    reason = String(allow_none=True)
    followup = fields.Nested(FollowupOutSchema, allow_none=True)


class ChildAccountSchema(Schema):
    id = String()
    legal_name = String()
    account_type = String(allow_none=True)
    site_id = String()
    tier = String(allow_none=True)


class OverviewSchema(Schema):
    """The 360 view; what the caller may not see is absent."""

    customer = fields.Nested(CustomerOutSchema)
    tier = fields.Dict(metadata={"description": "level, reasons, overridden and the explanation"})
    contacts = fields.List(fields.Nested(ContactOutSchema), metadata={"description": "contacts:read"})
    interactions = fields.List(fields.Nested(InteractionOutSchema), metadata={
        "description": "the last 10 (interactions:read)"})
    opportunities = fields.List(fields.Nested(OpportunityOutSchema), metadata={
        "description": "the open ones (interactions:read)"})
    next_followup = fields.Nested(NextFollowupSchema, metadata={"description": "interactions:read"})
    orders_12m = fields.Nested(OrderTotalsSchema, metadata={
        "description": "12-month order totals rolled up the hierarchy (orders:read)"})
    open_feedback = fields.Raw(metadata={
        "description": 'open feedback count, or "unknown" when feedback does not answer (feedback:read)'})
    children = fields.List(fields.Nested(ChildAccountSchema), metadata={"description": "accounts directly below"})


class CustomerSettingsSchema(Schema):
    site_id = String()
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    followup_days = fields.Nested(FollowupDaysSchema)
    review_days = fields.Integer()
    stage_probabilities = fields.Nested(StageProbabilitiesSchema)
    version = fields.Integer()


class ViewOutSchema(Schema):
    id = String()
    name = String()
    filters = fields.Dict()
    columns = fields.List(String())
    shared = fields.Boolean()
    site_id = String()
    owner_id = String()
    created_at = Timestamp()


class ViewListSchema(Schema):
    items = fields.List(fields.Nested(ViewOutSchema))


class ReportSchema(Schema):
    since = Day()
    until = Day()
    site_id = String(allow_none=True, metadata={"description": "null: all your sites"})


class TierMoveSchema(Schema):
    from_ = String(data_key="from", attribute="from", allow_none=True)
    to = String()
    count = fields.Integer()


class TierReportSchema(ReportSchema):
    distribution = fields.Dict(keys=String(), values=fields.Integer(), metadata={
        "description": "customers per tier"})
    moves = fields.List(fields.Nested(TierMoveSchema), metadata={"description": "tier changes in the period"})


class MonthSalesSchema(AmountSchema):
    month = String(metadata={"description": "YYYY-MM"})


class ProductSalesSchema(AmountSchema):
    product = String()
    quantity = fields.Float()


class CustomerSalesSchema(AmountSchema):
    customer_id = String()
    legal_name = String(allow_none=True)
    site_id = String()


class GroupSalesSchema(AmountSchema):
    customer_id = String(metadata={"description": "the top account of the hierarchy"})
    legal_name = String(allow_none=True)
    accounts = fields.Integer()


class SiteSalesSchema(AmountSchema):
    site_id = String()


class SalesReportSchema(ReportSchema):
    total = fields.Float()
    orders = fields.Integer()
    by_month = fields.List(fields.Nested(MonthSalesSchema))
    by_product = fields.List(fields.Nested(ProductSalesSchema))
    by_customer = fields.List(fields.Nested(CustomerSalesSchema))
    by_group = fields.List(fields.Nested(GroupSalesSchema), metadata={"description": "rolled up the hierarchy"})
    by_site = fields.List(fields.Nested(SiteSalesSchema))


class StageSchema(Schema):
    stage = String()
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
    customer_id = String()
    legal_name = String()
    site_id = String()
    owner_id = String(allow_none=True)
    level = String(metadata={"description": "low or high"})
    reasons = fields.List(String())
    tier = String(allow_none=True)
    lifecycle_stage = String(allow_none=True)
    last_order_date = Day(allow_none=True)


class ChurnReportSchema(Schema):
    site_id = String(allow_none=True, metadata={"description": "null: all your sites"})
    items = fields.List(fields.Nested(AtRiskSchema))
    total = fields.Integer()


PERIOD = Text(7, min_length=4, metadata={"description": "a year (2027), quarter (2027-Q1) or month (2027-03)"})


class TargetSchema(Schema):
    site_id = Ident(metadata={"description": "one of your sites (a breakdown takes its parent's)"})
    period = PERIOD
    measure = Choice(TARGET_MEASURES, metadata={"description": "a breakdown takes its parent's"})
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False, max=1e12))
    holder_kind = Choice(TARGET_HOLDERS, required=True)
    holder_id = Opt(ID_MAX, metadata={"description": "the team or user; none for the site"})
    parent_id = Opt(ID_MAX, metadata={
        "description": "the target this one breaks down: a site's over its teams and users, a team's over its members"})


class TargetUpdateSchema(Schema):
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False, max=1e12))
    version = fields.Integer(required=True, strict=True, validate=VERSION_RANGE)


class TargetFilterSchema(Schema):
    site_id = Ident(metadata={"description": "default: each of your sites (required with sites:all)"})
    period = PERIOD
    measure = Choice(TARGET_MEASURES)
    holder_kind = Choice(TARGET_HOLDERS)
    holder_id = Opt(ID_MAX)


class AttainmentSchema(Schema):
    actual = fields.Float(allow_none=True, metadata={"description": "null: an amount you may not see"})
    percent = fields.Float(allow_none=True, metadata={"description": "actual / value (1.0 = met)"})
    remaining = fields.Float(allow_none=True)
    days_elapsed = fields.Integer()
    days_total = fields.Integer()
    run_rate_needed = fields.Float(allow_none=True, metadata={
        "description": "per remaining day to meet the target; null once the period is over"})
    projection = fields.Float(allow_none=True, metadata={"description": "actual carried on at its pace to period end"})


class TargetOutSchema(Schema):
    id = String()
    site_id = String()
    period = String()
    since = Day()
    until = Day()
    measure = String()
    value = fields.Float()
    holder_kind = String()
    holder_id = String(allow_none=True)
    holder_name = String(allow_none=True)
    parent_id = String(allow_none=True)
    attainment = fields.Nested(AttainmentSchema)
    version = fields.Integer()
    created_at = Timestamp()
    updated_at = Timestamp()


class TargetDetailSchema(TargetOutSchema):
    children = fields.List(fields.Nested(TargetOutSchema), metadata={"description": "the targets breaking it down"})
    unassigned = fields.Float(metadata={"description": "its value less its children's (negative: over-assigned)"})


class TargetListSchema(Schema):
    items = fields.List(fields.Nested(TargetOutSchema))


class ScorecardQuerySchema(Schema):
    period = PERIOD
    site_id = Ident(metadata={"description": "default: your only site"})
    user_id = Opt(ID_MAX, metadata={"description": "default: yourself"})
    team_id = Opt(ID_MAX)


class InteractionCountsSchema(Schema):
    call = fields.Integer()
    meeting = fields.Integer()
    email = fields.Integer()
    visit = fields.Integer()
    total = fields.Integer()


class MeasuresSchema(Schema):
    order_amount = fields.Float(allow_none=True)
    orders = fields.Integer()
    payments = fields.Float(allow_none=True)
    new_customers = fields.Integer()
    opportunities_won = fields.Integer()
    opportunities_lost = fields.Integer()
    win_rate = fields.Float(allow_none=True)
    interactions = fields.Nested(InteractionCountsSchema)
    followups_on_time = fields.Integer()
    followups_late = fields.Integer()
    feedback_assigned = fields.Integer(allow_none=True)
    feedback_resolved = fields.Integer(allow_none=True)
    feedback_resolved_within_sla = fields.Integer(allow_none=True)
    median_hours_to_resolve = fields.Float(allow_none=True)
    csat = fields.Float(allow_none=True, metadata={"description": "average rating 1 to 5"})
    nps = fields.Integer(allow_none=True, metadata={"description": "-100 to 100"})
    tier_upgrades = fields.Integer()
    churned_customers = fields.Integer()


class ScorecardSchema(Schema):
    period = String()
    since = Day()
    until = Day()
    site_id = String()
    holder_kind = String()
    holder_id = String()
    holder_name = String(allow_none=True)
    measures = fields.Nested(MeasuresSchema)
    incomplete = fields.List(String(), metadata={
        "description": "services that did not answer: their measures are null (feedback)"})


class LeaderboardQuerySchema(Schema):
    period = PERIOD
    site_id = Ident(metadata={"description": "default: your only site"})
    measure = Choice(PERFORMANCE_MEASURES, load_default="order_amount",
                     metadata={"description": "default order_amount"})


class LeaderboardEntrySchema(Schema):
    rank = fields.Integer()
    user_id = String()
    name = String(allow_none=True)
    value = fields.Float(allow_none=True)


class LeaderboardSchema(Schema):
    period = String()
    since = Day()
    until = Day()
    site_id = String()
    measure = String()
    items = fields.List(fields.Nested(LeaderboardEntrySchema))


class PipelineQuerySchema(Schema):
    period = PERIOD
    site_id = Ident(metadata={"description": "default: your only site"})


class PipelineStageSchema(Schema):
    stage = String()
    count = fields.Integer()
    amount = fields.Float()
    probability = fields.Integer(metadata={"description": "percent, the site's setting"})
    weighted = fields.Float()


class ReordersSchema(Schema):
    customers = fields.Integer()
    amount = fields.Float()


class PipelineSchema(Schema):
    period = String()
    since = Day()
    until = Day()
    site_id = String()
    as_of = Day()
    stages = fields.List(fields.Nested(PipelineStageSchema), metadata={
        "description": "open opportunities expected to close in the period"})
    pipeline = fields.Float(metadata={"description": "the stages' weighted amounts"})
    expected_reorders = fields.Nested(ReordersSchema, metadata={
        "description": "orders the reorder forecast expects from today to the period's end"})
    actual = fields.Float(metadata={"description": "order amount of the period so far"})
    forecast = fields.Float(metadata={"description": "actual + pipeline + expected reorders"})
    target = fields.Float(allow_none=True, metadata={"description": "the site's order-amount target"})
    target_id = String(allow_none=True)
    gap = fields.Float(allow_none=True, metadata={"description": "target - forecast"})


class ImportColumnSchema(Schema):
    index = fields.Integer()
    header = String()
    samples = fields.List(String(), metadata={"description": "the first values of the column"})
    field = String(allow_none=True, metadata={"description": "the suggested field; null: skipped"})
    suggested_by = String(allow_none=True, metadata={"description": "header, values or null"})


class ImportFieldSchema(Schema):
    name = String()
    kind = String(metadata={"description": "text, int, number, amount, date, datetime, list, enum, bool, user, "
                                           "customer or level"})
    required = fields.Boolean()
    labels = fields.Dict(keys=String(), values=String(), metadata={
        "description": "the field's label per language (en, zh-CN)"})


class ImportFieldsSchema(Schema):
    entity = String()
    fields = fields.List(fields.Nested(ImportFieldSchema))


class ImportPreviewSchema(Schema):
    upload_id = String(metadata={"description": "give it to POST /imports within an hour"})
    entity = String()
    format = String(metadata={"description": "csv or xlsx"})
    encoding = String(allow_none=True, metadata={"description": "utf-8, gb18030 or utf-16 (csv)"})
    delimiter = String(allow_none=True)
    sheets = fields.List(String(), metadata={"description": "the workbook's sheets (xlsx)"})
    sheet = String(allow_none=True, metadata={"description": "the sheet read"})
    rows_read = fields.Integer()
    columns = fields.List(fields.Nested(ImportColumnSchema))
    fields = fields.List(fields.Nested(ImportFieldSchema))  # last: the name shadows the module


class ImportMappingOutSchema(Schema):
    id = String()
    name = String()
    entity = String()
    site_id = String()
    mapping = fields.Dict(keys=String(), values=String(allow_none=True))
    value_map = fields.Dict()
    created_by = String()
    updated_at = Timestamp()


class ImportMappingListSchema(Schema):
    items = fields.List(fields.Nested(ImportMappingOutSchema))


class ImportErrorSchema(Schema):
    sheet = String(metadata={"description": "the sheet of a workbook's row"})
    row = fields.Integer()
    field = String(allow_none=True)
    message = String()


class ImportSheetSchema(Schema):
    sheet = String()
    entity = String()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    warnings = fields.Integer()
    skipped_columns = fields.List(String())


class SkippedSheetSchema(Schema):
    sheet = String()
    reason = String()


class ImportJobSchema(Schema):
    id = String()
    status = String(metadata={"description": "uploading, running, completed or failed"})
    dry_run = fields.Boolean()
    filename = String()
    site_id = String()
    entity = String(metadata={"description": "what the rows are"})
    sheet = String(allow_none=True, metadata={"description": "the XLSX sheet read"})
    mapping = fields.Dict(keys=String(), values=String(allow_none=True), allow_none=True,
                          metadata={"description": "the mapping given (null: the suggested one)"})
    skipped_columns = fields.List(String(), metadata={
        "description": "headers of the columns not imported: mapped to null, or placed nowhere"})
    linked_by = fields.Dict(keys=String(), values=fields.Integer(), metadata={
        "description": "a part's rows by how they named their customer: tax_id, code, name"})
    sheets = fields.List(fields.Nested(ImportSheetSchema), metadata={
        "description": "a workbook's sheets imported so far, each with its own counts"})
    skipped_sheets = fields.List(fields.Nested(SkippedSheetSchema), metadata={
        "description": "a workbook's sheets not imported, and why"})
    format = String(allow_none=True, metadata={"description": "csv or xlsx"})
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
    error = String(allow_none=True, metadata={"description": "why the whole job failed"})
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)


class ClusterMemberSchema(Schema):
    id = String()
    legal_name = String(allow_none=True)
    site_id = String()
    tax_id = String(allow_none=True)


class ClusterSchema(Schema):
    key = String(metadata={"description": "the normalised value they share"})
    reason = String(metadata={"description": "same_tax_id, similar_name, same_phone or same_email"})
    customers = fields.List(fields.Nested(ClusterMemberSchema))


class DuplicateClustersSchema(Schema):
    clusters = fields.List(fields.Nested(ClusterSchema), metadata={"description": (
        "strongest reason first (same_tax_id, similar_name, same_phone, same_email), then by key; at most 50 "
        "customers each; a cluster whose customers are exactly a stronger one's is left out")})
    next_cursor = String(allow_none=True, metadata={"description": (
        "pass it as cursor for the next page; null when no more clusters follow. A page reads a bounded part of "
        "the archive, so it may hold fewer than limit clusters while more follow")})


class MergeOutSchema(Schema):
    id = String()
    status = String(metadata={"description": "pending, done, abandoned, reverting or reverted"})
    survivor_id = String()
    merged_ids = fields.List(String())
    moved = fields.Dict(metadata={"description": "records moved to the survivor, per kind"})
    created_by = String(allow_none=True)
    created_at = Timestamp()
    done_at = Timestamp(allow_none=True)
    reverted_at = Timestamp(allow_none=True)
    reverted_by = String(allow_none=True)
    names = fields.Dict(keys=String(), values=String(allow_none=True),
                        metadata={"description": "legal name of each customer in the merge, as it was"})
    fields = fields.Dict(metadata={"description": "the field choices applied"})  # last: shadows the module


# Reorder forecasts and recommendations (``forecasts.py``, ``reorders.py``, ``recommendations.py``)

class ForecastHistorySchema(Schema):
    orders = fields.Integer(metadata={"description": "counted orders (not cancelled or draft)"})
    first_order_date = Day(allow_none=True)
    last_order_date = Day(allow_none=True)
    median_gap_days = fields.Float(allow_none=True, metadata={"description": "median days between order days"})


class NextOrderSchema(Schema):
    expected_date = Day()
    earliest = Day(metadata={"description": "the range the date falls in with the stated confidence"})
    latest = Day()
    expected_amount = fields.Float()
    amount_low = fields.Float()
    amount_high = fields.Float()
    confidence = fields.Float(metadata={"description": "of both ranges (0.8)"})


class ProductForecastSchema(Schema):
    product = String()
    expected_date = Day()
    earliest = Day()
    latest = Day()
    expected_quantity = fields.Float()
    expected_amount = fields.Float()


class ForecastOutSchema(Schema):
    customer_id = String()
    method = String(metadata={"description": "insufficient_history (fewer than 3 order days), or cadence with "
                                             "+gap_trend, +amount_trend, +seasonal as used"})
    history = fields.Nested(ForecastHistorySchema)
    next_order = fields.Nested(NextOrderSchema, allow_none=True)
    overdue_days = fields.Integer(allow_none=True, metadata={
        "description": "days past the expected date without an order (0: not yet due; null: no forecast)"})
    products = fields.List(fields.Nested(ProductForecastSchema), metadata={
        "description": "the 10 products of largest amount with 3 order days or more"})


class ExpectedOrdersQuerySchema(Schema):
    site_id = Ident(metadata={"description": "one of your sites (default: all of them)"})
    within_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=365), metadata={
        "description": "customers expected to order from today to this many days ahead (default 30)"})
    overdue_days = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=365), metadata={
        "description": "and customers whose expected order is this many days late or more (up to a year more)"})


class ExpectedOrderSchema(Schema):
    customer_id = String()
    legal_name = String()
    site_id = String()
    owner_id = String(allow_none=True)
    tier = String(allow_none=True)
    last_order_date = Day(allow_none=True)
    expected_date = Day()
    earliest = Day()
    latest = Day()
    amount = fields.Float(metadata={"description": "the expected amount"})
    low = fields.Float()
    high = fields.Float()
    overdue_days = fields.Integer(metadata={"description": "0 while it is not yet due"})


class RecommendationReasonSchema(Schema):
    kind = String(metadata={"description": "similar_customers or bought_together"})
    industry = String(metadata={"description": "similar_customers: the industry code (or text) shared"})
    tier = String(metadata={"description": "similar_customers: the tier shared"})
    customers = fields.Integer(metadata={"description": "similar_customers: how many of them bought it"})
    with_product = String(metadata={"description": "bought_together: the customer's product it was ordered with"})
    orders = fields.Integer(metadata={"description": "bought_together: orders of other customers holding both"})


class RecommendationSchema(Schema):
    product = String()
    score = fields.Float(metadata={"description": "0 to 1: the share of the similar customers, or of the orders "
                                                  "of with_product, that hold it"})
    reason = fields.Nested(RecommendationReasonSchema)


class RecommendationsSchema(Schema):
    customer_id = String()
    items = fields.List(fields.Nested(RecommendationSchema))


# Events (exchange ``customers.events``; docs/events.md)

CUSTOMER = ("customer_id", "legal_name", "tax_id", "owner_id", "tier", "tags")

CATALOGUE = Catalogue("customers", {
    "customer_created": CUSTOMER,
    "customer_updated": CUSTOMER + ("changed_fields",),
    "customer_deleted": ("customer_id", "legal_name", "erased"),
    "customer_restored": ("customer_id", "legal_name"),
    "customer_moved": ("customer_id", "from_site_id", "to_site_id"),
    "customer_erased": ("customer_id", "contact_ids", "records", "fields"),
    "customer_purged": ("customer_id", "contact_ids", "records", "fields"),
    "customer_merged": ("survivor_id", "merged_ids", "merge_id"),
    "merge_reverted": ("survivor_id", "restored_ids", "merge_id"),
    "tier_changed": ("customer_id", "legal_name", "owner_id", "old_tier", "new_tier", "reasons", "overridden",
                     "imported"),
    "order_recorded": ("customer_id", "order_id", "number", "order_date", "total_amount", "currency", "imported"),
    "interaction_logged": ("customer_id", "interaction_id", "kind", "occurred_at", "next_step_date", "imported"),
    "opportunity_stage_changed": ("customer_id", "opportunity_id", "title", "old_stage", "new_stage",
                                  "expected_amount", "imported"),
    "followup_due": ("customer_id", "legal_name", "owner_id", "due_date", "followup_id", "reason"),
    "contract_expiring": ("customer_id", "legal_name", "owner_id", "order_id", "number", "contract_end_date",
                          "days_left"),
    "churn_risk_detected": ("customer_id", "legal_name", "owner_id", "level", "reasons", "imported"),
    "import_completed": ("import_id", "created", "updated", "failed", "total"),
    "audit": AUDIT_FIELDS,
    AUDIT_ENTRIES: ("entries",),
})
