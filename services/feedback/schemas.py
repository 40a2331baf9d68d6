"""Input shapes of the feedback service (outputs are built in ``items`` and ``surveys``)."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.schemas import String
from services.feedback.sla import SEVERITIES
from services.feedback.workflow import STATUSES

CHANNELS = ("phone", "email", "web", "wechat", "visit", "survey")
TYPES = ("complaint", "suggestion", "praise", "question")
QUESTION_KINDS = ("rating", "nps", "choice", "text")
LANGUAGES = ("zh-CN", "en")
SORTS = ("created_at", "updated_at", "due_at", "severity")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def Str(max_length, min_length=0, **kwargs):
    kwargs.setdefault("allow_none", True)
    return String(validate=validate.Length(min=min_length or None, max=max_length), **kwargs)


def Ident(**kwargs):
    return Str(64, 1, **kwargs)


def Key(**kwargs):
    return String(validate=validate.Regexp(KEY, error="Lower-case letters, digits and _ (max 40)."),
                         **kwargs)


class FeedbackCreateSchema(Schema):
    customer_id = Ident(required=True, allow_none=False)
    contact_id = Ident()
    channel = String(required=True, validate=validate.OneOf(CHANNELS))
    type = String(required=True, validate=validate.OneOf(TYPES))
    category = Key(required=True)
    severity = String(load_default="normal", validate=validate.OneOf(SEVERITIES))
    rating = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=5))
    subject = Str(200)
    text = String(required=True, validate=validate.Length(min=1, max=4000), multiline=True)
    order_id = Ident()
    service_record_id = Ident()
    due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "a deadline agreed with the customer, no later than the SLA"})


class ConfirmationSchema(Schema):
    confirmed = fields.Boolean(required=True)
    note = Str(1000, multiline=True)


class FeedbackUpdateSchema(Schema):
    version = fields.Integer(required=True, strict=True)
    status = String(validate=validate.OneOf(STATUSES))
    assignee_id = Ident(allow_none=False)
    severity = String(validate=validate.OneOf(SEVERITIES))
    category = Key()
    subject = Str(200)
    order_id = Ident()
    service_record_id = Ident()
    resolution_summary = Str(2000, 1, allow_none=False, multiline=True)
    customer_confirmation = fields.Nested(ConfirmationSchema)
    note = Str(1000, multiline=True, metadata={"description": "why the status changed; kept in the history"})


class ResponseSchema(Schema):
    kind = String(required=True, validate=validate.OneOf(("note", "reply")))
    text = String(required=True, validate=validate.Length(min=1, max=4000), multiline=True)


class FeedbackFilterSchema(Schema):
    status = String(validate=validate.OneOf(STATUSES))
    severity = String(validate=validate.OneOf(SEVERITIES))
    category = String(validate=validate.Length(max=40))
    channel = String(validate=validate.OneOf(CHANNELS))
    type = String(validate=validate.OneOf(TYPES))
    assignee_id = String(validate=validate.Length(max=64))
    customer_id = String(validate=validate.Length(max=64))
    site_id = String(validate=validate.Length(max=64))
    overdue = fields.Boolean()
    sort = String(validate=validate.OneOf([p + f for f in SORTS for p in ("", "-")]))


class SlaHoursSchema(Schema):
    critical = fields.Float(validate=validate.Range(min=0.25, max=8760), allow_nan=False)
    high = fields.Float(validate=validate.Range(min=0.25, max=8760), allow_nan=False)
    normal = fields.Float(validate=validate.Range(min=0.25, max=8760), allow_nan=False)
    low = fields.Float(validate=validate.Range(min=0.25, max=8760), allow_nan=False)


class SettingsSchema(Schema):
    version = fields.Integer(required=True, strict=True, metadata={"description": "0 before the first change"})
    categories = fields.List(Key(), validate=validate.Length(min=1, max=30))
    sla_hours = fields.Nested(SlaHoursSchema)

    @validates("categories")
    def distinct(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Each category once.")


class QuestionSchema(Schema):
    id = Key(metadata={"description": "default q1, q2, ... by position"})
    kind = String(required=True, validate=validate.OneOf(QUESTION_KINDS))
    text = String(required=True, validate=validate.Length(min=1, max=500))
    required = fields.Boolean(load_default=True)
    options = fields.List(String(validate=validate.Length(min=1, max=200)),
                          validate=validate.Length(min=2, max=20))
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=4000))

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
    title = String(required=True, validate=validate.Length(min=1, max=200))
    intro = Str(2000, multiline=True)
    language = String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    site_id = Ident(allow_none=False)
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=50))

    @validates("questions")
    def distinct_ids(self, value, **kwargs):
        ids = [q["id"] for q in value if q.get("id")]
        if len(set(ids)) != len(ids):
            raise ValidationError("Question ids must differ.")


class SurveyUpdateSchema(Schema):
    version = fields.Integer(required=True, strict=True)
    site_id = Ident(required=True, allow_none=False, metadata={"description": "move the survey to this site"})


class SendSchema(Schema):
    customer_id = Ident(required=True, allow_none=False)
    contact_ids = fields.List(Ident(allow_none=False), required=True, validate=validate.Length(min=1, max=100))


class ReportFilterSchema(Schema):
    site_id = String(validate=validate.Length(min=1, max=64))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before since.", "until")
