"""The notifications service's public face: its enumerations, the shapes of its RPC inputs and
outputs, and its event catalogue. The gateway and the other services import the notifications
service only through this module."""
import datetime

from cronsim import CronSim, CronSimError
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.envelope import AUDIT_FIELDS, Catalogue
from services.common.schemas import (LANGUAGES, VERSION_RANGE, Choice, Day, Id, Ident, JsonBoolean, Opt,
                                     OrderedPeriod, String, Text, Timestamp, Url)

KINDS = ("followup_due", "contract_expiring", "tier_changed", "churn_risk_detected", "feedback_assigned",
         "sla_breached", "low_score_alert", "webhook_disabled", "automation")
DELIVERY_STATUSES = ("pending", "succeeded", "exhausted", "cancelled")

# Automation rules (``automations.py``): the events a rule can be triggered by (each names a customer),
# the operators of its conditions, the kinds of its actions, the customer fields ``set_field`` may set.
AUTOMATION_TRIGGERS = (
    "customers.customer_created", "customers.customer_updated", "customers.customer_restored",
    "customers.tier_changed", "customers.order_recorded", "customers.interaction_logged",
    "customers.opportunity_stage_changed", "customers.followup_due", "customers.contract_expiring",
    "customers.churn_risk_detected", "feedback.feedback_received", "feedback.feedback_assigned",
    "feedback.feedback_status_changed", "feedback.feedback_resolved", "feedback.sla_breached",
    "feedback.survey_response_received", "feedback.low_score_alert")
# Customer care campaigns (``campaigns.py``).
CAMPAIGN_CHANNELS = ("email", "sms")
CAMPAIGN_CONTACTS = ("primary", "all", "position")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
RECIPIENT_STATUSES = ("queued", "sent", "failed", "skipped")
SKIP_REASONS = ("opted_out", "no_address")
# Scheduled reports (``report_subscriptions.py``).
SUBSCRIBED_REPORTS = ("tiers", "sales", "funnel", "churn_risk", "satisfaction", "automations", "campaigns")
REPORT_FREQUENCIES = ("weekly", "monthly")
# China's public holidays a campaign can be sent for (``occasions.py``).
CAMPAIGN_OCCASIONS = ("new_year", "spring_festival", "qingming", "labour_day", "dragon_boat", "mid_autumn",
                      "national_day")
AUTOMATION_TRIGGER_KINDS = ("event", "date", "schedule")
# The dates of records a rule can be triggered by each day (the customers service's ``DATE_KINDS``).
AUTOMATION_DATES = ("contact_birthday", "customer_anniversary", "days_after_last_order", "days_after_last_interaction",
                    "days_before_contract_end", "expected_order_overdue")
# The dates a trigger counts N days from (its ``days``).
AUTOMATION_DATES_WITH_DAYS = ("days_after_last_order", "days_after_last_interaction", "days_before_contract_end",
                              "expected_order_overdue")
AUTOMATION_OPERATORS = ("eq", "ne", "in", "gt", "lt", "contains", "is_empty", "is_not_empty")
AUTOMATION_ACTIONS = ("create_followup", "add_tag", "remove_tag", "set_owner", "set_field", "move_opportunity",
                      "notify", "message_contacts", "send_survey", "call_webhook", "wait")
# The stages ``move_opportunity`` moves an opportunity to (the customers service's ``STAGES``).
OPPORTUNITY_STAGES = ("identified", "contacted", "needs_analysis", "proposal", "negotiation", "won", "lost")
# Which of the customer's contacts ``message_contacts`` writes to.
AUTOMATION_CONTACTS = ("primary", "all", "event_contact")
AUTOMATION_ASSIGNEES = ("owner", "users")
# How ``set_owner`` picks the owner: in turn, or by a table of the customer's province or industry.
AUTOMATION_ASSIGN_BY = ("turn", "region", "industry")
AUTOMATION_RECIPIENTS = ("owner", "managers", "users")
AUTOMATION_FIELDS = ("status", "account_type", "source_channel", "industry", "industry_code", "company_size",
                     "opportunity.probability", "opportunity.expected_close_date", "opportunity.expected_amount")
