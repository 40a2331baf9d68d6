"""Fields derived from a customer's orders, activity and feedback: last order, tier, lifecycle
stage, churn risk, reorder forecast (``forecasts.derived``: ``forecast``, and its ``expected_order``
due key), next follow-up; the manual tier override; feedback scores kept for churn risk.

``refresh`` runs after every change to a customer's parts, after a feedback score arrives, and
for every customer in the periodic recompute. It writes only what changed, and announces a tier
change (``customers.tier_changed``, an audit entry, a ``tier_history`` row) and a rising churn
risk (``customers.churn_risk_detected``) in the same write.
"""
import datetime
import uuid

from services.common.clock import utcnow
from services.common.envelope import jsonable
from services.common.errors import ValidationFailed
from services.common.schemas import load
from services.customers import (
    archive, contract, customer_record, events, followups, forecasts, lifecycle, settings, store, tiering,
)

SERVICE = "service:customers"
ATTEMPTS = 3


def facts(db, customer, today):
    """What the rules need about one customer, from its parts and stored feedback scores."""
    customer_id = customer["_id"]
    interactions = store.all_parts(db, "interactions", {"customer_id": customer_id},
                                   sort=[("occurred_at", -1)], limit=1)
    tasks = store.all_parts(db, "followups", {"customer_id": customer_id, "status": "open"},
                            sort=[("due_date", 1)], limit=1)
    since = datetime.datetime.combine(today - datetime.timedelta(days=lifecycle.SCORE_DAYS), datetime.time(),
                                      datetime.timezone.utc)
    return {
        "orders": store.counted_orders(db, [customer_id], lifecycle.NOT_COUNTED),
        "last_interaction_at": interactions[0]["occurred_at"] if interactions else None,
        "open_task": tasks[0] if tasks else None,
        "scores": store.feedback_scores(db, customer_id, since),
    }


def derive(customer, found, site_settings, today, now):
    """The derived fields of ``customer`` (plain: no database)."""
    stats = lifecycle.order_stats(found["orders"], today)
    years = tiering.years_as_customer(stats["first_date"], lifecycle.as_date(customer.get("created_at")), today,
                                      lifecycle.as_date(customer.get("customer_since")))
    computed = tiering.computed_tier(stats["amount_12m"], stats["orders_12m"], years, site_settings["tier_thresholds"])
    tier = tiering.effective_tier(computed, (customer.get("tier") or {}).get("override"), now)
    due, followup_id, reason = followups.next_followup(
        tier["level"], site_settings["followup_days"], found["last_interaction_at"], customer.get("created_at"),
        found["open_task"])
    return {
        **customer_record.renewed_keys(customer),  # keys of an older version are made anew on the way
        "tier": tier,
        "tier_rank": tiering.RANK[tier["level"]],
        "lifecycle_stage": lifecycle.stage(stats),
        "dormant_since": lifecycle.dormant_since(customer, lifecycle.stage(stats), today),
        "churn_risk": lifecycle.churn_risk(stats, found["scores"], today),
        "last_order_date": stats["last_date"].isoformat() if stats["last_date"] else None,
        **forecasts.derived(customer, found["orders"]),
        "last_interaction_date": lifecycle.as_date(found["last_interaction_at"]).isoformat()
        if found["last_interaction_at"] else None,
        "next_followup_date": due,
        "next_followup": {"followup_id": followup_id, "reason": reason},
        "followup_notice_pending": due is not None and due != customer.get("followup_announced_date"),
    }


def announcements(customer, derived, actor, imported=False):
    """Events for what changed between ``customer`` and its ``derived`` fields; ``imported``: set off
    by an import of history (nobody is notified of them)."""
    emitted = []
    site, old_tier, new_tier = customer["site_id"], (customer.get("tier") or {}), derived["tier"]
    if old_tier.get("level") != new_tier["level"]:
        emitted.append(events.event("tier_changed", {
            "customer_id": customer["_id"], "legal_name": customer["legal_name"], "owner_id": customer.get("owner_id"),
            "old_tier": old_tier.get("level"), "new_tier": new_tier["level"], "reasons": new_tier["reasons"],
            "overridden": new_tier["overridden"], "imported": imported}, site, actor))
        emitted.append(events.audit("customer", customer["_id"], "tier_changed", {"tier": {
            "before": old_tier.get("level"), "after": new_tier["level"]}}, site, actor))
    old_risk = (customer.get("churn_risk") or {}).get("level", "none")
    if lifecycle.risk_rose(old_risk, derived["churn_risk"]["level"]):
        emitted.append(events.event("churn_risk_detected", {
            "customer_id": customer["_id"], "legal_name": customer["legal_name"], "owner_id": customer.get("owner_id"),
            "level": derived["churn_risk"]["level"], "reasons": derived["churn_risk"]["reasons"],
            "imported": imported}, site, actor))
    return emitted


