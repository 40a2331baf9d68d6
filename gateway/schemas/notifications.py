"""Requests and responses of the inbox, notification preferences and failed e-mails."""
from marshmallow import Schema, fields

from gateway.schemas.common import PageQuerySchema, PageSchema, http_input, http_output
from services.notifications import contract

InboxQuerySchema = http_input(contract.InboxFilterSchema, "InboxQuerySchema", base=PageQuerySchema)
NotificationSchema = http_output(contract.NotificationSchema)


class InboxPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(metadata={"description": "the caller's unread items"})


class ReadAllSchema(Schema):
    updated = fields.Integer(metadata={"description": "items marked read"})


PreferencesUpdateSchema = http_input(contract.PreferencesUpdateSchema, "PreferencesUpdateSchema")
PreferencesSchema = http_output(contract.PreferencesSchema)
FailedEmailSchema = http_output(contract.FailedEmailSchema)
