"""Requests and responses of feedback, its per-site settings and the satisfaction report."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.feedback import contract

FeedbackCreateSchema = http_input(contract.FeedbackCreateSchema, "FeedbackCreateSchema")
FeedbackConfirmationSchema = http_input(contract.ConfirmationSchema, "FeedbackConfirmationSchema")
FeedbackUpdateSchema = http_input(contract.FeedbackUpdateSchema, "FeedbackUpdateSchema")
ResponseCreateSchema = http_input(contract.ResponseSchema)
FeedbackListQuerySchema = http_input(contract.FeedbackFilterSchema, "FeedbackListQuerySchema", base=PageQuerySchema)

# named apart from the input above (the document's name), so made before FeedbackSchema nests it
FeedbackConfirmationOutSchema = http_output(contract.ConfirmationOutSchema, "FeedbackConfirmationOutSchema")
FeedbackSchema = http_output(contract.FeedbackSchema)

FeedbackSlaHoursSchema = http_input(contract.SlaHoursSchema, "FeedbackSlaHoursSchema")
FeedbackSettingsUpdateSchema = http_input(contract.SettingsSchema, "FeedbackSettingsUpdateSchema")
FeedbackSettingsSchema = http_output(contract.FeedbackSettingsSchema)

SatisfactionQuerySchema = http_input(contract.ReportFilterSchema, "SatisfactionQuerySchema", rules=("ordered",))
SatisfactionReportSchema = http_output(contract.SatisfactionReportSchema)
