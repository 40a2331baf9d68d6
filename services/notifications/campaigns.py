"""Customer care campaigns (``automations:manage``): one message to the contacts of a segment of a
site's customers, by e-mail or text message, now or at a time, throttled.

A campaign is written as a draft, then scheduled. When its time comes, the timer ``advance`` reads
its audience from the customers service as its owner (who last saved it: a grant from accounts, as
for automation rules), a page of customers at a time, keeping the page it reached, and stores a
recipient per contact, with an id derived from the campaign and the contact: queued, or skipped
(``opted_out``, ``no_address``). Meanwhile it sends the queued ones, ``per_minute`` at most. An
e-mail is queued in the outbox under an id derived from the recipient before the recipient is
marked sent, so a restart between the two sends nothing twice; a text is marked sent first, so it
is never sent twice either. A contact's opt-out is checked again just before sending.

Every message carries a signed unsubscribe link (``unsubscribe.py``); an opt-out is kept by
contact and address and respected by every later campaign. Counts by status are kept on the
campaign by the writes that change them, and counted once more when it ends (a restart between a
recipient's write and its count leaves them off by one until then).
"""
import collections
import datetime
import logging
import uuid

from services.common import remote, sites
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import (Conflict, NotFound, Unauthorized, Unavailable, ValidationFailed,
                                    stale_version)
from services.common.schemas import load
from services.notifications import (automations, contact_messages, contract, directory, events,
                                    hook_secrets, inbox, mail, occasions, sms, store, unsubscribe)
from services.notifications.routing import derived_id

log = logging.getLogger(__name__)

PERMISSION = "automations:manage"
CAMPAIGN = contract.CampaignSchema()
RECIPIENT = contract.RecipientSchema()
AUDITED = ("name", "site_id", "channel", "segment", "contacts", "position", "messages", "send_at", "per_minute")
GRANTS = "automation-grants"
AUDIENCE_PAGE = 500
SEND_BATCH = 200
EDITABLE = ("draft",)


def visible(caller, campaign):
    caller.require(PERMISSION)
    if campaign is None:
        raise NotFound("No such campaign.")
    caller.check_site(campaign["site_id"])
    return campaign


def _grant(caller, campaign_id, site_id):
    answer = remote.call("accounts", "grant_automation", "campaign:%s" % campaign_id, site_id, token=caller.token)
    return hook_secrets.seal(answer["grant"], GRANTS)


def create(db, caller, data):
    caller.require(PERMISSION)
    data = load(contract.CampaignCreateSchema(), data)
    caller.require_site(data["site_id"])
    sites.require(db, data["site_id"])
    now = utcnow()
    campaign_id = uuid.uuid4().hex
    campaign = dict(data, _id=campaign_id, status="draft", error=None, owner_id=caller.user_id,
                    sealed_grant=_grant(caller, campaign_id, data["site_id"]), counts=dict.fromkeys(
                        contract.RECIPIENT_STATUSES, 0), skipped_by={}, audience_done=False, step=0,
                    created_at=now, updated_at=now, finished_at=None, version=1)
    store.insert_campaign(db, campaign, events.audit("campaign", campaign_id, "created", changes_between(
        {}, {key: campaign.get(key) for key in AUDITED}), campaign["site_id"], caller.user_id))
    return out(campaign)


def out(campaign):
    return CAMPAIGN.dump(dict(campaign, skipped=campaign.get("skipped_by") or {}))


def get(db, caller, campaign_id):
    return out(visible(caller, store.find_campaign(db, str(campaign_id))))