def refresh(db, customer_id, actor=None, site_settings=None, now=None, imported=False):
    """Recompute the derived fields of one customer from its parts (``imported``: after an import)."""
    now = now or utcnow()
    today = now.date()
    for _ in range(ATTEMPTS):
        customer = store.find_customer(db, customer_id)
        if customer is None:
            return None
        current = site_settings or settings.for_site(db, customer["site_id"])
        derived = derive(customer, facts(db, customer, today), current, today, now)
        changes = {key: value for key, value in derived.items() if customer.get(key) != value}
        if not changes:
            return customer
        emitted = announcements(customer, derived, actor or SERVICE, imported)
        if store.set_derived_fields(db, customer, changes, *emitted):
            if (customer.get("tier") or {}).get("level") != derived["tier"]["level"]:
                store.insert_tier_history(db, history_entry(customer, derived["tier"], actor or SERVICE, now))
            return dict(customer, **changes)
    return None


def history_entry(customer, tier, actor, now):
    return {"_id": uuid.uuid4().hex, "customer_id": customer["_id"], "site_id": customer["site_id"], "at": now,
            "old_tier": (customer.get("tier") or {}).get("level"), "new_tier": tier["level"],
            "reasons": tier["reasons"], "overridden": tier["overridden"], "by": actor}


def expire_overrides(db, now=None):
    """Refresh the customers whose manual tier override has expired (before follow-ups are announced:
    the tier sets the follow-up cadence)."""
    now = now or utcnow()
    for customer_id in store.expired_tier_overrides(db, tiering.time_text(now)):
        refresh(db, customer_id)


def recompute_all(db, now=None, stopping=lambda: False):
    """Refresh every live customer (the periodic run), so each one's keys are current
    (``customer_record.KEYS_VERSION``); the number refreshed. A run that could not refresh a live
    customer (writes kept conflicting), or that ``stopping()`` ended before its next customer, asks
    for another (``store.request_run``), which starts over."""
    now = now or utcnow()
    cache, done, missed = {}, 0, 0
    for customer_id, site_id in store.iter_customer_ids(db):
        if stopping():
            store.request_run(db, "recompute")
            return done
        if site_id not in cache:
            cache[site_id] = settings.for_site(db, site_id)
        if refresh(db, customer_id, site_settings=cache[site_id], now=now) is not None:
            done += 1
        elif store.find_customer(db, customer_id) is not None:
            missed += 1
    if missed:
        store.request_run(db, "recompute")
    return done


def set_tier_override(db, caller, customer_id, data):
    caller.require("customers:write")
    customer = archive.get_visible(db, caller, customer_id)
    archive.require_writable(db, customer)
    data = load(contract.TierOverrideSchema(), data)
    now = utcnow()
    if data["expires_at"] is not None and data["expires_at"] <= now:
        raise ValidationFailed(fields={"expires_at": ["Must be in the future."]})
    expires = data["expires_at"] and tiering.time_text(data["expires_at"])
    override = {"level": data["tier"], "reason": data["reason"], "expires_at": expires,
                "set_by": caller.user_id, "set_at": tiering.time_text(now)}
    return _change_override(db, caller, customer, override, "tier_override_set")


def clear_tier_override(db, caller, customer_id):
    caller.require("customers:write")
    customer = archive.get_visible(db, caller, customer_id)
    archive.require_writable(db, customer)
    return _change_override(db, caller, customer, None, "tier_override_cleared")


def _change_override(db, caller, customer, override, action):
    before = (customer.get("tier") or {}).get("override")
    tier = dict(customer.get("tier") or {})
    tier.pop("override", None)
    if override:
        tier["override"] = override
    audit = events.audit("customer", customer["_id"], action, {"tier_override": {"before": before, "after": override}},
                         customer["site_id"], caller.user_id)
    store.set_customer_fields(db, customer["_id"], {"tier": tier}, audit)
    refreshed = refresh(db, customer["_id"], actor=caller.user_id)
    return archive.out(refreshed or store.find_customer(db, customer["_id"]))


def tier_history(db, caller, customer_id):
    archive.get_visible(db, caller, customer_id)
    items = [dict({k: v for k, v in entry.items() if k != "_id"}, id=entry["_id"])
             for entry in store.tier_history(db, customer_id)]
    return {"items": jsonable(items)}


def record_feedback_score(db, event):
    """Keep a rating or NPS from a feedback event for the customer's churn risk, then refresh it.

    A survey answer and the feedback item it created carry the same ``feedback_id`` and are
    kept once."""
    data = event.get("data") or {}
    customer_id = data.get("customer_id")
    if not customer_id or (data.get("rating") is None and data.get("nps") is None):
        return
    key = "feedback:%s" % data["feedback_id"] if data.get("feedback_id") else "event:%s" % event.get("event_id")
    try:
        at = tiering.parse_time(event["occurred_at"])
    except (KeyError, TypeError, ValueError, AttributeError):
        at = utcnow()
    store.save_feedback_score(db, {"_id": key, "customer_id": customer_id, "site_id": event.get("site_id"),
                                   "rating": data.get("rating"), "nps": data.get("nps"), "at": at})
    refresh(db, customer_id)


def periodic_recompute(db, every_seconds, stopping=lambda: False, now=None):
    """The periodic recompute, run by one replica once per ``every_seconds`` (or when settings
    changed); ``stopping`` as ``recompute_all``'s."""
    now = now or utcnow()
    if store.claim_run(db, "recompute", every_seconds, now):
        return recompute_all(db, now, stopping)
    return 0
