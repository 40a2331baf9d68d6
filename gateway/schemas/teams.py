"""Requests and responses of a site's sales teams."""
from gateway.schemas.common import http_input, http_output
from gateway.schemas.customers import ItemsSchema
from services.accounts import contract

TeamCreateSchema = http_input(contract.TeamCreateSchema, "TeamCreateSchema")
TeamUpdateSchema = http_input(contract.TeamUpdateSchema, "TeamUpdateSchema")
TeamListQuerySchema = http_input(contract.TeamFilterSchema, "TeamListQuerySchema")
TeamSchema = http_output(contract.TeamSchema)
TeamListSchema = http_output(contract.TeamListSchema, bases=(ItemsSchema,))
