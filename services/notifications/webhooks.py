"""Webhook subscriptions (``webhooks:admin``), their delivery log, redelivery, and the fan-out of
events into deliveries.

A hook has a URL, event type patterns (``customers.customer_created``, ``customers.*``, ``*``)
and an optional site: it then gets only that site's events. A caller without ``sites:all`` must
name one of their sites, and a site a hook is created or kept on must be known and active
(``services.common.sites``): a hook of a disabled site can only be moved or deleted. The secret
that signs deliveries is returned once, at creation, and stored encrypted (``hook_secrets.py``);
targets are checked by ``egress.py``.

A delivery carries ``public_event(event)``: the documented envelope keys only (never the sealed
part or the broker signature), and for customers and feedback events no ``email`` field at any
depth (contact and customer addresses, e.g. in ``audit`` changes). ``catalogue.PRIVATE_TYPES``
are never delivered. Redelivery is audited.
"""
import uuid

from services.common import sites
from services.common.clock import utcnow
from services.common.envelope import changes_between, source_service
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load
from services.common.timers import Signal
from services.notifications import catalogue, contract, egress, erasure, events, hook_secrets, store
from services.notifications.routing import derived_id

PERMISSION = "webhooks:admin"
WEBHOOK = contract.WebhookSchema()
DELIVERY = contract.DeliverySchema()
AUDITED = ("url", "event_types", "site_id", "description", "active")
# Woken when deliveries were stored: the service's delivery timer sends them at once.
DELIVERIES_DUE = Signal()


def visible(caller, webhook):
    """``webhook`` when it exists and ``caller`` may manage it; NotFound otherwise."""
    caller.require(PERMISSION)
    if webhook is None or webhook.get("deleted"):
        raise NotFound("No such webhook.")
    if webhook.get("site_id") is None:
        if not caller.all_sites:
            raise NotFound("No such webhook.")
    else:
        caller.check_site(webhook["site_id"])
    return webhook


def problems_of(caller, data):
    """``{field: [messages]}`` of the hook fields in ``data`` the schema accepted: patterns, site
    scope, target."""
    problems = {}
    patterns = [problem for problem in map(catalogue.pattern_problem, data.get("event_types", ())) if problem]
    if patterns:
        problems["event_types"] = patterns
    if "site_id" in data and data["site_id"] is None and not caller.all_sites:
        problems["site_id"] = ["Name one of your sites; only sites:all may subscribe to every site."]
    elif data.get("site_id") is not None and not caller.has_site(data["site_id"]):
        problems["site_id"] = ["Not one of your sites."]
    target = egress.target_problem(data["url"]) if "url" in data else None
    if target:
        problems["url"] = [target]
    return problems


def check(db, caller, data, site_id):
    """ValidationFailed naming each bad field of ``data``; then the hook's site (``site_id``, None
    for every site) must be known and active (``unknown_site`` / ``site_disabled``)."""
    problems = problems_of(caller, data)
    if problems:
        raise ValidationFailed(fields=problems)
    if site_id is not None:
        sites.require(db, site_id)


def create(db, caller, data):
    caller.require(PERMISSION)
    data = load(contract.WebhookCreateSchema(), data)
    check(db, caller, data, data["site_id"])
    now = utcnow()
    secret = hook_secrets.new()
    webhook = dict(data, _id=uuid.uuid4().hex, event_types=list(dict.fromkeys(data["event_types"])),
                   sealed_secret=hook_secrets.seal(secret), active=True, consecutive_exhausted=0,
                   created_by=caller.user_id, created_at=now, updated_at=now, disabled_at=None, version=1)
    store.insert_webhook(db, webhook, events.audit(
        "webhook", webhook["_id"], "created", changes_between({}, {k: webhook[k] for k in AUDITED}),
        webhook["site_id"], caller.user_id))
    return dict(WEBHOOK.dump(webhook), secret=secret)


def get(db, caller, webhook_id):
    return WEBHOOK.dump(visible(caller, store.find_webhook(db, str(webhook_id))))