AUTOMATION_TEMPLATES = ("vip_followup_30_days", "contract_expiry", "survey_after_first_order", "churn_risk_follow_up",
                        "critical_complaint_alert", "trade_show_round_robin", "birthday_wishes",
                        "customer_anniversary_greeting")
AUTOMATION_RUN_STATUSES = ("due", "waiting", "succeeded", "failed", "skipped", "refused")
AUTOMATION_STEP_STATUSES = ("done", "failed", "skipped")


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


class ConditionValue(fields.Raw):
    """A condition's value: text (up to 200 characters), a number, true, false, null, or for ``in``
    a list of up to 50 of those."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            if len(value) > 50:
                raise ValidationError("At most 50 values.")
            return [self._scalar(item) for item in value]
        return self._scalar(value)

    def _scalar(self, value):
        if value is None or isinstance(value, (bool, int, float)) and value == value:
            return value
        if isinstance(value, str) and len(value) <= 200:
            return value
        raise ValidationError("A text of up to 200 characters, a number, true, false or null.")


class ConditionSchema(Schema):
    field = Text(100, min_length=1, required=True, validate=validate.Regexp(
        r"^(event|customer)\.[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        error="event.<field of the event> or customer.<field of the customer>, e.g. event.new_tier."),
        metadata={"description": "event.<field> (the trigger's data) or customer.<field> (the record as it is "
                                 "when the rule runs), e.g. event.new_tier, customer.tags"})
    op = Choice(AUTOMATION_OPERATORS, required=True)
    value = ConditionValue(load_default=None, metadata={"description": "not used by is_empty and is_not_empty; "
                                                                       "a list for in"})

    @validates_schema
    def value_fits(self, data, **kwargs):
        needs = data.get("op") not in ("is_empty", "is_not_empty")
        if needs and data.get("value") is None and data.get("op") != "eq" and data.get("op") != "ne":
            raise ValidationError("This operator needs a value.", "value")
        if data.get("op") == "in" and not isinstance(data.get("value"), list):
            raise ValidationError("in needs a list of values.", "value")
        if data.get("op") in ("gt", "lt") and (
                isinstance(data.get("value"), (bool, list)) or data.get("value") is None):
            raise ValidationError("gt and lt need a number or a text to compare with.", "value")


class TriggerSchema(Schema):
    kind = Choice(AUTOMATION_TRIGGER_KINDS, load_default="event", metadata={
        "description": "event (default): an event of the catalogue; date: each day, the records whose date it is; "
                       "schedule: at the times of a cron expression, in the site's time zone"})
    event_type = Choice(AUTOMATION_TRIGGERS, metadata={
        "description": "event: the event that starts the rule (catalogue `automation_triggers`)"})
    date = Choice(AUTOMATION_DATES, metadata={
        "description": "date: which date (catalogue `automation_dates`); the rule runs once for each record whose "
                       "date it is that day"})
    days = fields.Integer(strict=True, validate=validate.Range(min=0, max=3650), metadata={
        "description": "date: N of days_after_last_order, days_after_last_interaction, days_before_contract_end, "
                       "expected_order_overdue (the customer's expected order, by its reorder forecast, N days late)"})
    hour = fields.Integer(strict=True, validate=validate.Range(min=0, max=23), metadata={
        "description": "date: the hour of the day it runs, in the site's time zone (default 8)"})
    cron = Text(100, metadata={"description": "schedule: minute hour day month weekday, e.g. 0 9 * * 1 (Mondays "
                                              "at 9:00)"})

    @validates_schema
    def parameters(self, data, **kwargs):
        kind = data.get("kind", "event")
        wanted = {"event": "event_type", "date": "date", "schedule": "cron"}[kind]
        if data.get(wanted) is None:
            raise ValidationError("Required for a trigger of kind %s." % kind, wanted)
        if kind == "date" and data["date"] in AUTOMATION_DATES_WITH_DAYS and data.get("days") is None:
            raise ValidationError("Required for a date N days before or after.", "days")
        if kind == "schedule" and not valid_cron(data["cron"]):
            raise ValidationError("Not a cron expression: minute hour day month weekday, e.g. 0 9 * * 1.", "cron")


def valid_cron(expression):
    try:
        CronSim(expression, datetime.datetime(2026, 1, 1))
        return True
    except CronSimError:
        return False


class CampaignMessageSchema(Schema):
    subject = Text(200, metadata={"description": "e-mail only"})
    body = Text(5000, min_length=1, multiline=True, required=True, metadata={
        "description": "{{contact.name}}, {{customer.legal_name}}, {{owner.name}} and {{owner.email}} are replaced; "
                       "an unsubscribe link is added"})


def CampaignMessages(**kwargs):
    """``{"zh-CN": message, "en": message}``: one language or both (each contact gets their customer's
    country's: zh-CN in China, en elsewhere, the other when one is missing)."""
    return fields.Dict(keys=Choice(LANGUAGES), values=fields.Nested(CampaignMessageSchema), validate=validate.Length(
        min=1, error="Write the message in zh-CN, en or both."), **kwargs)


REQUIRED_PARAMETERS = {"create_followup": ("title",), "add_tag": ("tag",), "remove_tag": ("tag",),
                       "set_field": ("field",), "notify": ("title",), "wait": ("days",),
                       "message_contacts": ("messages",), "move_opportunity": ("stage",),
                       "send_survey": ("survey_id",), "call_webhook": ("webhook_id",)}


class ActionSchema(Schema):
    kind = Choice(AUTOMATION_ACTIONS, required=True, metadata={"description": "catalogue `automation_actions`"})
    title = Text(200, min_length=1, metadata={
        "description": "create_followup: the task's title; notify: the message's title. {{event.field}} and "
                       "{{customer.field}} are replaced by their values"})
    body = Opt(2000, multiline=True, metadata={"description": "notify: the message; create_followup: the notes"})
    due_in_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), metadata={
        "description": "create_followup: due this many days after the run (default 0: today)"})
    assignee = Choice(AUTOMATION_ASSIGNEES, metadata={
        "description": "create_followup: the customer's owner (default) or the next of user_ids in turn"})
    user_ids = fields.List(Ident(), validate=validate.Length(min=1, max=50), metadata={
        "description": "set_owner (default: the active users of the rule's site holding customers:write), "
                       "create_followup with assignee users, notify with recipients users: taken in turn (round "
                       "robin) for the first two, all of them for notify"})
    tag = Text(40, min_length=1, metadata={"description": "add_tag, remove_tag"})
    field = Choice(AUTOMATION_FIELDS, metadata={
        "description": "set_field: the customer's field, or (opportunity.<field>) the trigger's opportunity's"})
    value = ConditionValue(metadata={"description": "set_field: the value (checked by the customers service)"})
    recipients = Choice(AUTOMATION_RECIPIENTS, metadata={
        "description": "notify: the customer's owner (default), the site's managers, or user_ids"})
    email = JsonBoolean(metadata={"description": "notify: also by e-mail (default false)"})
    days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365), metadata={
        "description": "wait: the next action runs this many days later (kept in the database)"})
    assign_by = Choice(AUTOMATION_ASSIGN_BY, metadata={
        "description": "set_owner: turn (default: user_ids, or the site's sellers, in turn), region (`table` of "
                       "province codes, e.g. 320000) or industry (`table` of industry codes: a division such as C36, "
                       "else its section C); a customer the table does not place is assigned in turn"})
    table = fields.Dict(keys=Text(10, min_length=1), values=Ident(), validate=validate.Length(min=1, max=200),
                        metadata={"description": "set_owner by region or industry: code -> user id"})
    stage = Choice(OPPORTUNITY_STAGES, metadata={
        "description": "move_opportunity: the stage the trigger's opportunity (event.opportunity_id) moves to"})
    survey_id = Ident(metadata={"description": "send_survey: the survey sent to the contacts chosen by `contacts` "
                                               "(its single-use links are mailed by this service)"})
    webhook_id = Ident(metadata={"description": "call_webhook: a webhook of the rule's site (or of every site), sent "
                                                "a signed notifications.automation_webhook delivery, retried and "
                                                "logged as every delivery"})
    channel = Choice(CAMPAIGN_CHANNELS, metadata={"description": "message_contacts: email (default) or sms"})
    contacts = Choice(AUTOMATION_CONTACTS, metadata={
        "description": "message_contacts: the customer's primary contact (default), all its contacts, or the contact "
                       "the trigger names (a birthday)"})
    messages = CampaignMessages(metadata={
        "description": "message_contacts: {zh-CN: {subject, body}, en: {...}} as a campaign's; contacts who opted out "
                       "are skipped, and each message carries an unsubscribe link"})

    @validates_schema
    def parameters(self, data, **kwargs):
        kind = data.get("kind")
        if kind == "message_contacts" and data.get("channel", "email") == "email" and any(
                not message.get("subject") for message in (data.get("messages") or {}).values()):
            raise ValidationError("An e-mail needs a subject.", "messages")
        for name in REQUIRED_PARAMETERS.get(kind, ()):
            if data.get(name) is None:
                raise ValidationError("Required for %s." % kind, name)
        if data.get("assign_by") in ("region", "industry") and not data.get("table"):
            raise ValidationError("Name the owner of each code.", "table")
        if data.get("assignee") == "users" and not data.get("user_ids"):
            raise ValidationError("Name the users to assign in turn.", "user_ids")
        if kind == "notify" and data.get("recipients") == "users" and not data.get("user_ids"):
            raise ValidationError("Name the users to tell.", "user_ids")


