"""Scheduled reports: a user subscribes to a report weekly or monthly and gets it by e-mail, in their
language, as an XLSX attachment with a summary in the body.

Subscribing asks accounts, with the user's own token, for a grant of purpose ``report`` (as an
automation rule's, ``services.accounts.automation_grants``): when the report is due, the grant
becomes a short-lived token carrying the user's permissions as they are then (reports, and the
amounts they may see), at the subscription's site or at every site of theirs, and the report is
asked of its service with it. So it is computed with the subscriber's permissions and sites at
send time; a subscriber who lost ``reports:read`` gets nothing more (the subscription is kept,
with the reason). A weekly report covers the 7 days before it is sent (Mondays, 8:00), a monthly
one the month before (the 1st, 8:00), in the site's time zone (for every site of theirs, their first
site's).
"""
import datetime
import io
import uuid

from openpyxl import Workbook

from services.common import remote, sites
from services.common.clock import isoformat, utcnow
from services.common.errors import NotFound, Unauthorized, Unavailable
from services.common.messages import text
from services.common.schemas import load
from services.notifications import (automation_clock, automations, contract, directory, events, hook_secrets, mail,
                                    store, templates)
from services.notifications.routing import derived_id

SUBSCRIPTION = contract.ReportSubscriptionSchema()
GRANTS = "automation-grants"
# report -> (service, RPC method)
SOURCES = {"tiers": ("customers", "report_tiers"), "sales": ("customers", "report_sales"),
           "funnel": ("customers", "report_funnel"), "churn_risk": ("customers", "report_churn"),
           "satisfaction": ("feedback", "report_satisfaction"),
           "automations": ("notifications", "report_automations"), "campaigns": ("notifications", "report_campaigns")}
CRON = {"weekly": "0 8 * * 1", "monthly": "0 8 1 * *"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_TICK = 20


class NotKnownYet(Exception):
    """The subscriber is not in the recipients' directory yet: tried again at the next tick."""


def _next(db, subscription, after):
    zone = sites.zone_of(db, subscription.get("site_id") or subscription.get("zone_site_id"))
    return automation_clock.next_fire({"kind": "schedule", "cron": CRON[subscription["frequency"]]}, zone, after)


def subscribe(db, caller, data):
    caller.require("reports:read")
    data = load(contract.ReportSubscriptionCreateSchema(), data)
    if SOURCES[data["report"]][0] == "notifications":
        caller.require(automations.PERMISSION)
    if data.get("site_id") is not None:
        caller.require_site(data["site_id"])
    # its times are in the time zone of its site, or of the subscriber's first site (known here: status_of)
    zone_site = data.get("site_id") or (caller.sites[0] if caller.sites else None)
    if zone_site:
        sites.status_of(db, zone_site)
    subscription_id = uuid.uuid4().hex
    answer = remote.call("accounts", "grant_automation", "report:%s" % subscription_id, data.get("site_id"),
                         "report", token=caller.token)
    now = utcnow()
    subscription = dict(data, _id=subscription_id, user_id=caller.user_id, zone_site_id=zone_site,
                        sealed_grant=hook_secrets.seal(
        answer["grant"], GRANTS), error=None, last_sent_at=None, created_at=now, version=1)
    subscription["next_send_at"] = _next(db, subscription, now)
    store.insert_subscription(db, subscription, events.audit(
        "report_subscription", subscription_id, "created", {"report": {"before": None, "after": data["report"]},
                                                             "frequency": {"before": None, "after": data["frequency"]}},
        data.get("site_id"), caller.user_id))
    return SUBSCRIPTION.dump(subscription)


def mine(db, caller):
    return {"items": SUBSCRIPTION.dump(store.subscriptions_of(db, caller.user_id), many=True)}


def unsubscribe(db, caller, subscription_id):
    found = store.find_subscription(db, str(subscription_id))
    if found is None or found["user_id"] != caller.user_id:
        raise NotFound("No such subscription.")
    store.delete_subscription(db, found["_id"], events.audit("report_subscription", found["_id"], "deleted", {},
                                                             found.get("site_id"), caller.user_id))
    automations.revoke_grant(caller, "report:%s" % found["_id"])
    return {}


def period(subscription, at):
    """(since, until) dates the report covers when sent ``at``: the 7 days, or the month, before."""
    day = at.date()
    if subscription["frequency"] == "weekly":
        return day - datetime.timedelta(days=7), day - datetime.timedelta(days=1)
    last = day.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last


def send_due(db):
    """E-mail the reports whose time has come (PER_TICK at most), each once per time (its mail id is
    derived from the subscription and the time), then move their next time on."""
    for subscription in store.subscriptions_due(db, utcnow(), PER_TICK):
        at = subscription["next_send_at"].replace(tzinfo=datetime.timezone.utc)
        try:
            error = _send(db, subscription, at)
        except (Unavailable, NotKnownYet):
            continue
        store.move_subscription(db, subscription, _next(db, subscription, at), at, error)


def _send(db, subscription, at):
    if directory.unknown(db, [subscription["user_id"]]):  # accounts' events have not told of them yet
        raise NotKnownYet()
    user = (directory.users(db, [subscription["user_id"]]) or [None])[0]
    if user is None or not user.get("email"):
        return "The subscriber has no active account with an e-mail address."
    try:
        token = automations.acting_token(subscription)
    except Unauthorized as exc:
        return exc.message
    since, until = period(subscription, at)
    filters = {"since": since.isoformat(), "until": until.isoformat()}
    if subscription.get("site_id"):
        filters["site_id"] = subscription["site_id"]
    service, method = SOURCES[subscription["report"]]
    report = remote.call(service, method, filters, token=token)
    language = user.get("language")
    title = text("labels", "subscribed_reports.%s" % subscription["report"], language)
    summary = ["%s: %s" % (key, value) for key, value in sorted(_scalars(report).items())]
    subject, body = _render(language, title, since, until, summary)
    mail.queue(db, derived_id("report", subscription["_id"], isoformat(at)), user["email"], subject, body, "report",
               subscription.get("site_id"), None, user["_id"], attachments=[{
                   "filename": "%s-%s.xlsx" % (subscription["report"], until.isoformat()), "content_type": XLSX,
                   "data": workbook(report)}])
    return None


def _render(language, title, since, until, summary):
    return templates.render("report", language, data={"title": title, "since": since.isoformat(),
                                                      "until": until.isoformat(), "summary": summary})


def _scalars(report, prefix=""):
    """The report's numbers and texts at any depth, by dotted key (its summary)."""
    found = {}
    for key, value in (report or {}).items():
        if isinstance(value, dict):
            found.update(_scalars(value, "%s%s." % (prefix, key)))
        elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
            found[prefix + key] = value
    return found


def workbook(report):
    """The report as an XLSX file: its numbers on a first sheet, each of its lists of rows on a sheet of its own."""
    book = Workbook()
    summary = book.active
    summary.title = "summary"
    for key, value in sorted(_scalars(report).items()):
        summary.append([key, value])
    for key, value in (report or {}).items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            sheet = book.create_sheet(key[:31])
            columns = sorted({column for row in value for column in row if not isinstance(row[column], (dict, list))})
            sheet.append(columns)
            for row in value:
                sheet.append([row.get(column) for column in columns])
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()