def list_visible(db, caller, limit, cursor):
    caller.require(PERMISSION)
    documents, next_cursor, total, bound = store.list_webhooks(db, caller.site_scope(), limit,
                                                               cursor)
    return {"items": WEBHOOK.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def update(db, caller, webhook_id, data):
    """Change a hook's url, event types, site or description, or pause (``active: false``) or resume
    it (``active: true``, which also clears its count of exhausted deliveries); ``data.version``
    required. A hook of a disabled site can be moved to an active site or deleted, not changed."""
    webhook = visible(caller, store.find_webhook(db, str(webhook_id)))
    data = load(contract.WebhookUpdateSchema(), data)
    version = data.pop("version")
    check(db, caller, data, data.get("site_id", webhook.get("site_id")))
    if "event_types" in data:
        data["event_types"] = list(dict.fromkeys(data["event_types"]))
    changes = {key: value for key, value in data.items() if webhook.get(key) != value}
    if changes.get("active") is True:
        changes.update(consecutive_exhausted=0, disabled_at=None)
    elif changes.get("active") is False:
        changes["disabled_at"] = utcnow()
    if not changes:
        if version != webhook.get("version"):
            raise stale_version("webhook")
        return WEBHOOK.dump(webhook)
    after = dict(webhook, **changes)
    updated = store.update_webhook(db, webhook["_id"], version, changes, events.audit(
        "webhook", webhook["_id"], "updated", changes_between({k: webhook.get(k) for k in AUDITED},
                                                              {k: after.get(k) for k in AUDITED}),
        after.get("site_id"), caller.user_id))
    if updated is None:
        raise stale_version("webhook")
    return WEBHOOK.dump(updated)


def site_usage(db, caller, site_id):
    """``{"counts": {"webhooks": n}}`` of a site's live hooks (sites:admin and sites:all; only
    non-zero counts). Inbox items, e-mails and deliveries are not counted: they record events that
    already happened, belong to their recipient or hook rather than to the site, and age out (sent
    e-mails after 30 days); nothing in them can be moved to another site."""
    return sites.usage(caller, site_id, lambda site: {"webhooks": store.count_site_webhooks(db, site)})


def delete(db, caller, webhook_id):
    webhook = visible(caller, store.find_webhook(db, str(webhook_id)))
    store.delete_webhook(db, webhook["_id"], events.audit(
        "webhook", webhook["_id"], "deleted", changes_between({k: webhook[k] for k in AUDITED}, {}),
        webhook["site_id"], caller.user_id))
    return {}


def list_deliveries(db, caller, webhook_id, filters, limit, cursor):
    webhook = visible(caller, store.find_webhook(db, str(webhook_id)))
    filters = load(contract.DeliveryFilterSchema(), filters or {})
    documents, next_cursor, total, bound = store.list_deliveries(db, webhook["_id"], filters.get("status"), limit,
                                                                 cursor)
    return {"items": DELIVERY.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def redeliver(db, caller, delivery_id):
    """Send a delivery's event again, as a new delivery (new id, same event id); audited."""
    original = store.find_delivery(db, str(delivery_id))
    if original is None:
        raise NotFound("No such delivery.")
    webhook = visible(caller, store.find_webhook(db, original["webhook_id"]))
    if not webhook["active"]:
        raise Conflict("The webhook is disabled.", code="webhook_disabled")
    if original.get("erased"):
        raise Conflict("The delivery's event was erased with its customer.", code="delivery_erased")
    delivery = new_delivery(uuid.uuid4().hex, webhook["_id"], original["event"], original.get("subjects", []),
                            redelivery_of=original["_id"])
    store.insert_ignoring_duplicate(db.deliveries, delivery, events.audit(
        "webhook_delivery", delivery["_id"], "redelivered", changes_between({}, {
            "webhook_id": webhook["_id"], "event_id": delivery["event_id"], "event_type": delivery["event_type"],
            "redelivery_of": original["_id"]}), webhook.get("site_id"), caller.user_id))
    DELIVERIES_DUE.wake()
    return DELIVERY.dump(delivery)


def new_delivery(delivery_id, webhook_id, event, subjects, redelivery_of=None):
    now = utcnow()
    return {"_id": delivery_id, "webhook_id": webhook_id, "event_id": event["event_id"], "event_type": event["type"],
            "event": event, "subjects": list(subjects), "status": "pending", "attempts": [], "next_attempt_at": now,
            "redelivery_of": redelivery_of, "created_at": now, "completed_at": None}


def public_event(event):
    """What a webhook receives of ``event`` (see the module's docstring)."""
    body = {key: event[key] for key in catalogue.WEBHOOK_ENVELOPE if key in event}
    if source_service(event["type"]) in erasure.SOURCES:
        body["data"] = without_field(body.get("data"), "email")
    return body


def without_field(value, field):
    """``value`` with every dict key ``field`` dropped, at any depth."""
    if isinstance(value, dict):
        return {key: without_field(item, field) for key, item in value.items() if key != field}
    if isinstance(value, list):
        return [without_field(item, field) for item in value]
    return value


def wanted_by(webhook, event):
    if event["type"] in catalogue.PRIVATE_TYPES:
        return False
    if webhook.get("site_id") is not None and webhook["site_id"] != event.get("site_id"):
        return False
    return any(catalogue.matches(pattern, event["type"]) for pattern in webhook["event_types"])


def hooks_wanting(db, event, kept=None):
    """The active hooks that want ``event`` (of ``kept``, ``store.reactors`` as the caller read them)."""
    return [webhook for webhook in store.active_webhooks(db, kept) if wanted_by(webhook, event)]


def fan_out(db, event, hooks=None):
    """A delivery for every active hook that wants ``event`` (``hooks``, when the caller read them),
    sent at once; -> how many were created."""
    created = 0
    body, subjects = public_event(event), erasure.subjects_of(event)
    for webhook in hooks_wanting(db, event) if hooks is None else hooks:
        delivery = new_delivery(derived_id(webhook["_id"], event["event_id"]), webhook["_id"], body, subjects)
        created += store.insert_ignoring_duplicate(db.deliveries, delivery)
    if created:
        DELIVERIES_DUE.wake()
    return created
