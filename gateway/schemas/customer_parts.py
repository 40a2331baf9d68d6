"""Requests and responses of a customer's parts: contacts, orders, payments, service records,
interactions, opportunities and follow-ups."""
import copy

from marshmallow import fields

from gateway.schemas.common import VERSION_RANGE, StrictSchema, http_input, http_output
from services.customers import contract


def Version():
    return fields.Integer(strict=True, required=True, validate=VERSION_RANGE,
                          metadata={"description": "the version you read; stale is 409"})


def update_schema(create_schema):
    """The PATCH form of ``create_schema``: every field optional, ``version`` required.

    Create schemas set no load defaults, so a PATCH carries only what the caller sent.
    """
    declared = {}
    for name, field in create_schema._declared_fields.items():
        declared[name] = copy.copy(field)
        declared[name].required = False
    declared["version"] = Version()
    declared["CONTRACT"] = create_schema.CONTRACT
    return type(create_schema.__name__.replace("Create", "Update"), (StrictSchema,), declared)


OwnerLeftSchema = http_output(contract.OwnerLeftSchema)

ContactCreateSchema = http_input(contract.ContactSchema)
ContactSchema = http_output(contract.ContactOutSchema)
OrderLineCreateSchema = http_input(contract.OrderLineSchema)
OrderCreateSchema = http_input(contract.OrderSchema)
OrderSchema = http_output(contract.OrderOutSchema)
PaymentCreateSchema = http_input(contract.PaymentSchema)
PaymentSchema = http_output(contract.PaymentOutSchema)
ServiceRecordCreateSchema = http_input(contract.ServiceRecordSchema)
ServiceRecordSchema = http_output(contract.ServiceRecordOutSchema)
InteractionCreateSchema = http_input(contract.InteractionSchema)
InteractionSchema = http_output(contract.InteractionOutSchema)
OpportunityCreateSchema = http_input(contract.OpportunitySchema)
OpportunitySchema = http_output(contract.OpportunityOutSchema)
FollowupCreateSchema = http_input(contract.FollowupSchema)
FollowupSchema = http_output(contract.FollowupOutSchema)

ContactUpdateSchema = update_schema(ContactCreateSchema)
OrderUpdateSchema = update_schema(OrderCreateSchema)
PaymentUpdateSchema = update_schema(PaymentCreateSchema)
ServiceRecordUpdateSchema = update_schema(ServiceRecordCreateSchema)
InteractionUpdateSchema = update_schema(InteractionCreateSchema)
OpportunityUpdateSchema = update_schema(OpportunityCreateSchema)
FollowupUpdateSchema = update_schema(FollowupCreateSchema)
