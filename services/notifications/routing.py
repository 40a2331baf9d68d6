"""Events into messages for the right people.

| event | to |
|---|---|
| customers.followup_due, customers.contract_expiring | the customer's owner; with no owner, the site's managers |
| customers.tier_changed, customers.churn_risk_detected | the owner and the site's managers |
| feedback.feedback_assigned | the assignee; with none (the item went back to the queue), the site's managers |
| feedback.sla_breached, feedback.low_score_alert | the assignee and the site's managers |
| accounts.password_reset_requested, accounts.password_changed | the user, by e-mail only |
| accounts.email_changed | the user's old address, by e-mail only |
| feedback.survey_sent | the contact it names, by e-mail, with their own link |

An owner or assignee is reached only when they belong to the event's site (or hold
``sites:all``): old records may name another site's user. An event whose ``owner_id`` or
``assignee_id`` is null (nobody, or someone who left: customers and feedback clear it then) goes
to the site's managers instead (``UNNAMED``), so the work has someone.

A user gets an inbox item, plus an e-mail and a text message for the kinds their preferences
ask for. Every item derives its id from the event and the recipient, so handling an event again
adds nothing.

The directory is kept from accounts events, which arrive on another queue: an event naming an
owner or assignee the directory has never heard of raises ``RecipientNotKnownYet``, so the event
is recorded as failed and handled again later, for up to ``DIRECTORY_LAG`` after it happened.
"""
import datetime
import logging
import uuid

from services.common import config
from services.common.clock import utcnow
from services.common.signing import secret_of
from services.notifications import directory, erasure, inbox, mail, sms, templates

log = logging.getLogger(__name__)

TO_USERS = {
    "customers.followup_due": ("owner",),
    "customers.contract_expiring": ("owner",),
    "customers.tier_changed": ("owner", "managers"),
    "customers.churn_risk_detected": ("owner", "managers"),
    "feedback.feedback_assigned": ("assignee",),
    "feedback.sla_breached": ("assignee", "managers"),
    "feedback.low_score_alert": ("assignee", "managers"),
}
# Mailed to the address in the event, to someone who may have no inbox: event -> field of the name.
MAIL_ONLY = {"accounts.password_reset_requested": "display_name", "accounts.password_changed": "display_name",
             "accounts.email_changed": "display_name",
             "feedback.survey_sent": "name"}
NAMED = {"owner": "owner_id", "assignee": "assignee_id"}
# Who is told instead when the event names nobody for the role.
UNNAMED = "managers"
DIRECTORY_LAG = datetime.timedelta(hours=1)
LINKS = {"customers": "/customers/%(customer_id)s", "feedback": "/feedback/%(feedback_id)s",
         "webhook": "/webhooks/%(webhook_id)s/deliveries"}


class RecipientNotKnownYet(Exception):
    """The event names a user the directory has not heard of (yet)."""


def derived_id(*parts):
    """A stable id for work caused by an event: the same inputs give the same id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "crm:" + "/".join(str(p) for p in parts)).hex


def kind_of(event_type):
    return event_type.split(".", 1)[1]


def link_for(area, data):
    try:
        return LINKS[area] % data
    except (KeyError, TypeError):
        return None


def unrouted(event):
    """Whether ``route`` turns the event into nothing (no inbox item, e-mail or text): a type nobody is
    told of, or what an import of another system's history set off (``data.imported``): a tier
    reached years ago is not news."""
    return (event["type"] not in TO_USERS and event["type"] not in MAIL_ONLY) or bool(
        (event.get("data") or {}).get("imported"))


def route(db, event):
    """Turn one event into inbox items, e-mails and texts; -> how many people it reached."""
    event_type, data = event["type"], event.get("data") or {}
    if unrouted(event):
        return 0
    if event_type in TO_USERS:
        people = recipients(db, TO_USERS[event_type], event)
        area = event_type.split(".", 1)[0]
        return notify_users(db, people, kind_of(event_type), data, event, link_for(area, data))
    if event_type in MAIL_ONLY:
        data = dict(data, **secret_of(event))  # the address and link travel sealed
        return mail_person(db, event, data.get("email"), data.get(MAIL_ONLY[event_type]), data.get("language"),
                           kind_of(event_type), data)
    return 0


def recipients(db, roles, event):
    """The active directory entries for ``roles`` (owner, assignee, managers), each person once; the
    site's managers too when a named role is empty in the event."""
    data = event.get("data") or {}
    if any(role in NAMED and not data.get(NAMED[role]) for role in roles):
        roles = tuple(roles) + (UNNAMED,)
    named = [data.get(NAMED[role]) for role in roles if role in NAMED and data.get(NAMED[role])]
    missing = directory.unknown(db, named)
    if missing:
        if utcnow() - datetime.datetime.fromisoformat(event["occurred_at"]) < DIRECTORY_LAG:
            raise RecipientNotKnownYet("%s: not in the directory yet: %s" % (event["type"], ", ".join(missing)))
        log.warning("%s %s: recipients never known, skipped: %s", event["type"], event["event_id"], missing)
    found = directory.users(db, named)
    people = directory.of_site(found, event.get("site_id"))
    if len(people) < len(found):
        log.warning("%s %s: recipients not on site %s, skipped", event["type"], event["event_id"], event.get("site_id"))
    if "managers" in roles:
        people += directory.managers(db, event.get("site_id"))
    return list({person["_id"]: person for person in people}.values())


def notify_users(db, people, kind, data, event, link_path):
    """An inbox item for each person, and e-mail and text by their preferences."""
    link = config.get("CRM_PUBLIC_URL").rstrip("/") + link_path if link_path else None
    for person in people:
        subject, body = templates.render(kind, person.get("language"), name=person.get("display_name"),
                                         data=data, event=event, link=link or "")
        inbox.add(db, derived_id(event["event_id"], person["_id"]), person["_id"], kind, subject, body,
                  link_path, event)
        preferences = inbox.preferences_of(db, person["_id"])
        if kind in preferences["email_kinds"] and person.get("email"):
            mail.queue(db, derived_id(event["event_id"], person["_id"], "email"), person["email"], subject, body,
                       kind, event.get("site_id"), event["event_id"], person["_id"], erasure.subjects_of(event))
        if kind in preferences["sms_kinds"] and preferences.get("sms_number"):
            sms.send(preferences["sms_number"], subject)
    return len(people)


def mail_person(db, event, email, name, language, kind, data):
    """An e-mail to the address an event names (a reset link, a survey invitation with its link)."""
    if not email:
        return 0
    subject, body = templates.render(kind, language, name=name, data=data, event=event)
    mail.queue(db, derived_id(event["event_id"], email, "email"), email, subject, body, kind,
               event.get("site_id"), event["event_id"], data.get("user_id"), erasure.subjects_of(event))
    return 1
