"""Requests and responses of the inbox, notification preferences, failed e-mails and webhooks."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import (VERSION_RANGE, JsonBoolean, PageQuerySchema, PageSchema, StrictSchema, Text,
                                   Timestamp, Url)

KINDS = ("followup_due", "contract_expiring", "tier_changed", "churn_risk_detected", "feedback_assigned",
         "sla_breached", "low_score_alert", "webhook_disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "exhausted", "cancelled")


def KindList(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(KINDS)), validate=validate.Length(max=len(KINDS)),
                       **kwargs)


# Inbox and preferences

class InboxQuerySchema(PageQuerySchema):
    unread = fields.Boolean(metadata={"description": "true: only unread items"})


class NotificationSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "one of %s" % ", ".join(KINDS)})
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True, metadata={"description": "path of the record it is about"})
    event_id = fields.String()
    event_type = fields.String()
    site_id = fields.String(allow_none=True)
    read = fields.Boolean()
    read_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class InboxPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(metadata={"description": "the caller's unread items"})


class ReadAllSchema(Schema):
    updated = fields.Integer(metadata={"description": "items marked read"})


class PreferencesUpdateSchema(StrictSchema):
    email_kinds = KindList(required=True, metadata={"description": "kinds also sent by e-mail"})
    sms_kinds = KindList(metadata={"description": "kinds also sent as a text message"})
    sms_number = Text(16, allow_none=True, metadata={"description": "E.164, e.g. +8613800000000"})
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             metadata={"description": "the version you read; stale is 409"})


class PreferencesSchema(Schema):
    user_id = fields.String()
    email_kinds = fields.List(fields.String())
    sms_kinds = fields.List(fields.String())
    sms_number = fields.String(allow_none=True)
    kinds = fields.List(fields.String(), metadata={"description": "every kind there is"})
    version = fields.Integer(metadata={"description": "0 until first saved"})


class EmailErrorSchema(Schema):
    at = Timestamp()
    error = fields.String()


class FailedEmailSchema(Schema):
    id = fields.String()
    to = fields.String()
    subject = fields.String()
    kind = fields.String()
    site_id = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(EmailErrorSchema))
    created_at = Timestamp()
    failed_at = Timestamp()


# Webhooks

class WebhookCreateSchema(StrictSchema):
    url = Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000),
                     metadata={"description": "every address its host resolves to must be public: loopback, "
                                              "private, link-local, shared (100.64.0.0/10), 6to4, Teredo, NAT64 and "
                                              "IPv4-mapped addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true"})
    event_types = fields.List(Text(100, min_length=1), required=True, validate=validate.Length(min=1, max=50),
                              metadata={"description": "types or patterns: customers.customer_created, "
                                                       "customers.*, *"})
    site_id = Text(64, min_length=1, allow_none=True, metadata={"description": "only this site's events"})
    description = Text(200, allow_none=True)


class WebhookUpdateSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    url = Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000),
              metadata={"description": "checked like a new hook's"})
    event_types = fields.List(Text(100, min_length=1), validate=validate.Length(min=1, max=50))
    site_id = Text(64, min_length=1, allow_none=True, metadata={
        "description": "move the hook to this (active) site; null: every site (sites:all)"})
    description = Text(200, allow_none=True)
    active = JsonBoolean(metadata={"description": "false pauses the hook; true resumes it and clears its count "
                                                     "of exhausted deliveries"})


class WebhookSchema(Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    site_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    active = fields.Boolean(metadata={"description": "false once disabled after 20 exhausted deliveries"})
    consecutive_exhausted = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    disabled_at = Timestamp(allow_none=True)
    version = fields.Integer()


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "signs every delivery; shown only in this answer, stored "
                                                    "encrypted"})


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class AttemptSchema(Schema):
    number = fields.Integer()
    at = Timestamp()
    status_code = fields.Integer(allow_none=True, metadata={"description": "the answer's status; null when "
                                                                          "nothing answered or the target was refused"})
    latency_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "a short reason (HTTP 503, connection failed, "
                                                                   "target refused), never the target's own text"})
    success = fields.Boolean()


class DeliverySchema(Schema):
    id = fields.String(metadata={"description": "sent as X-CRM-Delivery"})
    webhook_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"description": "one of %s" % ", ".join(DELIVERY_STATUSES)})
    attempts = fields.List(fields.Nested(AttemptSchema))
    next_attempt_at = Timestamp(allow_none=True)
    redelivery_of = fields.String(allow_none=True)
    erased = fields.Boolean(metadata={"description": "its event's data was erased with its customer; it cannot be "
                                                     "redelivered"})
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)
