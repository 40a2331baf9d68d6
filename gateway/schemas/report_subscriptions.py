"""Requests and responses of report subscriptions."""
from gateway.schemas.common import http_input, http_output
from services.notifications import contract

ReportSubscriptionCreateSchema = http_input(contract.ReportSubscriptionCreateSchema, "ReportSubscriptionCreateSchema")
ReportSubscriptionSchema = http_output(contract.ReportSubscriptionSchema)
ReportSubscriptionsSchema = http_output(contract.ReportSubscriptionsSchema)
