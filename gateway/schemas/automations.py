"""Requests and responses of automation rules, their runs and templates."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.notifications import contract

AutomationCreateSchema = http_input(contract.AutomationCreateSchema, "AutomationCreateSchema")
AutomationUpdateSchema = http_input(contract.AutomationUpdateSchema, "AutomationUpdateSchema")
AutomationTestSchema = http_input(contract.AutomationTestSchema, "AutomationTestSchema")
AutomationRunQuerySchema = http_input(contract.AutomationRunFilterSchema, "AutomationRunQuerySchema",
                                      base=PageQuerySchema)
AutomationSchema = http_output(contract.AutomationSchema)
AutomationRunSchema = http_output(contract.AutomationRunSchema)
AutomationTestResultSchema = http_output(contract.AutomationTestResultSchema)
AutomationTemplateSchema = http_output(contract.AutomationTemplateSchema)
AutomationTemplatesSchema = http_output(contract.AutomationTemplatesSchema)
ActivityReportQuerySchema = http_input(contract.ActivityReportFilterSchema, "ActivityReportQuerySchema")
AutomationReportSchema = http_output(contract.AutomationReportSchema)
CampaignReportSchema = http_output(contract.CampaignReportSchema)