def Conditions(**kwargs):
    return fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=20), **kwargs)


def Actions(**kwargs):
    return fields.List(fields.Nested(ActionSchema), validate=validate.Length(min=1, max=20), **kwargs)


class AutomationCreateSchema(Schema):
    site_id = Text(64, min_length=1, allow_none=True, load_default=None, metadata={
        "description": "the site whose records the rule acts on; null: every site (sites:all)"})
    name = Text(100, min_length=1, metadata={"description": "required unless a template names it"})
    description = Opt(500, load_default=None)
    enabled = JsonBoolean(load_default=True)
    template = Choice(AUTOMATION_TEMPLATES, metadata={
        "description": "a key of GET /automation-templates (catalogue `automation_templates`): its trigger, "
                       "conditions, actions and name, unless given"})
    trigger = fields.Nested(TriggerSchema)
    conditions = Conditions()
    actions = Actions()


class AutomationUpdateSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    name = Text(100, min_length=1)
    description = Opt(500)
    enabled = JsonBoolean()
    trigger = fields.Nested(TriggerSchema)
    conditions = Conditions()
    actions = Actions()


class SegmentSchema(Schema):
    view_id = Ident(metadata={"description": "a saved view of the customer list (yours, or shared in the site)"})
    filters = fields.Dict(keys=String(validate=validate.Length(max=40)), metadata={
        "description": "filters of GET /customers (tier, tag, industry, region, owner_id, lifecycle, churn_risk...)"})


