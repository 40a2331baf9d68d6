"""Sending webhook deliveries: signed POSTs, retried on a schedule, every attempt logged.

Each delivery POSTs the event envelope as JSON with the headers

- ``X-CRM-Event``: the event type; ``X-CRM-Delivery``: the delivery id;
- ``X-CRM-Timestamp``: Unix time in seconds, as sent;
- ``X-CRM-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the hook's secret, over
  ``<timestamp>.<body>`` (the timestamp header's text, a dot, then the raw body bytes).

A 2xx answer within 10 s is success. Anything else is retried after each delay of
``WEBHOOK_RETRY_SCHEDULE`` (1 min, 5 min, 30 min, 2 h, 6 h, 12 h), then the delivery is
``exhausted``. 20 exhausted deliveries in a row disable the hook and tell its admins.

Each attempt goes to the address its own lookup checked (``egress.py``). The log keeps the
answer's status code and a short reason of ours (``HTTP 503``, ``connection failed``), never the
target's text or an exception's; a refused target is never contacted, so it has no status code.
"""
import hashlib
import hmac
import json
import logging
import time

import eventlet
import requests

from services.common import config, logs, metrics
from services.common.clock import parse_time, utcnow
from services.notifications import directory, egress, events, hook_secrets, retries, routing, store

log = logging.getLogger(__name__)

TIMEOUT = 10
LEASE_SECONDS = TIMEOUT + 20
DISABLE_AFTER = 20
USER_AGENT = "FactoryCRM-Webhooks/1"


def _seconds_since(occurred_at, now):
    try:
        return max((now - parse_time(occurred_at)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return 0.0


def body_of(event):
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret, timestamp, body):
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``<timestamp>.<body>``)."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(secret, delivery_id, event_type, body, timestamp=None):
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-CRM-Event": event_type,
            "X-CRM-Delivery": delivery_id, "X-CRM-Timestamp": timestamp,
            "X-CRM-Signature": signature(secret, timestamp, body)}


def post(url, body, request_headers):
    """One attempt, bounded to TIMEOUT seconds in all: -> (status_code or None, error or None)."""
    try:
        target = egress.resolve(url)
    except egress.Refused as refused:
        return None, "Target refused: %s" % refused
    try:
        with eventlet.Timeout(TIMEOUT):
            response = egress.send(target, body, request_headers, TIMEOUT)
    except eventlet.Timeout:
        return None, "Timeout: no complete answer within %d s" % TIMEOUT
    except requests.exceptions.SSLError:
        return None, "TLS handshake or certificate check failed"
    except (requests.exceptions.Timeout, requests.ConnectionError):
        return None, "Connection failed or timed out"
    except requests.RequestException:
        return None, "Request failed"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, "HTTP %d" % response.status_code


def send_due(db, send=post, limit=None):
    """Claim up to ``limit`` due deliveries and attempt them concurrently; -> how many."""
    limit = limit or config.get_int("NOTIFICATIONS_BATCH")
    delays = retries.schedule("WEBHOOK_RETRY_SCHEDULE")
    claimed = store.claim_due(db.deliveries, utcnow(), LEASE_SECONDS, limit)
    pool = eventlet.GreenPool(max(len(claimed), 1))
    return len(list(pool.imap(lambda delivery: attempt(db, delivery, send, delays), claimed)))


def attempt(db, delivery, send, delays):
    """One delivery attempt, logged under the request id of the event it carries."""
    with logs.request_scope((delivery.get("event") or {}).get("request_id")):
        status = _attempt(db, delivery, send, delays)
    metrics.WEBHOOK_DELIVERIES.labels(status).inc()
    return status


def _attempt(db, delivery, send, delays):
    webhook = store.find_webhook(db, delivery["webhook_id"])
    if webhook is None or not webhook.get("active") or delivery.get("erased"):
        store.finish_attempt(db.deliveries, delivery, {"$set": {
            "status": "cancelled", "completed_at": utcnow(), "next_attempt_at": None,
            "error": "erased" if delivery.get("erased") else "the webhook is deleted or disabled"},
            "$unset": {"claim": ""}})
        return "cancelled"
    body = body_of(delivery["event"])
    started = time.monotonic()
    try:
        secret = hook_secrets.secret_of(webhook)
    except hook_secrets.Unreadable as exc:
        log.error("delivery %s: %s", delivery["_id"], exc)
        status_code, error = None, "The signing secret cannot be read"
    else:
        status_code, error = send(webhook["url"], body, headers(secret, delivery["_id"], delivery["event_type"], body))
    now = utcnow()
    number = len(delivery.get("attempts", [])) + 1
    record = {"number": number, "at": now, "status_code": status_code, "error": error, "success": error is None,
              "latency_ms": int((time.monotonic() - started) * 1000)}
    retry_at = None if error is None else retries.next_attempt_at(number, delays, now)
    status = "succeeded" if error is None else ("pending" if retry_at else "exhausted")
    update = {"$push": {"attempts": record}, "$unset": {"claim": ""},
              "$set": {"status": status, "next_attempt_at": retry_at}}
    if status != "pending":
        update["$set"]["completed_at"] = now
    if status == "succeeded":
        metrics.WEBHOOK_DELIVERY_SECONDS.observe(_seconds_since(delivery["event"].get("occurred_at"), now))
    if store.finish_attempt(db.deliveries, delivery, update) is None:
        log.warning("delivery %s: claim lost while sending; its next holder will try again", delivery["_id"])
        return status
    if status != "pending":
        after_outcome(db, webhook, exhausted=status == "exhausted")
    return status


def after_outcome(db, webhook, exhausted):
    """Count consecutive exhausted deliveries; at DISABLE_AFTER disable the hook and tell the admins."""
    counted = store.count_exhausted(db, webhook["_id"], exhausted)
    if not exhausted or counted is None or counted["consecutive_exhausted"] < DISABLE_AFTER:
        return
    disabled_event = events.event("webhook_disabled", {
        "webhook_id": webhook["_id"], "url": webhook["url"], "consecutive_exhausted": counted["consecutive_exhausted"],
    }, site_id=webhook.get("site_id"), actor="service:notifications")
    audit = events.audit("webhook", webhook["_id"], "disabled", {"active": {"before": True, "after": False}},
                         webhook.get("site_id"), "service:notifications")
    if store.disable_webhook(db, webhook["_id"], DISABLE_AFTER, disabled_event, audit) is None:
        return
    log.error("webhook %s to %s disabled after %d exhausted deliveries",
              webhook["_id"], webhook["url"], counted["consecutive_exhausted"])
    store.cancel_deliveries(db, webhook["_id"], "webhook disabled")
    admins = [person for person in directory.admins(db)
              if webhook.get("site_id") is None or webhook["site_id"] in person.get("sites", [])
              or "sites:all" in person.get("permissions", [])]
    routing.notify_users(db, admins, "webhook_disabled", disabled_event["data"], disabled_event,
                         routing.link_for("webhook", disabled_event["data"]))
