"""Input and output shapes of the customers service."""
import phonenumbers
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.schemas import Email, Id, String, Url
from services.customers import identifiers

TIERS = ("vip", "key", "general")
ACCOUNT_TYPES = ("group", "legal_entity", "plant", "ship_to", "bill_to")
STATUSES = ("active", "inactive")
LIFECYCLE = ("prospect", "first_purchase", "repeat", "loyal", "dormant")
ADDRESS_TYPES = ("billing", "shipping", "office")
INTERACTION_KINDS = ("call", "meeting", "email", "visit")
STAGES = ("identified", "contacted", "needs_analysis", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = STAGES[:5]


def Str(max_length=200, **kwargs):
    kwargs.setdefault("allow_none", True)
    return String(validate=validate.Length(max=max_length), **kwargs)


def Money(**kwargs):
    """An amount in the record's currency (stored as a float rounded to cents)."""
    return fields.Float(validate=validate.Range(min=0, max=10 ** 13), allow_nan=False, **kwargs)


def Tags():
    return fields.List(String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50))


def _valid_phone(value, region="CN"):
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


class AddressSchema(Schema):
    id = String(dump_only=True)
    type = String(required=True, validate=validate.OneOf(ADDRESS_TYPES))
    street = Str(300)
    city = Str(100)
    province = Str(100)
    postal_code = Str(20)
    country = Str(100, load_default="CN")


class CustomerSchema(Schema):
    """A customer as written (create and update)."""

    legal_name = String(required=True, validate=validate.Length(min=1, max=200))
    short_name = Str(100)
    tax_id = Str(40)
    external_code = Str(64)
    country = String(load_default="CN", validate=validate.Length(min=2, max=2))
    industry = Str(100)
    company_size = Str(40)
    annual_revenue = Money(allow_none=True)
    main_products = fields.List(String(validate=validate.Length(max=100)), validate=validate.Length(max=50))
    website = Url(allow_none=True, validate=validate.Length(max=300))
    phone = Str(40)
    email = Email(allow_none=True, validate=validate.Length(max=254))
    source_channel = Str(60)
    owner_id = Str(64)
    tags = Tags()
    status = String(validate=validate.OneOf(STATUSES))
    account_type = String(validate=validate.OneOf(ACCOUNT_TYPES))
    parent_id = Str(64)
    addresses = fields.List(fields.Nested(AddressSchema), validate=validate.Length(max=20))
    site_id = String(validate=validate.Length(min=1, max=64))
    notes = Str(2000, multiline=True)

    @validates_schema
    def valid_phone(self, data, **kwargs):
        if data.get("phone") and not _valid_phone(data["phone"], data.get("country") or "CN"):
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
    name = String(required=True, validate=validate.Length(min=1, max=100))
    position = Str(100)
    phone = Str(40)
    phone_region = String(load_default="CN", validate=validate.Length(equal=2))
    email = Email(allow_none=True, validate=validate.Length(max=254))
    primary = fields.Boolean(load_default=False)
    birthday = fields.Date(allow_none=True)
    notes = Str(2000, multiline=True)

    @validates_schema
    def valid_phone(self, data, **kwargs):
        if data.get("phone") and not _valid_phone(data["phone"], data.get("phone_region") or "CN"):
            raise ValidationError("Not a valid phone number for region %s." % data.get("phone_region", "CN"), "phone")


class OrderLineSchema(Schema):
    product = String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=10 ** 9))
    amount = Money(required=True)


