"""Requests and responses of saved views of the customer list."""
from marshmallow import Schema, fields

from gateway.schemas.common import JsonBoolean, Timestamp, http_input
from gateway.schemas.customers import CustomerFilterSchema, ItemsSchema
from services.customers import contract


class ViewFilterSchema(CustomerFilterSchema):
    """The filters of a saved view: JSON, so a boolean is ``true`` or ``false`` only."""

    deleted = JsonBoolean(metadata={"description": "true: the soft-deleted ones instead"})


ViewCreateSchema = http_input(contract.ViewSchema, "ViewCreateSchema", filters=fields.Nested(ViewFilterSchema))


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
