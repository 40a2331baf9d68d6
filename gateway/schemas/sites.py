"""Requests and responses of factory sites and the role catalogue."""
from gateway.schemas.common import StrictSchema, Text, http_input, http_output
from services.accounts import contract

RolesSchema = http_output(contract.RolesSchema)
SiteCreateSchema = http_input(contract.SiteCreateSchema, "SiteCreateSchema")
SiteUpdateSchema = http_input(contract.SiteUpdateSchema, "SiteUpdateSchema")


class DeleteSiteQuerySchema(StrictSchema):
    confirm = Text(20, min_length=1, required=True, metadata={"description": "the site's code"})


SiteSchema = http_output(contract.SiteSchema)
