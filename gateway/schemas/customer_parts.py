"""Requests and responses of a customer's parts: contacts, orders, payments, service records,
interactions, opportunities and follow-ups."""
import copy

from marshmallow import Schema, fields

from gateway.schemas.common import VERSION_RANGE, Day, StrictSchema, Timestamp, http_input, http_output
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
    return type(create_schema.__name__.replace("Create", "Update"), (StrictSchema,), declared)


OwnerLeftSchema = http_output(contract.OwnerLeftSchema)


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


ContactCreateSchema = http_input(contract.ContactSchema)


class ContactSchema(PartSchema):
    name = fields.String()
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    phone_region = fields.String()
    email = fields.String(allow_none=True)
    primary = fields.Boolean()
    birthday = Day(allow_none=True)
    notes = fields.String(allow_none=True)


OrderLineCreateSchema = http_input(contract.OrderLineSchema)


class OrderLineSchema(Schema):
    product = fields.String()
    quantity = fields.Float()
    amount = fields.Float()


OrderCreateSchema = http_input(contract.OrderSchema)


class OrderSchema(PartSchema):
    number = fields.String()
    order_date = Day()
    lines = fields.List(fields.Nested(OrderLineSchema))
    currency = fields.String()
    status = fields.String()
    contract_end_date = Day(allow_none=True)
    total_amount = fields.Float(metadata={"description": "sum of the lines"})


PaymentCreateSchema = http_input(contract.PaymentSchema)


class PaymentSchema(PartSchema):
    payment_date = Day()
    amount = fields.Float()
    method = fields.String()
    order_number = fields.String(allow_none=True)


ServiceRecordCreateSchema = http_input(contract.ServiceRecordSchema)


class ServiceRecordSchema(PartSchema):
    service_date = Day()
    product = fields.String(allow_none=True)
    issue = fields.String()
    action = fields.String(allow_none=True)
    engineer = fields.String(allow_none=True)
    status = fields.String()


InteractionCreateSchema = http_input(contract.InteractionSchema)


class InteractionSchema(PartSchema):
    kind = fields.String()
    occurred_at = Timestamp()
    participants = fields.List(fields.String())
    summary = fields.String()
    key_points = fields.String(allow_none=True)
    decisions = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)
    next_step_date = Day(allow_none=True)


OpportunityCreateSchema = http_input(contract.OpportunitySchema)


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


FollowupCreateSchema = http_input(contract.FollowupSchema)


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
