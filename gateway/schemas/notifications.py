"""Requests and responses of the inbox, notification preferences and failed e-mails."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output, page_schema
from services.notifications import contract

InboxQuerySchema = http_input(contract.InboxFilterSchema, "InboxQuerySchema", base=PageQuerySchema)
NotificationSchema = http_output(contract.NotificationSchema)
InboxPageSchema = http_output(contract.InboxPageSchema, bases=(page_schema(NotificationSchema),))
ReadAllSchema = http_output(contract.ReadAllSchema)

PreferencesUpdateSchema = http_input(contract.PreferencesUpdateSchema, "PreferencesUpdateSchema")
PreferencesSchema = http_output(contract.PreferencesSchema)
FailedEmailSchema = http_output(contract.FailedEmailSchema)
