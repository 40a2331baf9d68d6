"""Requests and responses of the reports on customers."""
from gateway.language import LocalizedTexts, localized_reasons
from gateway.schemas.common import http_input, http_output
from gateway.schemas.customers import ItemsSchema
from services.customers import contract

ReportQuerySchema = http_input(contract.ReportFilterSchema, "ReportQuerySchema", rules=("ordered",))

TierReportSchema = http_output(contract.TierReportSchema)
SalesReportSchema = http_output(contract.SalesReportSchema)
FunnelReportSchema = http_output(contract.FunnelReportSchema)

AtRiskSchema = http_output(contract.AtRiskSchema, bases=(LocalizedTexts,), **localized_reasons())
ChurnReportSchema = http_output(contract.ChurnReportSchema, bases=(ItemsSchema,))
