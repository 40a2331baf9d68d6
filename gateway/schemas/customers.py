"""Requests and responses of the customer archive: customers, their tiers and the 360 overview.

Input schemas check shape and bounds and turn away unknown fields; the domain rules (USCC check
digit, region-aware phone numbers, site scope, duplicates) are the customers service's, which
answers with errors naming the field. Output schemas are the service contract's (``http_output``).
"""
from marshmallow import Schema, fields, pre_dump, validate

from gateway.extensions import MessagesSchema
from gateway.language import LocalizedTexts, localized_reason, localized_reasons
from gateway.schemas.common import Cursor, QueryInteger, StrictSchema, http_input, http_output
from gateway.schemas.customer_parts import update_schema
from services.customers import contract


class ItemsSchema(Schema):
    """An answer with a list under ``items``."""

    @pre_dump
    def with_items(self, answer, **kwargs):
        # A dict without "items" would otherwise serialise its own ``items`` method.
        return {"items": [], **answer}


AddressCreateSchema = http_input(contract.AddressSchema)


AddressSchema = http_output(contract.AddressOutSchema)


CustomerCreateSchema = http_input(contract.CustomerSchema)
CustomerUpdateSchema = update_schema(CustomerCreateSchema)


CustomerSchema = http_output(contract.CustomerOutSchema, bases=(LocalizedTexts,))


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


TierChangeSchema = http_output(contract.TierChangeSchema, bases=(LocalizedTexts,), **localized_reasons())
TierHistorySchema = http_output(contract.TierHistorySchema, bases=(ItemsSchema,))

NextFollowupSchema = http_output(contract.NextFollowupSchema, **localized_reason())
OverviewSchema = http_output(contract.OverviewSchema, bases=(LocalizedTexts,))
