"""Input and output shapes of the notifications service."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import Id, String, Url

KINDS = ("followup_due", "contract_expiring", "tier_changed", "churn_risk_detected", "feedback_assigned",
         "sla_breached", "low_score_alert", "webhook_disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "exhausted", "cancelled")


def KindList(**kwargs):
    return fields.List(String(validate=validate.OneOf(KINDS)), validate=validate.Length(max=len(KINDS)),
                       **kwargs)


class InboxFilterSchema(Schema):
    unread = fields.Boolean()


class PreferencesUpdateSchema(Schema):
    email_kinds = KindList(required=True)
    sms_kinds = KindList(load_default=list)
    sms_number = String(allow_none=True, load_default=None, validate=validate.Regexp(
        r"^\+[1-9][0-9]{6,14}$", error="An international number like +8613800000000."))
    version = fields.Integer(strict=True, validate=validate.Range(min=0))

    @validates_schema
    def number_for_texts(self, data, **kwargs):
        if data.get("sms_kinds") and not data.get("sms_number"):
            raise ValidationError("Set sms_number to receive texts.", "sms_number")


class WebhookCreateSchema(Schema):
    url = Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2000))
    event_types = fields.List(String(validate=validate.Length(min=1, max=100)), required=True,
                              validate=validate.Length(min=1, max=50))
    site_id = String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=64))
    description = String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class WebhookUpdateSchema(Schema):
    version = fields.Integer(required=True, strict=True)
    url = Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    event_types = fields.List(String(validate=validate.Length(min=1, max=100)),
                              validate=validate.Length(min=1, max=50))
    site_id = String(allow_none=True, validate=validate.Length(min=1, max=64))
    description = String(allow_none=True, validate=validate.Length(max=200))
    active = fields.Boolean()


class DeliveryFilterSchema(Schema):
    status = String(validate=validate.OneOf(DELIVERY_STATUSES))


class NotificationSchema(Schema):
    id = Id()
    kind = String()
    title = String()
    body = String()
    link = String(allow_none=True)
    event_id = String()
    event_type = String()
    site_id = String(allow_none=True)
    read = fields.Function(lambda item: item.get("read_at") is not None)
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class PreferencesSchema(Schema):
    user_id = String()
    email_kinds = fields.List(String())
    sms_kinds = fields.List(String())
    sms_number = String(allow_none=True)
    kinds = fields.List(String())
    version = fields.Integer()


class FailedEmailSchema(Schema):
    id = Id()
    to = String()
    subject = String()
    kind = String()
    site_id = String(allow_none=True)
    event_id = String(allow_none=True)
    attempts = fields.Integer()
    last_error = String(allow_none=True)
    errors = fields.List(fields.Dict())
    created_at = fields.DateTime()
    failed_at = fields.DateTime()


class WebhookSchema(Schema):
    id = Id()
    url = String()
    event_types = fields.List(String())
    site_id = String(allow_none=True)
    description = String(allow_none=True)
    active = fields.Boolean()
    consecutive_exhausted = fields.Integer()
    created_by = String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    disabled_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class AttemptSchema(Schema):
    number = fields.Integer()
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(allow_none=True)
    error = String(allow_none=True)
    success = fields.Boolean()


class DeliverySchema(Schema):
    id = Id()
    webhook_id = String()
    event_id = String()
    event_type = String()
    status = String()
    attempts = fields.List(fields.Nested(AttemptSchema))
    next_attempt_at = fields.DateTime(allow_none=True)
    redelivery_of = String(allow_none=True)
    erased = fields.Function(lambda delivery: bool(delivery.get("erased")))
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