class OrderSchema(Schema):
    number = String(required=True, validate=validate.Length(min=1, max=64))
    order_date = fields.Date(required=True)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True, validate=validate.Length(min=1, max=500))
    currency = String(load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$"))
    status = String(load_default="confirmed", validate=validate.OneOf(
        ("draft", "confirmed", "shipped", "completed", "cancelled")))
    contract_end_date = fields.Date(allow_none=True)


class PaymentSchema(Schema):
    payment_date = fields.Date(required=True)
    amount = Money(required=True)
    method = String(load_default="bank_transfer", validate=validate.OneOf(
        ("bank_transfer", "acceptance_bill", "cash", "card", "other")))
    order_number = Str(64)


class ServiceRecordSchema(Schema):
    service_date = fields.Date(required=True)
    product = Str(200)
    issue = String(required=True, validate=validate.Length(min=1, max=2000), multiline=True)
    action = Str(2000, multiline=True)
    engineer = Str(100)
    status = String(load_default="open", validate=validate.OneOf(("open", "in_progress", "closed")))


class InteractionSchema(Schema):
    kind = String(required=True, validate=validate.OneOf(INTERACTION_KINDS))
    occurred_at = fields.AwareDateTime(required=True)
    participants = fields.List(String(validate=validate.Length(max=100)), validate=validate.Length(max=50))
    summary = String(required=True, validate=validate.Length(min=1, max=2000), multiline=True)
    key_points = Str(4000, multiline=True)
    decisions = Str(4000, multiline=True)
    next_step = Str(1000, multiline=True)
    next_step_date = fields.Date(allow_none=True)


class OpportunitySchema(Schema):
    title = String(required=True, validate=validate.Length(min=1, max=200))
    stage = String(load_default="identified", validate=validate.OneOf(STAGES))
    expected_amount = Money(allow_none=True)
    expected_close_date = fields.Date(allow_none=True)
    probability = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100))
    product = Str(200)


class FollowupSchema(Schema):
    title = String(required=True, validate=validate.Length(min=1, max=200))
    due_date = fields.Date(required=True)
    assignee_id = Str(64)
    status = String(load_default="open", validate=validate.OneOf(("open", "done", "cancelled")))
    notes = Str(2000, multiline=True)


def versioned(schema_class):
    """The update form of a part schema: every field optional but ``version``."""
    return type(schema_class.__name__.replace("Schema", "UpdateSchema"), (schema_class,), {
        "version": fields.Integer(required=True, strict=True),
    })


class ListFilterSchema(Schema):
    q = String(validate=validate.Length(max=100))
    tier = String(validate=validate.OneOf(TIERS))
    tag = String(validate=validate.Length(max=40))
    industry = String(validate=validate.Length(max=100))
    region = String(validate=validate.Length(max=100))
    owner_id = String(validate=validate.Length(max=64))
    lifecycle = String(validate=validate.OneOf(LIFECYCLE))
    churn_risk = String(validate=validate.OneOf(("none", "low", "high")))
    site_id = String(validate=validate.Length(max=64))
    status = String(validate=validate.OneOf(STATUSES))
    parent_id = String(validate=validate.Length(max=64))
    deleted = fields.Boolean()
    sort = String(validate=validate.OneOf([
        field if not desc else "-" + field for field in (
            "legal_name", "created_at", "updated_at", "tier_rank", "annual_revenue", "completeness",
            "next_followup_date", "last_order_date") for desc in (False, True)]))

    @validates("q")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("Enter something to search for.")


class CustomerOutSchema(Schema):
    id = Id()
    site_id = String()
    legal_name = String()
    short_name = String(allow_none=True)
    tax_id = String(allow_none=True)
    external_code = String(allow_none=True)
    country = String()
    industry = String(allow_none=True)
    company_size = String(allow_none=True)
    annual_revenue = fields.Float(allow_none=True)
    main_products = fields.List(String())
    website = String(allow_none=True)
    phone = String(allow_none=True)
    email = String(allow_none=True)
    source_channel = String(allow_none=True)
    owner_id = String(allow_none=True)
    owner_left = fields.Dict(allow_none=True)
    tags = fields.List(String())
    status = String()
    account_type = String()
    parent_id = String(allow_none=True)
    addresses = fields.List(fields.Dict())
    notes = String(allow_none=True)
    lifecycle_stage = String()
    tier = fields.Dict()
    churn_risk = fields.Dict()
    completeness = fields.Integer()
    last_verified_at = fields.DateTime(allow_none=True)
    next_followup_date = String(allow_none=True)
    last_order_date = String(allow_none=True)
    deleted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()