class CampaignCreateSchema(Schema):
    site_id = Ident(required=True, metadata={"description": "the site whose customers it writes to"})
    name = Text(100, min_length=1, required=True)
    channel = Choice(CAMPAIGN_CHANNELS, load_default="email")
    segment = fields.Nested(SegmentSchema, load_default=dict, metadata={"description": "default: every customer"})
    contacts = Choice(CAMPAIGN_CONTACTS, load_default="primary", metadata={
        "description": "each customer's primary contact (default), all its contacts, or those whose position holds "
                       "`position`"})
    position = Opt(100, load_default=None)
    messages = CampaignMessages(required=True)
    send_at = fields.AwareDateTime(allow_none=True, load_default=None, metadata={
        "description": "when it starts once scheduled (default: at once)"})
    per_minute = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=60, metadata={
        "description": "messages sent a minute at most (default 60)"})
    occasion = Choice(CAMPAIGN_OCCASIONS, allow_none=True, load_default=None, metadata={
        "description": "a public holiday (catalogue `campaign_occasions`): scheduled without a time, it goes out at "
                       "9:00 on the holiday's next first day, in the site's time zone"})

    @validates_schema
    def subject_for_mail(self, data, **kwargs):
        if data.get("channel", "email") == "email":
            for language, message in (data.get("messages") or {}).items():
                if not message.get("subject"):
                    raise ValidationError("An e-mail needs a subject.", "messages")
        if data.get("contacts") == "position" and not data.get("position"):
            raise ValidationError("Name the position.", "position")


