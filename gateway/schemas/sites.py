"""Requests and responses of factory sites and the role catalogue."""
from marshmallow import Schema, fields

from gateway.schemas.common import StrictSchema, Text, http_input, http_output
from services.accounts import contract


class RoleSchema(Schema):
    name = fields.String()
    permissions = fields.List(fields.String())


class PermissionInfoSchema(Schema):
    name = fields.String()
    description = fields.String()


class RolesSchema(Schema):
    roles = fields.List(fields.Nested(RoleSchema))
    permissions = fields.List(fields.Nested(PermissionInfoSchema))


SiteCreateSchema = http_input(contract.SiteCreateSchema, "SiteCreateSchema")
SiteUpdateSchema = http_input(contract.SiteUpdateSchema, "SiteUpdateSchema")


class DeleteSiteQuerySchema(StrictSchema):
    confirm = Text(20, min_length=1, required=True, metadata={"description": "the site's code"})


SiteSchema = http_output(contract.SiteSchema)
