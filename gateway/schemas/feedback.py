"""Requests and responses of feedback, surveys and the satisfaction report."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import VERSION_RANGE, JsonBoolean, PageQuerySchema, StrictSchema, String, Text, Timestamp

CHANNELS = ("phone", "email", "web", "wechat", "visit", "survey")
TYPES = ("complaint", "suggestion", "praise", "question")
SEVERITIES = ("critical", "high", "normal", "low")
STATUSES = ("open", "assigned", "in_progress", "resolved", "closed")
QUESTION_KINDS = ("rating", "nps", "choice", "text")
SORTS = ("created_at", "updated_at", "due_at", "severity")
KEY = r"^[a-z][a-z0-9_]{0,39}$"
ID_MAX = 64


def Id(**kwargs):
    return Text(ID_MAX, min_length=1, **kwargs)


def Key(**kwargs):
    return String(validate=validate.Regexp(KEY, error="Lower-case letters, digits and _ (max 40)."), **kwargs)


def Choice(values, **kwargs):
    return fields.String(validate=validate.OneOf(values), **kwargs)


def Hours():
    return fields.Float(allow_nan=False, validate=validate.Range(min=0.25, max=8760))


# Feedback items

class FeedbackCreateSchema(StrictSchema):
    customer_id = Id(required=True)
    contact_id = Id(allow_none=True)
    channel = Choice(CHANNELS, required=True)
    type = Choice(TYPES, required=True)
    category = Key(required=True, metadata={"description": "one of the site's categories"})
    severity = Choice(SEVERITIES, metadata={"description": "default normal"})
    rating = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=5))
    subject = Text(200, allow_none=True)
    text = Text(4000, min_length=1, required=True, multiline=True)
    order_id = Id(allow_none=True)
    service_record_id = Id(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True, default_timezone=timezone.utc, metadata={
        "description": "a deadline agreed with the customer; default and latest: the SLA of the severity"})


class FeedbackConfirmationSchema(StrictSchema):
    confirmed = JsonBoolean(required=True)
    note = Text(1000, allow_none=True, multiline=True)


class FeedbackUpdateSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read"})
    status = Choice(STATUSES, metadata={"description": "a move the workflow allows (409 names them)"})
    assignee_id = Id(metadata={"description": "an active user of the site with feedback:write"})
    severity = Choice(SEVERITIES)
    category = Key()
    subject = Text(200, allow_none=True)
    order_id = Id(allow_none=True)
    service_record_id = Id(allow_none=True)
    resolution_summary = Text(2000, min_length=1, multiline=True, metadata={"description": "required to resolve"})
    customer_confirmation = fields.Nested(FeedbackConfirmationSchema)
    note = Text(1000, allow_none=True, multiline=True, metadata={"description": "why the status changed"})


class ResponseCreateSchema(StrictSchema):
    kind = Choice(("note", "reply"), required=True, metadata={"description": "internal note or reply to the customer"})
    text = Text(4000, min_length=1, required=True, multiline=True)


class FeedbackListQuerySchema(PageQuerySchema):
    status = Choice(STATUSES)
    severity = Choice(SEVERITIES)
    category = Text(40)
    channel = Choice(CHANNELS)
    type = Choice(TYPES)
    assignee_id = Text(ID_MAX)
    customer_id = Text(ID_MAX)
    site_id = Text(ID_MAX)
    overdue = fields.Boolean(metadata={"description": "open and past its due time"})
    sort = Choice([p + f for f in SORTS for p in ("", "-")], metadata={"description": "default -created_at"})


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


class FeedbackSlaHoursSchema(StrictSchema):
    critical = Hours()
    high = Hours()
    normal = Hours()
    low = Hours()


class FeedbackSettingsUpdateSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read (0 at first)"})
    categories = fields.List(Key(), validate=validate.Length(min=1, max=30))
    sla_hours = fields.Nested(FeedbackSlaHoursSchema)


class FeedbackSettingsSchema(Schema):
    site_id = fields.String()
    categories = fields.List(fields.String())
    sla_hours = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "hours per severity"})
    version = fields.Integer()


# Surveys

class SurveyQuestionCreateSchema(StrictSchema):
    id = Key(metadata={"description": "default q1, q2, ... by position"})
    kind = Choice(QUESTION_KINDS, required=True)
    text = Text(500, min_length=1, required=True)
    required = JsonBoolean(metadata={"description": "default true"})
    options = fields.List(Text(200, min_length=1), validate=validate.Length(min=2, max=20),
                          metadata={"description": "single choice only"})
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=4000),
                                metadata={"description": "free text only; default 2000"})


class SurveyCreateSchema(StrictSchema):
    title = Text(200, min_length=1, required=True)
    intro = Text(2000, allow_none=True, multiline=True)
    language = Choice(("zh-CN", "en"), metadata={"description": "default zh-CN"})
    site_id = Id(metadata={"description": "default your first site"})
    questions = fields.List(fields.Nested(SurveyQuestionCreateSchema), required=True,
                            validate=validate.Length(min=1, max=50))


class SurveyUpdateSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    site_id = Id(required=True, metadata={"description": "the site to move the survey to: one of yours, active"})


class SurveyQuestionSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String())
    max_length = fields.Integer()


class SurveySchema(Schema):
    id = fields.String()
    site_id = fields.String()
    title = fields.String()
    intro = fields.String(allow_none=True)
    language = fields.String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    sent_count = fields.Integer()
    response_count = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class NpsSchema(Schema):
    score = fields.Float(allow_none=True, metadata={"description": "% promoters - % detractors, -100..100"})
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    count = fields.Integer()


class SurveyQuestionResultSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    answered = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "rating and NPS questions"})
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(),
                               metadata={"description": "answers per value (rating, NPS) or per option (choice)"})
    satisfied_share = fields.Float(allow_none=True, metadata={"description": "rating: share of 4 and 5"})
    nps = fields.Nested(NpsSchema, metadata={"description": "NPS questions"})
    texts = fields.List(fields.String(), metadata={"description": "free text: the latest 50 answers"})


class SurveyResponseSchema(Schema):
    link_id = fields.String()
    customer_id = fields.String()
    contact_id = fields.String()
    name = fields.String(allow_none=True)
    answered_at = Timestamp()
    rating = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    answers = fields.Dict(keys=fields.String(), metadata={"description": "question id → answer"})
    feedback_id = fields.String(allow_none=True, metadata={"description": "the follow-up item of a low score"})


class SurveyResultsSchema(Schema):
    survey_id = fields.String()
    sent = fields.Integer()
    answered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    questions = fields.List(fields.Nested(SurveyQuestionResultSchema))
    responses = fields.List(fields.Nested(SurveyResponseSchema))


class SurveySendSchema(StrictSchema):
    customer_id = Id(required=True)
    contact_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))


class SurveyRecipientSchema(Schema):
    contact_id = fields.String()
    name = fields.String()
    email = fields.String()
    link_id = fields.String()


class SurveySendResultSchema(Schema):
    survey_id = fields.String()
    customer_id = fields.String()
    expires_at = Timestamp()
    sent = fields.List(fields.Nested(SurveyRecipientSchema))


class PublicSurveySchema(Schema):
    title = fields.String()
    intro = fields.String(allow_none=True)
    language = fields.String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    recipient = fields.String(allow_none=True)
    expires_at = Timestamp()


class SurveyAnswerSchema(StrictSchema):
    answers = fields.Dict(keys=String(), values=fields.Raw(), required=True, metadata={
        "description": "{question id: answer}; a form post sends one field per question instead"})


class SurveyAnswerResultSchema(Schema):
    status = fields.String()
    message = fields.String()


# The satisfaction report

class SatisfactionQuerySchema(StrictSchema):
    site_id = Id(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=timezone.utc)
    until = fields.AwareDateTime(default_timezone=timezone.utc)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before since.", "until")


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
