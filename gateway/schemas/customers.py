"""Requests and responses of the customer archive: customers, their tiers and the 360 overview.

Input schemas check shape and bounds and turn away unknown fields; the domain rules (USCC check
digit, region-aware phone numbers, site scope, duplicates) are the customers service's, which
answers with errors naming the field. Output schemas list every field the service returns.
"""
from marshmallow import Schema, fields, pre_dump, validate

from gateway.extensions import MessagesSchema
from gateway.language import LocalizedTexts
from gateway.schemas.common import Cursor, Day, QueryInteger, StrictSchema, Timestamp, http_input, http_output
from gateway.schemas.customer_parts import (ContactSchema, FollowupSchema, InteractionSchema, OpportunitySchema,
                                            update_schema)
from services.customers import contract


class ItemsSchema(Schema):
    """An answer with a list under ``items``."""

    @pre_dump
    def with_items(self, answer, **kwargs):
        # A dict without "items" would otherwise serialise its own ``items`` method.
        return {"items": [], **answer}


AddressCreateSchema = http_input(contract.AddressSchema)


AddressSchema = http_output(contract.AddressOutSchema, "AddressSchema")


CustomerCreateSchema = http_input(contract.CustomerSchema)
CustomerUpdateSchema = update_schema(CustomerCreateSchema)


CustomerSchema = http_output(contract.CustomerOutSchema, "CustomerSchema", bases=(LocalizedTexts,))


class CandidateSchema(Schema):
    id = fields.String()
    legal_name = fields.String()


class DuplicateErrorDetailSchema(MessagesSchema):
    code = fields.String(required=True, metadata={"description": "duplicate_tax_id or possible_duplicate"})
    existing_id = fields.String(metadata={"description": "duplicate_tax_id: the customer with this tax id"})
    candidates = fields.List(fields.Nested(CandidateSchema), metadata={"description": "the similar customers"})


class DuplicateErrorSchema(Schema):
    error = fields.Nested(DuplicateErrorDetailSchema, required=True)


CustomerFilterSchema = http_input(contract.ListFilterSchema, "CustomerFilterSchema")


class CustomerListQuerySchema(http_input(contract.ListQuerySchema, "CustomerListFilterSchema")):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500),
                         metadata={"description": "Items per page (1-500)"})
    cursor = Cursor()


class CreateCustomerQuerySchema(StrictSchema):
    force = fields.Boolean(load_default=False, metadata={"description": "create despite similar customers"})


class DeleteCustomerQuerySchema(StrictSchema):
    erase = fields.Boolean(load_default=False, metadata={
        "description": "erase the personal data of the customer and its parts now, instead of a soft delete "
                       "(restorable for 30 days, then erased the same way); a soft-deleted customer may be erased"})


TierOverrideSchema = http_input(contract.TierOverrideSchema, "TierOverrideSchema")


class TierChangeSchema(LocalizedTexts):
    id = fields.String()
    customer_id = fields.String()
    site_id = fields.String()
    at = Timestamp()
    old_tier = fields.String(allow_none=True)
    new_tier = fields.String()
    reasons = fields.List(fields.String(), metadata={"description": "in the request's language"})
    reasons_details = fields.List(fields.Dict(), metadata={"description": "each reason's {code, params}"})
    overridden = fields.Boolean()
    by = fields.String(allow_none=True, metadata={"description": "the user, or the service for computed changes"})


class TierHistorySchema(ItemsSchema):
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
    reason = fields.String(allow_none=True, metadata={"description": "in the request's language"})
    reason_details = fields.Dict(allow_none=True, metadata={"description": "the reason's {code, params}"})
    followup = fields.Nested(FollowupSchema, allow_none=True)


class ChildAccountSchema(Schema):
    id = fields.String()
    legal_name = fields.String()
    account_type = fields.String(allow_none=True)
    site_id = fields.String()
    tier = fields.String(allow_none=True)


class OverviewSchema(LocalizedTexts):
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