def list_visible(db, caller, limit, cursor):
    caller.require(PERMISSION)
    documents, next_cursor, total, bound = store.list_campaigns(db, caller.site_scope(), limit, cursor)
    return {"items": [out(c) for c in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def update(db, caller, campaign_id, data):
    """Change a draft; whoever saves it becomes its owner."""
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    data = load(contract.CampaignUpdateSchema(), data)
    version = data.pop("version")
    if campaign["status"] not in EDITABLE:
        raise Conflict("Only a draft can be changed.", code="campaign_not_draft")
    after = dict(campaign, **data)
    whole = {key: after.get(key) for key in ("site_id", "name", "channel", "segment", "contacts", "position",
                                             "messages", "per_minute")}
    load(contract.CampaignCreateSchema(), dict(whole, segment=whole["segment"] or {}))  # the whole still holds
    changes = {key: value for key, value in data.items() if campaign.get(key) != value}
    changes.update(owner_id=caller.user_id, sealed_grant=_grant(caller, campaign["_id"], campaign["site_id"]))
    updated = store.update_campaign(db, campaign["_id"], version, changes, events.audit(
        "campaign", campaign["_id"], "updated", changes_between(
            {k: campaign.get(k) for k in AUDITED}, {k: dict(campaign, **changes).get(k) for k in AUDITED}),
        campaign["site_id"], caller.user_id), status="draft")
    if updated is None:
        raise stale_version("campaign")
    return out(updated)


def schedule(db, caller, campaign_id, data):
    """A draft scheduled: it starts at ``send_at`` (default its own, else at once)."""
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    data = load(contract.CampaignScheduleSchema(), data or {})
    if campaign["status"] != "draft":
        raise Conflict("Only a draft can be scheduled.", code="campaign_not_draft")
    send_at = data.get("send_at") or campaign.get("send_at") or _occasion_time(db, campaign) or utcnow()
    updated = store.update_campaign(db, campaign["_id"], campaign["version"], {
        "status": "scheduled", "send_at": send_at, "active": True}, events.audit(
        "campaign", campaign["_id"], "scheduled", {"send_at": {"before": None, "after": send_at.isoformat()}},
        campaign["site_id"], caller.user_id), status="draft")
    if updated is None:
        raise stale_version("campaign")
    return out(updated)


def _occasion_time(db, campaign):
    """9:00 on the next first day of the campaign's occasion, in its site's time zone (None without one)."""
    if not campaign.get("occasion"):
        return None
    zone = sites.zone_of(db, campaign["site_id"])
    day = occasions.next_date(campaign["occasion"], utcnow().astimezone(zone).date())
    local = datetime.datetime.combine(day, datetime.time(occasions.SEND_HOUR), tzinfo=zone)
    return local.astimezone(datetime.timezone.utc)


def upcoming_occasions(caller):
    caller.require(PERMISSION)
    return {"items": occasions.upcoming(utcnow().date())}


def cancel(db, caller, campaign_id):
    """A scheduled or sending campaign stopped: what is still queued is not sent."""
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    if campaign["status"] not in ("scheduled", "sending"):
        raise Conflict("Only a scheduled or sending campaign can be cancelled.", code="campaign_not_running")
    updated = store.move_campaign(db, campaign, {"status": "cancelled", "finished_at": utcnow()}, events.audit(
        "campaign", campaign["_id"], "cancelled", {}, campaign["site_id"], caller.user_id), unset=("active",))
    if updated is None:
        raise stale_version("campaign")
    return out(updated)


def delete(db, caller, campaign_id):
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    if campaign["status"] in ("scheduled", "sending"):
        raise Conflict("Cancel the campaign first.", code="campaign_running")
    deleted = store.update_campaign(db, campaign["_id"], campaign["version"], {"deleted": True}, events.audit(
        "campaign", campaign["_id"], "deleted", {}, campaign["site_id"], caller.user_id))
    if deleted is None:
        raise stale_version("campaign")
    automations.revoke_grant(caller, "campaign:%s" % campaign["_id"])
    return {}


def recipients(db, caller, campaign_id, filters, limit, cursor):
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    filters = load(contract.RecipientFilterSchema(), filters or {})
    documents, next_cursor, total, bound = store.list_recipients(db, campaign["_id"], filters.get("status"), limit,
                                                                 cursor)
    return {"items": RECIPIENT.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def audience_count(db, caller, campaign_id):
    """How many customers the campaign's segment holds now, as the customer list counts it (exact from
    kept counts where it can, else a lower bound)."""
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    page = remote.call("customers", "campaign_audience", campaign["site_id"], campaign.get("segment") or {},
                       campaign["contacts"], campaign.get("position"), None, 1, token=caller.token)
    return {"customers": page["total"], "total_is_lower_bound": page["total_is_lower_bound"]}


def test_send(db, caller, campaign_id):
    """The message to the caller themself, as a contact of an example customer (not counted)."""
    campaign = visible(caller, store.find_campaign(db, str(campaign_id)))
    me = (directory.users(db, [caller.user_id]) or [{}])[0]
    if campaign["channel"] == "email" and not me.get("email"):
        raise ValidationFailed(fields={"email": ["You have no e-mail address to send the test to."]})
    item = {"contact_id": caller.user_id, "name": me.get("display_name"), "legal_name": "(example)",
            "owner_id": caller.user_id, "country": "CN" if (caller.language or "zh-CN") == "zh-CN" else "US"}
    subject, body = contact_messages.render(db, campaign["messages"], campaign["channel"], item, "test")
    if campaign["channel"] == "sms":
        number = inbox.preferences_of(db, caller.user_id)["sms_number"]
        if not number:
            raise ValidationFailed(fields={"sms_number": [
                "You have no number for texts: set one in your notification preferences."]})
        return {"sent": bool(sms.send(number, body))}
    mail.queue(db, derived_id("campaign-test", campaign["_id"], uuid.uuid4().hex), me["email"], "[TEST] " + subject,
               body, "campaign", campaign["site_id"], None, caller.user_id)
    return {"sent": True}


# sending

def advance(db):
    """Start the campaigns whose time came, read a page of each one's audience, send what the
    throttle allows, finish those with nothing left."""
    now = utcnow()
    for campaign in store.active_campaigns(db):
        try:
            _advance_one(db, campaign, now)
        except Unavailable as exc:
            log.warning("campaign %s waits: %s", campaign["_id"], exc.message)


def _advance_one(db, campaign, now):
    if campaign["status"] == "scheduled":
        if campaign["send_at"].replace(tzinfo=datetime.timezone.utc) > now:
            return
        campaign = store.move_campaign(db, campaign, {"status": "sending", "send_from": now, "audience_cursor": None})
        if campaign is None:
            return
    if not campaign.get("audience_done"):
        campaign = _read_audience(db, campaign)
        if campaign is None or campaign["status"] != "sending":
            return
    _send_allowed(db, campaign, now)
    _finish_if_done(db, store.find_campaign(db, campaign["_id"]))


def _read_audience(db, campaign):
    try:
        token = automations.acting_token(campaign)
    except Unauthorized as exc:  # the owner can no longer act
        return store.move_campaign(db, campaign, {"status": "cancelled", "error": exc.message,
                                                  "finished_at": utcnow()}, unset=("active",))
    page = remote.call("customers", "campaign_audience", campaign["site_id"], campaign.get("segment") or {},
                       campaign["contacts"], campaign.get("position"), campaign.get("audience_cursor"),
                       AUDIENCE_PAGE, token=token)
    wanted = []
    for item in page["items"]:
        recipient = contact_messages.recipient(campaign["_id"], item, campaign["channel"], derived_id(
            "campaign", campaign["_id"], item.get("contact_id") or item["customer_id"]))
        if recipient["status"] == "queued" and store.opted_out(db, item.get("contact_id"),
                                                               unsubscribe.address_key(recipient["address"])):
            recipient.update(status="skipped", reason="opted_out")
        wanted.append(recipient)
    store.count_recipients(db, campaign["_id"], collections.Counter(
        (recipient["status"], recipient["reason"]) for recipient in store.insert_recipients(db, wanted)))
    following = page.get("next_cursor")
    return store.move_campaign(db, campaign, {"audience_cursor": following, "audience_done": not following})


def _send_allowed(db, campaign, now):
    started = campaign.get("send_from") or now
    started = started.replace(tzinfo=datetime.timezone.utc) if started.tzinfo is None else started
    started = max(started, now - datetime.timedelta(minutes=1))
    allowed = min(int((now - started).total_seconds() * campaign["per_minute"] / 60), SEND_BATCH)
    if allowed < 1:
        return
    sent, moved = 0, collections.Counter()
    try:
        for recipient in store.queued_recipients(db, campaign["_id"], allowed):
            sent += _send_one(db, campaign, recipient, moved)
    finally:
        store.count_recipients(db, campaign["_id"], moved)  # what moved, even when a send failed
    if sent:
        store.move_campaign(db, store.find_campaign(db, campaign["_id"]), {
            "send_from": started + datetime.timedelta(seconds=sent * 60.0 / campaign["per_minute"])})


def _send_one(db, campaign, recipient, moved):
    """Send to one queued recipient (unless they opted out meanwhile); 1 when a message went. The
    recipient's move (from queued to its outcome) is added to ``moved``, counted once a batch."""
    if store.opted_out(db, recipient.get("contact_id"), unsubscribe.address_key(recipient["address"])):
        if store.finish_recipient(db, recipient["_id"], {"status": "skipped", "reason": "opted_out"}):
            _moved(moved, "skipped", "opted_out")
        return 0
    subject, body = contact_messages.render(db, campaign["messages"], campaign["channel"], recipient, recipient["_id"])
    now = utcnow()
    if campaign["channel"] == "email":
        mail.queue(db, derived_id("campaign-mail", recipient["_id"]), recipient["address"], subject, body,
                   "campaign", campaign["site_id"], None, None, recipient["subjects"])
        if store.finish_recipient(db, recipient["_id"], {"status": "sent", "sent_at": now}):
            _moved(moved, "sent")
        return 1
    if not store.finish_recipient(db, recipient["_id"], {"status": "sent", "sent_at": now}):
        return 0
    if sms.send(recipient["address"], body):
        _moved(moved, "sent")
    else:
        store.fail_sent_recipient(db, recipient["_id"], "The text message provider refused it.")
        _moved(moved, "failed")
    return 1


def _moved(moved, status, reason=None):
    moved[("queued", None)] -= 1
    moved[(status, reason)] += 1


def _finish_if_done(db, campaign):
    if campaign is None or campaign["status"] != "sending" or not campaign.get("audience_done"):
        return
    if store.queued_recipients(db, campaign["_id"], 1):
        return
    counts, skipped_by = store.recount_recipients(db, campaign["_id"])
    store.move_campaign(db, campaign, {"status": "sent", "finished_at": utcnow(), "counts": counts,
                                       "skipped_by": skipped_by}, events.event(
        "campaign_finished", {"campaign_id": campaign["_id"], "name": campaign["name"], "sent": counts.get("sent", 0),
                              "failed": counts.get("failed", 0), "skipped": counts.get("skipped", 0)},
        site_id=campaign["site_id"]), unset=("active",))
