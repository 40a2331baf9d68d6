"""The notifications service's public face: its enumerations, the shapes of its RPC inputs and
outputs, and its event catalogue. The gateway and the other services import the notifications
service only through this module."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.envelope import AUDIT_FIELDS, Catalogue
from services.common.schemas import VERSION_RANGE, Choice, Id, JsonBoolean, Opt, String, Text, Timestamp, Url

KINDS = ("followup_due", "contract_expiring", "tier_changed", "churn_risk_detected", "feedback_assigned",
         "sla_breached", "low_score_alert", "webhook_disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "exhausted", "cancelled")


def KindList(**kwargs):
    return fields.List(Choice(KINDS), validate=validate.Length(max=len(KINDS)), **kwargs)


# Inputs. Each field says its bounds and, where the service applies one, its default; the gateway's
# HTTP forms are derived from these (strict, and without the defaults).

class InboxFilterSchema(Schema):
    unread = fields.Boolean(metadata={"description": "true: only unread items"})


class PreferencesUpdateSchema(Schema):
    email_kinds = KindList(required=True, metadata={"description": "kinds also sent by e-mail"})
    sms_kinds = KindList(load_default=list, metadata={"description": "kinds also sent as a text message"})
    sms_number = Text(16, allow_none=True, load_default=None, validate=validate.Regexp(
        r"^\+[1-9][0-9]{6,14}$", error="An international number like +8613800000000."),
        metadata={"description": "E.164, e.g. +8613800000000"})
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             metadata={"description": "the version you read; stale is 409"})

    @validates_schema
    def number_for_texts(self, data, **kwargs):
        if data.get("sms_kinds") and not data.get("sms_number"):
            raise ValidationError("Set sms_number to receive texts.", "sms_number")


def WebhookUrl(**kwargs):
    return Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000), **kwargs)


def EventTypes(**kwargs):
    return fields.List(Text(100, min_length=1), validate=validate.Length(min=1, max=50), **kwargs)


class WebhookCreateSchema(Schema):
    url = WebhookUrl(required=True, metadata={
        "description": "every address its host resolves to must be public: loopback, private, link-local, shared "
                       "(100.64.0.0/10), 6to4, Teredo, NAT64 and IPv4-mapped addresses are refused unless "
                       "WEBHOOK_ALLOW_PRIVATE=true"})
    event_types = EventTypes(required=True, metadata={
        "description": "types or patterns: customers.customer_created, customers.*, *"})
    site_id = Text(64, min_length=1, allow_none=True, load_default=None,
                   metadata={"description": "only this site's events"})
    description = Opt(200, load_default=None)


class WebhookUpdateSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    url = WebhookUrl(metadata={"description": "checked like a new hook's"})
    event_types = EventTypes()
    site_id = Text(64, min_length=1, allow_none=True, metadata={
        "description": "move the hook to this (active) site; null: every site (sites:all)"})
    description = Opt(200)
    active = JsonBoolean(metadata={"description": "false pauses the hook; true resumes it and clears its count "
                                                  "of exhausted deliveries"})


class DeliveryFilterSchema(Schema):
    status = Choice(DELIVERY_STATUSES)


# Outputs

class NotificationSchema(Schema):
    id = Id()
    kind = String(metadata={"description": "one of %s" % ", ".join(KINDS)})
    title = String()
    body = String()
    link = String(allow_none=True, metadata={"description": "path of the record it is about"})
    event_id = String()
    event_type = String()
    site_id = String(allow_none=True)
    read = fields.Function(lambda item: item.get("read_at") is not None, metadata={"type": "boolean"})
    read_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class InboxPageSchema(Schema):
    """What a page of the inbox has besides a page's own fields (its ``items`` are notifications)."""

    unread = fields.Integer(metadata={"description": "the caller's unread items"})


class ReadAllSchema(Schema):
    updated = fields.Integer(metadata={"description": "items marked read"})


class PreferencesSchema(Schema):
    user_id = String()
    email_kinds = fields.List(String())
    sms_kinds = fields.List(String())
    sms_number = String(allow_none=True)
    kinds = fields.List(String(), metadata={"description": "every kind there is"})
    version = fields.Integer(metadata={"description": "0 until first saved"})


class EmailErrorSchema(Schema):
    at = Timestamp()
    error = String()


class FailedEmailSchema(Schema):
    id = Id()
    to = String()
    subject = String()
    kind = String()
    site_id = String(allow_none=True)
    event_id = String(allow_none=True)
    attempts = fields.Integer()
    last_error = String(allow_none=True)
    errors = fields.List(fields.Nested(EmailErrorSchema))
    created_at = Timestamp()
    failed_at = Timestamp()


class WebhookSchema(Schema):
    id = Id()
    url = String()
    event_types = fields.List(String())
    site_id = String(allow_none=True)
    description = String(allow_none=True)
    active = fields.Boolean(metadata={"description": "false once disabled after 20 exhausted deliveries"})
    consecutive_exhausted = fields.Integer()
    created_by = String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    disabled_at = Timestamp(allow_none=True)
    version = fields.Integer()


class AttemptSchema(Schema):
    number = fields.Integer()
    at = Timestamp()
    status_code = fields.Integer(allow_none=True, metadata={"description": "the answer's status; null when "
                                                                          "nothing answered or the target was refused"})
    latency_ms = fields.Integer(allow_none=True)
    error = String(allow_none=True, metadata={"description": "a short reason (HTTP 503, connection failed, "
                                                             "target refused), never the target's own text"})
    success = fields.Boolean()


class DeliverySchema(Schema):
    id = Id(metadata={"description": "sent as X-CRM-Delivery"})
    webhook_id = String()
    event_id = String()
    event_type = String()
    status = String(metadata={"description": "one of %s" % ", ".join(DELIVERY_STATUSES)})
    attempts = fields.List(fields.Nested(AttemptSchema))
    next_attempt_at = Timestamp(allow_none=True)
    redelivery_of = String(allow_none=True)
    erased = fields.Function(lambda delivery: bool(delivery.get("erased")), metadata={
        "type": "boolean", "description": "its event's data was erased with its customer; it cannot be redelivered"})
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


# Events (exchange ``notifications.events``; docs/events.md)

CATALOGUE = Catalogue("notifications", {
    "webhook_disabled": ("webhook_id", "url", "consecutive_exhausted"),
    "email_failed": ("email_id", "to", "kind", "attempts", "error"),
    "audit": AUDIT_FIELDS,
})
