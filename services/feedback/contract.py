"""The feedback service's public face: its enumerations, the shapes of its RPC inputs and outputs,
and its event catalogue. The gateway and the other services import the feedback service only
through this module."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.envelope import AUDIT_FIELDS, Catalogue
from services.common.schemas import (
    ID_MAX, LANGUAGES, VERSION_RANGE, Choice, Ident, JsonBoolean, Opt, OrderedPeriod, String, Text, Timestamp,
)

SEVERITIES = ("critical", "high", "normal", "low")
STATUSES = ("open", "assigned", "in_progress", "resolved", "closed")
CHANNELS = ("phone", "email", "web", "wechat", "visit", "survey")
TYPES = ("complaint", "suggestion", "praise", "question")
QUESTION_KINDS = ("rating", "nps", "choice", "text")
SORTS = ("created_at", "updated_at", "due_at", "severity")
SORT_ORDERS = tuple(prefix + name for name in SORTS for prefix in ("", "-"))
RESPONSE_KINDS = ("note", "reply")
# The categories a site starts with (its settings may change them).
DEFAULT_CATEGORIES = ("quality", "delivery", "price", "service", "documentation", "other")
KEY = r"^[a-z][a-z0-9_]{0,39}$"  # a survey question's key


def Key(**kwargs):
    return String(validate=validate.Regexp(KEY, error="Lower-case letters, digits and _ (max 40)."), **kwargs)


# Inputs. Each field says its bounds and, where the service applies one, its default; the gateway's
# HTTP forms are derived from these (strict, and without the defaults).

class FeedbackCreateSchema(Schema):
    customer_id = Ident(required=True)
    contact_id = Ident(allow_none=True)
    channel = Choice(CHANNELS, required=True)
    type = Choice(TYPES, required=True)
    category = Key(required=True, metadata={"description": "one of the site's categories"})
    severity = Choice(SEVERITIES, load_default="normal", metadata={"description": "default normal"})
    rating = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=5))
    subject = Opt(200)
    text = Text(4000, min_length=1, required=True, multiline=True)
    order_id = Ident(allow_none=True)
    service_record_id = Ident(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True, default_timezone=timezone.utc, metadata={
        "description": "a deadline agreed with the customer; default and latest: the SLA of the severity"})


class ConfirmationSchema(Schema):
    confirmed = JsonBoolean(required=True)
    note = Opt(1000, multiline=True)


class FeedbackUpdateSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read"})
    status = Choice(STATUSES, metadata={"description": "a move the workflow allows (409 names them)"})
    assignee_id = Ident(metadata={"description": "an active user of the site with feedback:write"})
    severity = Choice(SEVERITIES)
    category = Key()
    subject = Opt(200)
    order_id = Ident(allow_none=True)
    service_record_id = Ident(allow_none=True)
    resolution_summary = Text(2000, min_length=1, multiline=True, metadata={"description": "required to resolve"})
    customer_confirmation = fields.Nested(ConfirmationSchema)
    note = Opt(1000, multiline=True, metadata={"description": "why the status changed"})


class ResponseSchema(Schema):
    kind = Choice(RESPONSE_KINDS, required=True, metadata={"description": "internal note or reply to the customer"})
    text = Text(4000, min_length=1, required=True, multiline=True)


class FeedbackFilterSchema(Schema):
    status = Choice(STATUSES)
    severity = Choice(SEVERITIES)
    category = Text(40)
    channel = Choice(CHANNELS)
    type = Choice(TYPES)
    assignee_id = Text(ID_MAX)
    customer_id = Text(ID_MAX)
    site_id = Text(ID_MAX)
    overdue = fields.Boolean(metadata={"description": "open and past its due time"})
    sort = Choice(SORT_ORDERS, metadata={"description": "default -created_at"})


def Hours():
    return fields.Float(allow_nan=False, validate=validate.Range(min=0.25, max=8760))


class SlaHoursSchema(Schema):
    critical = Hours()
    high = Hours()
    normal = Hours()
    low = Hours()


class SettingsSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read (0 at first)"})
    categories = fields.List(Key(), validate=validate.Length(min=1, max=30))
    sla_hours = fields.Nested(SlaHoursSchema)

    @validates("categories")
    def distinct(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Each category once.")


class QuestionSchema(Schema):
    id = Key(metadata={"description": "default q1, q2, ... by position"})
    kind = Choice(QUESTION_KINDS, required=True)
    text = Text(500, min_length=1, required=True)
    required = JsonBoolean(load_default=True, metadata={"description": "default true"})
    options = fields.List(Text(200, min_length=1), validate=validate.Length(min=2, max=20),
                          metadata={"description": "single choice only"})
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=4000),
                                metadata={"description": "free text only; default 2000"})

    @validates_schema
    def options_for_choice_only(self, data, **kwargs):
        if data["kind"] == "choice" and not data.get("options"):
            raise ValidationError("A single-choice question needs its options.", "options")
        if data["kind"] != "choice" and data.get("options"):
            raise ValidationError("Only single-choice questions have options.", "options")
        if data.get("options") and len(set(data["options"])) != len(data["options"]):
            raise ValidationError("Each option once.", "options")
        if data["kind"] != "text" and data.get("max_length"):
            raise ValidationError("Only free-text questions have a maximum length.", "max_length")


class SurveyCreateSchema(Schema):
    title = Text(200, min_length=1, required=True)
    intro = Opt(2000, multiline=True)
    language = Choice(LANGUAGES, load_default="zh-CN", metadata={"description": "default zh-CN"})
    site_id = Ident(metadata={"description": "default your first site"})
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=50))

    @validates("questions")
    def distinct_ids(self, value, **kwargs):
        ids = [q["id"] for q in value if q.get("id")]
        if len(set(ids)) != len(ids):
            raise ValidationError("Question ids must differ.")


class SurveyUpdateSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    site_id = Ident(required=True, metadata={"description": "the site to move the survey to: one of yours, active"})


class SendSchema(Schema):
    customer_id = Ident(required=True)
    contact_ids = fields.List(Ident(), required=True, validate=validate.Length(min=1, max=100))


class ReportFilterSchema(OrderedPeriod):
    site_id = Ident(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=timezone.utc)
    until = fields.AwareDateTime(default_timezone=timezone.utc)


STAFF_PERIOD_MAX_DAYS = 366


class StaffMeasuresQuerySchema(OrderedPeriod):
    site_id = Ident(required=True)
    since = fields.Date(required=True, metadata={"description": "first day, in the site's time zone"})
    until = fields.Date(required=True, metadata={"description": "last day (included), in the site's time zone"})

    @validates_schema
    def short_enough(self, data, **kwargs):
        since, until = data.get("since"), data.get("until")
        if since and until and (until - since).days >= STAFF_PERIOD_MAX_DAYS:
            raise ValidationError("At most %d days from since." % STAFF_PERIOD_MAX_DAYS, "until")


# Outputs

class FeedbackResponseSchema(Schema):
    id = String()
    kind = String()
    text = String()
    author_id = String()
    at = Timestamp()


class FeedbackHistoryEntrySchema(Schema):
    from_ = String(data_key="from", attribute="from", allow_none=True)
    to = String()
    at = Timestamp()
    by = String(allow_none=True)
    note = String(allow_none=True)


class ConfirmationOutSchema(Schema):
    confirmed = fields.Boolean()
    note = String(allow_none=True)
    at = Timestamp()
    recorded_by = String()


class FeedbackSourceSchema(Schema):
    survey_id = String()
    link_id = String()


class AssigneeLeftSchema(Schema):
    user_id = String()
    at = Timestamp()


class FeedbackSchema(Schema):
    id = String()
    site_id = String()
    customer_id = String()
    contact_id = String(allow_none=True)
    channel = String()
    type = String()
    category = String()
    severity = String()
    rating = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    subject = String(allow_none=True)
    text = String()
    order_id = String(allow_none=True)
    service_record_id = String(allow_none=True)
    status = String()
    assignee_id = String(allow_none=True)
    assignee_left = fields.Nested(AssigneeLeftSchema, allow_none=True, metadata={
        "description": "set when the item went back to its site's queue because its assignee was disabled, "
                       "deleted, lost feedback:write or left the item's site"})
    due_at = Timestamp()
    overdue = fields.Boolean()
    sla_breached_at = Timestamp(allow_none=True)
    sla_met = fields.Boolean(allow_none=True, metadata={"description": "null until resolved or breached"})
    responses = fields.List(fields.Nested(FeedbackResponseSchema))
    history = fields.List(fields.Nested(FeedbackHistoryEntrySchema))
    resolution_summary = String(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolved_by = String(allow_none=True)
    first_resolved_at = Timestamp(allow_none=True)
    first_resolved_assignee_id = String(allow_none=True, metadata={
        "description": "the assignee when the item was first resolved (staff performance counts it theirs)"})
    closed_at = Timestamp(allow_none=True)
    customer_confirmation = fields.Nested(ConfirmationOutSchema, allow_none=True)
    reopened_count = fields.Integer()
    source = fields.Nested(FeedbackSourceSchema, allow_none=True,
                           metadata={"description": "the survey answer it came from"})
    created_by = String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    status_changed_at = Timestamp()
    version = fields.Integer()


class FeedbackSettingsSchema(Schema):
    site_id = String()
    categories = fields.List(String())
    sla_hours = fields.Dict(keys=String(), values=fields.Float(), metadata={"description": "hours per severity"})
    version = fields.Integer()


class NpsSchema(Schema):
    score = fields.Float(allow_none=True, metadata={"description": "% promoters - % detractors, -100..100"})
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    count = fields.Integer()


class FeedbackCountsSchema(Schema):
    total = fields.Integer()
    by_category = fields.Dict(keys=String(), values=fields.Integer())
    by_severity = fields.Dict(keys=String(), values=fields.Integer())
    by_type = fields.Dict(keys=String(), values=fields.Integer())
    by_channel = fields.Dict(keys=String(), values=fields.Integer())


class TopCategorySchema(Schema):
    category = String()
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
    month = String(metadata={"description": "YYYY-MM (UTC)"})
    feedback = fields.Integer()
    complaints = fields.Integer()
    responses = fields.Integer()
    csat_average = fields.Float(allow_none=True)
    nps = fields.Float(allow_none=True)


class SatisfactionFiltersSchema(Schema):
    site_id = String(allow_none=True)
    since = String(allow_none=True)
    until = String(allow_none=True)


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


class SurveyQuestionSchema(Schema):
    id = String()
    kind = String()
    text = String()
    required = fields.Boolean()
    options = fields.List(String())
    max_length = fields.Integer()


class SurveySchema(Schema):
    id = String()
    site_id = String()
    title = String()
    intro = String(allow_none=True)
    language = String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    sent_count = fields.Integer()
    response_count = fields.Integer()
    created_by = String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class SurveyQuestionResultSchema(Schema):
    id = String()
    kind = String()
    text = String()
    answered = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "rating and NPS questions"})
    distribution = fields.Dict(keys=String(), values=fields.Integer(),
                               metadata={"description": "answers per value (rating, NPS) or per option (choice)"})
    satisfied_share = fields.Float(allow_none=True, metadata={"description": "rating: share of 4 and 5"})
    nps = fields.Nested(NpsSchema, metadata={"description": "NPS questions"})
    texts = fields.List(String(), metadata={"description": "free text: the latest 50 answers"})


class SurveyResponseSchema(Schema):
    link_id = String()
    customer_id = String()
    contact_id = String()
    name = String(allow_none=True)
    answered_at = Timestamp()
    rating = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    answers = fields.Dict(keys=String(), metadata={"description": "question id → answer"})
    feedback_id = String(allow_none=True, metadata={"description": "the follow-up item of a low score"})


class SurveyResultsSchema(Schema):
    survey_id = String()
    sent = fields.Integer()
    answered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    questions = fields.List(fields.Nested(SurveyQuestionResultSchema))
    responses = fields.List(fields.Nested(SurveyResponseSchema))


class SurveyRecipientSchema(Schema):
    contact_id = String()
    name = String()
    email = String()
    link_id = String()


class SurveySendResultSchema(Schema):
    survey_id = String()
    customer_id = String()
    expires_at = Timestamp()
    sent = fields.List(fields.Nested(SurveyRecipientSchema))


class PublicSurveySchema(Schema):
    title = String()
    intro = String(allow_none=True)
    language = String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    recipient = String(allow_none=True)
    expires_at = Timestamp()


class AssigneeMeasuresSchema(Schema):
    assigned = fields.Integer(metadata={"description": "items made in the period now assigned to the user"})
    resolved = fields.Integer(metadata={"description": "items first resolved in the period, by their assignee then"})
    resolved_within_sla = fields.Integer()
    median_hours_to_resolve = fields.Float(allow_none=True)
    resolve_hours = fields.List(fields.Float(), metadata={
        "description": "hours from creation to first resolution of each item resolved, ascending"})


class CustomerMeasuresSchema(Schema):
    csat_sum = fields.Integer(metadata={"description": "sum of the survey answers' ratings (1-5)"})
    csat_count = fields.Integer()
    promoters = fields.Integer(metadata={"description": "NPS answers 9-10"})
    passives = fields.Integer(metadata={"description": "NPS answers 7-8"})
    detractors = fields.Integer(metadata={"description": "NPS answers 0-6"})


class StaffMeasuresSchema(Schema):
    assignees = fields.Dict(keys=String(), values=fields.Nested(AssigneeMeasuresSchema),
                            metadata={"description": "user id -> measures"})
    customers = fields.Dict(keys=String(), values=fields.Nested(CustomerMeasuresSchema),
                            metadata={"description": "customer id -> survey scores"})


class SurveyAnswerResultSchema(Schema):
    status = String()
    message = String()


# Events (exchange ``feedback.events``; docs/events.md)

CATALOGUE = Catalogue("feedback", {
    "feedback_received": ("feedback_id", "customer_id", "contact_id", "channel", "type", "category", "severity",
                          "rating", "nps", "due_at"),
    "feedback_assigned": ("feedback_id", "customer_id", "assignee_id", "previous_assignee_id", "due_at"),
    "feedback_status_changed": ("feedback_id", "customer_id", "old_status", "new_status", "reopened"),
    "feedback_resolved": ("feedback_id", "customer_id", "resolution_summary", "resolved_at", "sla_met"),
    "sla_breached": ("feedback_id", "customer_id", "severity", "assignee_id", "status", "due_at"),
    "survey_sent": ("survey_id", "survey_title", "customer_id", "contact_id", "name", "expires_at", "language"),
    "survey_response_received": ("survey_id", "customer_id", "contact_id", "rating", "nps", "feedback_id"),
    "low_score_alert": ("feedback_id", "survey_id", "customer_id", "contact_id", "rating", "nps"),
    "audit": AUDIT_FIELDS,
}, sealed={"survey_sent": ("email", "link")})