class CampaignUpdateSchema(Schema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read"})
    name = Text(100, min_length=1)
    channel = Choice(CAMPAIGN_CHANNELS)
    segment = fields.Nested(SegmentSchema)
    contacts = Choice(CAMPAIGN_CONTACTS)
    position = Opt(100)
    messages = CampaignMessages()
    send_at = fields.AwareDateTime(allow_none=True)
    per_minute = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000))
    occasion = Choice(CAMPAIGN_OCCASIONS, allow_none=True)


class CampaignScheduleSchema(Schema):
    send_at = fields.AwareDateTime(allow_none=True, metadata={"description": "default: the campaign's, else at once"})


class ReportSubscriptionCreateSchema(Schema):
    report = Choice(SUBSCRIBED_REPORTS, required=True, metadata={"description": "catalogue `subscribed_reports`"})
    frequency = Choice(REPORT_FREQUENCIES, required=True, metadata={
        "description": "weekly (Mondays 8:00, the 7 days before) or monthly (the 1st, 8:00, the month before)"})
    site_id = Text(64, min_length=1, allow_none=True, load_default=None, metadata={
        "description": "one of your sites; null: every site of yours"})


class ActivityReportFilterSchema(OrderedPeriod):
    site_id = Ident(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=datetime.timezone.utc, metadata={
        "description": "ISO date or time; default 30 days before until"})
    until = fields.AwareDateTime(default_timezone=datetime.timezone.utc, metadata={
        "description": "ISO date or time; default now"})


class RecipientFilterSchema(Schema):
    status = Choice(RECIPIENT_STATUSES)


class AutomationRunFilterSchema(Schema):
    status = Choice(AUTOMATION_RUN_STATUSES)


class AutomationTestSchema(Schema):
    customer_id = Ident(required=True, metadata={"description": "the record to try the rule on"})
    event = fields.Dict(keys=String(validate=validate.Length(max=100)), load_default=dict, metadata={
        "description": "the trigger's data to suppose (event.<field> conditions read it); default {}"})


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


class CampaignMessageOutSchema(Schema):
    subject = String(allow_none=True)
    body = String()


class RuleTriggerSchema(Schema):
    kind = String()
    event_type = String()
    date = String()
    days = fields.Integer()
    hour = fields.Integer()
    cron = String()


class RuleConditionSchema(Schema):
    field = String()
    op = String()
    value = fields.Raw(allow_none=True)


class RuleActionSchema(Schema):
    kind = String()
    stage = String()
    survey_id = String()
    webhook_id = String()
    assign_by = String()
    table = fields.Dict(keys=String(), values=String())
    channel = String()
    contacts = String()
    messages = fields.Dict(keys=String(), values=fields.Nested(CampaignMessageOutSchema))
    title = String()
    body = String(allow_none=True)
    due_in_days = fields.Integer()
    assignee = String()
    user_ids = fields.List(String())
    tag = String()
    field = String()
    value = fields.Raw(allow_none=True)
    recipients = String()
    email = fields.Boolean()
    days = fields.Integer()


