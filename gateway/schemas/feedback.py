"""Requests and responses of feedback, its per-site settings and the satisfaction report."""
from marshmallow import Schema, fields

from gateway.schemas.common import PageQuerySchema, Timestamp, http_input
from services.feedback import contract

FeedbackCreateSchema = http_input(contract.FeedbackCreateSchema, "FeedbackCreateSchema")
FeedbackConfirmationSchema = http_input(contract.ConfirmationSchema, "FeedbackConfirmationSchema")
FeedbackUpdateSchema = http_input(contract.FeedbackUpdateSchema, "FeedbackUpdateSchema")
ResponseCreateSchema = http_input(contract.ResponseSchema)
FeedbackListQuerySchema = http_input(contract.FeedbackFilterSchema, "FeedbackListQuerySchema", base=PageQuerySchema)


class FeedbackResponseSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    author_id = fields.String()
    at = Timestamp()


class FeedbackHistoryEntrySchema(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    at = Timestamp()
    by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class FeedbackConfirmationOutSchema(Schema):
    confirmed = fields.Boolean()
    note = fields.String(allow_none=True)
    at = Timestamp()
    recorded_by = fields.String()


class FeedbackSourceSchema(Schema):
    survey_id = fields.String()
    link_id = fields.String()


class AssigneeLeftSchema(Schema):
    user_id = fields.String()
    at = Timestamp()


class FeedbackSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    customer_id = fields.String()
    contact_id = fields.String(allow_none=True)
    channel = fields.String()
    type = fields.String()
    category = fields.String()
    severity = fields.String()
    rating = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    subject = fields.String(allow_none=True)
    text = fields.String()
    order_id = fields.String(allow_none=True)
    service_record_id = fields.String(allow_none=True)
    status = fields.String()
    assignee_id = fields.String(allow_none=True)
    assignee_left = fields.Nested(AssigneeLeftSchema, allow_none=True, metadata={
        "description": "set when the item went back to its site's queue because its assignee was disabled, "
                       "deleted, lost feedback:write or left the item's site"})
    due_at = Timestamp()
    overdue = fields.Boolean()
    sla_breached_at = Timestamp(allow_none=True)
    sla_met = fields.Boolean(allow_none=True, metadata={"description": "null until resolved or breached"})
    responses = fields.List(fields.Nested(FeedbackResponseSchema))
    history = fields.List(fields.Nested(FeedbackHistoryEntrySchema))
    resolution_summary = fields.String(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    first_resolved_at = Timestamp(allow_none=True)
    closed_at = Timestamp(allow_none=True)
    customer_confirmation = fields.Nested(FeedbackConfirmationOutSchema, allow_none=True)
    reopened_count = fields.Integer()
    source = fields.Nested(FeedbackSourceSchema, allow_none=True,
                           metadata={"description": "the survey answer it came from"})
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    status_changed_at = Timestamp()
    version = fields.Integer()


FeedbackSlaHoursSchema = http_input(contract.SlaHoursSchema, "FeedbackSlaHoursSchema")
FeedbackSettingsUpdateSchema = http_input(contract.SettingsSchema, "FeedbackSettingsUpdateSchema")


class FeedbackSettingsSchema(Schema):
    site_id = fields.String()
    categories = fields.List(fields.String())
    sla_hours = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "hours per severity"})
    version = fields.Integer()


class NpsSchema(Schema):
    score = fields.Float(allow_none=True, metadata={"description": "% promoters - % detractors, -100..100"})
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    count = fields.Integer()


SatisfactionQuerySchema = http_input(contract.ReportFilterSchema, "SatisfactionQuerySchema", rules=("ordered",))


class FeedbackCountsSchema(Schema):
    total = fields.Integer()
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_severity = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())


class TopCategorySchema(Schema):
    category = fields.String()
    complaints = fields.Integer()
    share = fields.Float(allow_none=True)


class CsatSchema(Schema):
    average = fields.Float(allow_none=True, metadata={"description": "mean rating 1-5"})
    satisfied_share = fields.Float(allow_none=True, metadata={"description": "share of ratings 4-5"})
    count = fields.Integer()


class SurveyResponseRateSchema(Schema):
    sent = fields.Integer()
    answered = fields.Integer()
    rate = fields.Float(allow_none=True)


class SlaComplianceSchema(Schema):
    met = fields.Integer()
    missed = fields.Integer()
    compliance = fields.Float(allow_none=True)


class SatisfactionTrendSchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (UTC)"})
    feedback = fields.Integer()
    complaints = fields.Integer()
    responses = fields.Integer()
    csat_average = fields.Float(allow_none=True)
    nps = fields.Float(allow_none=True)


class SatisfactionFiltersSchema(Schema):
    site_id = fields.String(allow_none=True)
    since = fields.String(allow_none=True)
    until = fields.String(allow_none=True)


class SatisfactionReportSchema(Schema):
    filters = fields.Nested(SatisfactionFiltersSchema)
    feedback = fields.Nested(FeedbackCountsSchema)
    top_categories = fields.List(fields.Nested(TopCategorySchema))
    csat = fields.Nested(CsatSchema)
    nps = fields.Nested(NpsSchema)
    response_rate = fields.Nested(SurveyResponseRateSchema)
    sla = fields.Nested(SlaComplianceSchema)
    median_hours_to_resolve = fields.Float(allow_none=True)
    trend = fields.List(fields.Nested(SatisfactionTrendSchema))
