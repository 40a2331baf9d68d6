"""Requests and responses of webhooks and their deliveries."""
from marshmallow import fields

from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.notifications import contract

WebhookCreateSchema = http_input(contract.WebhookCreateSchema, "WebhookCreateSchema")
WebhookUpdateSchema = http_input(contract.WebhookUpdateSchema, "WebhookUpdateSchema")
WebhookSchema = http_output(contract.WebhookSchema)


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "signs every delivery; shown only in this answer, stored "
                                                    "encrypted"})


DeliveryQuerySchema = http_input(contract.DeliveryFilterSchema, "DeliveryQuerySchema", base=PageQuerySchema)
DeliverySchema = http_output(contract.DeliverySchema)