class AutomationSchema(Schema):
    id = Id()
    site_id = String(allow_none=True)
    name = String()
    description = String(allow_none=True)
    enabled = fields.Boolean()
    template = String(allow_none=True, metadata={"description": "the template it was made from"})
    trigger = fields.Nested(RuleTriggerSchema)
    conditions = fields.List(fields.Nested(RuleConditionSchema))
    actions = fields.List(fields.Nested(RuleActionSchema))
    owner_id = String(metadata={"description": "who last saved it: its actions run with this user's permissions "
                                               "at the rule's site"})
    next_fire_at = Timestamp(allow_none=True, metadata={"description": "date and schedule triggers: when it runs next"})
    last_run_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class AutomationStepSchema(Schema):
    index = fields.Integer(metadata={"description": "the action's place in the rule, from 0"})
    kind = String()
    status = String(metadata={"description": "one of %s" % ", ".join(AUTOMATION_STEP_STATUSES)})
    at = Timestamp()
    result = String(allow_none=True, metadata={"description": "what it did (a record's id, a user)"})
    error = String(allow_none=True)


class AutomationRunSchema(Schema):
    id = Id(metadata={"description": "derived from the rule, its version and the event: one run per trigger"})
    rule_id = String()
    rule_version = fields.Integer()
    site_id = String(allow_none=True)
    event_id = String()
    event_type = String()
    customer_id = String(allow_none=True)
    depth = fields.Integer(metadata={"description": "how many rule actions led to the trigger (0: a person)"})
    status = String(metadata={"description": "one of %s" % ", ".join(AUTOMATION_RUN_STATUSES)})
    error = String(allow_none=True)
    steps = fields.List(fields.Nested(AutomationStepSchema))
    resume_at = Timestamp(allow_none=True, metadata={"description": "when a waiting run goes on"})
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)


class ConditionOutcomeSchema(Schema):
    field = String()
    op = String()
    value = fields.Raw(allow_none=True)
    actual = fields.Raw(allow_none=True, metadata={"description": "the value the record or event has"})
    met = fields.Boolean()


class AutomationTestResultSchema(Schema):
    would_run = fields.Boolean(metadata={"description": "every condition is met"})
    conditions = fields.List(fields.Nested(ConditionOutcomeSchema))
    actions = fields.List(fields.Nested(RuleActionSchema), metadata={"description": "what would run, in order "
                                                                                    "(nothing is written)"})


class AutomationTemplateSchema(Schema):
    key = String()
    name = String(metadata={"description": "in the caller's language"})
    description = String(metadata={"description": "in the caller's language"})
    trigger = fields.Nested(RuleTriggerSchema)
    conditions = fields.List(fields.Nested(RuleConditionSchema))
    actions = fields.List(fields.Nested(RuleActionSchema))


class CampaignCountsSchema(Schema):
    queued = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()


class SegmentOutSchema(Schema):
    view_id = String()
    filters = fields.Dict()


class CampaignSchema(Schema):
    id = Id()
    site_id = String()
    name = String()
    channel = String()
    segment = fields.Nested(SegmentOutSchema)
    contacts = String()
    position = String(allow_none=True)
    messages = fields.Dict(keys=String(), values=fields.Nested(CampaignMessageOutSchema), metadata={
        "description": "by language: zh-CN, en"})
    send_at = Timestamp(allow_none=True)
    per_minute = fields.Integer()
    occasion = String(allow_none=True)
    status = String(metadata={"description": "one of %s" % ", ".join(CAMPAIGN_STATUSES)})
    error = String(allow_none=True)
    owner_id = String(metadata={"description": "who last saved it: the audience is read with their permissions"})
    counts = fields.Nested(CampaignCountsSchema, metadata={"description": "recipients by status"})
    skipped = fields.Dict(metadata={"description": "skipped recipients by reason (opted_out, no_address)"})
    audience_done = fields.Boolean(metadata={"description": "every recipient is known"})
    created_at = Timestamp()
    updated_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    version = fields.Integer()


