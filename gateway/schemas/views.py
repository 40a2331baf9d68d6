"""Requests and responses of saved views of the customer list."""
from marshmallow import fields

from gateway.schemas.common import JsonBoolean, http_input, http_output
from gateway.schemas.customers import CustomerFilterSchema, ItemsSchema
from services.customers import contract


class ViewFilterSchema(CustomerFilterSchema):
    """The filters of a saved view: JSON, so a boolean is ``true`` or ``false`` only."""

    deleted = JsonBoolean(metadata={"description": "true: the soft-deleted ones instead"})


ViewCreateSchema = http_input(contract.ViewSchema, "ViewCreateSchema", filters=fields.Nested(ViewFilterSchema))
ViewSchema = http_output(contract.ViewOutSchema)
ViewListSchema = http_output(contract.ViewListSchema, bases=(ItemsSchema,))