class RecipientSchema(Schema):
    id = Id()
    campaign_id = String()
    customer_id = String()
    legal_name = String(allow_none=True)
    contact_id = String(allow_none=True)
    name = String(allow_none=True)
    address = String(allow_none=True, metadata={"description": "the e-mail address or phone number written to"})
    status = String(metadata={"description": "one of %s" % ", ".join(RECIPIENT_STATUSES)})
    reason = String(allow_none=True, metadata={"description": "skipped: one of %s" % ", ".join(SKIP_REASONS)})
    error = String(allow_none=True)
    sent_at = Timestamp(allow_none=True)


class AudienceCountSchema(Schema):
    customers = fields.Integer()
    total_is_lower_bound = fields.Boolean()


class RuleActivitySchema(Schema):
    rule_id = String()
    name = String()
    site_id = String(allow_none=True)
    enabled = fields.Boolean()
    runs = fields.Integer()
    due = fields.Integer()
    waiting = fields.Integer()
    succeeded = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()
    refused = fields.Integer()


class AutomationReportSchema(Schema):
    since = String()
    until = String()
    rules = fields.List(fields.Nested(RuleActivitySchema))
    totals = fields.Dict(keys=String(), values=fields.Integer(), metadata={"description": "runs by status, and runs"})


class CampaignActivitySchema(Schema):
    campaign_id = String()
    name = String()
    site_id = String()
    channel = String()
    status = String()
    sent = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()
    opted_out = fields.Integer()
    finished_at = String()


class CampaignReportSchema(Schema):
    since = String()
    until = String()
    campaigns = fields.List(fields.Nested(CampaignActivitySchema), metadata={
        "description": "those ended in the period"})
    totals = fields.Dict(keys=String(), values=fields.Integer())


class ReportSubscriptionSchema(Schema):
    id = Id()
    report = String()
    frequency = String()
    site_id = String(allow_none=True)
    next_send_at = Timestamp()
    last_sent_at = Timestamp(allow_none=True)
    error = String(allow_none=True, metadata={"description": "why the last one could not be sent"})
    created_at = Timestamp()


class ReportSubscriptionsSchema(Schema):
    items = fields.List(fields.Nested(ReportSubscriptionSchema))


class OccasionSchema(Schema):
    occasion = String(metadata={"description": "catalogue `campaign_occasions`"})
    date = Day()


class OccasionsSchema(Schema):
    items = fields.List(fields.Nested(OccasionSchema), metadata={"description": "the next year's, soonest first"})


class TestSentSchema(Schema):
    sent = fields.Boolean(metadata={"description": "the message went to your own address or number"})


class UnsubscribeSchema(Schema):
    name = String(allow_none=True, metadata={"description": "the contact's name"})
    opted_out = fields.Boolean()


class AutomationTemplatesSchema(Schema):
    items = fields.List(fields.Nested(AutomationTemplateSchema))


# Events (exchange ``notifications.events``; docs/events.md)

CATALOGUE = Catalogue("notifications", {
    "webhook_disabled": ("webhook_id", "url", "consecutive_exhausted"),
    "email_failed": ("email_id", "to", "kind", "attempts", "error"),
    "automation_run_finished": ("rule_id", "run_id", "customer_id", "status", "failed_steps"),
    "campaign_finished": ("campaign_id", "name", "sent", "failed", "skipped"),
    "automation_webhook": ("rule_id", "run_id", "customer_id", "trigger_type", "trigger_event_id"),
    "contact_opted_out": ("contact_id", "customer_id", "channel", "campaign_id"),
    "audit": AUDIT_FIELDS,
})
