"""The 360 view of a customer. Parts the caller may not see are absent keys: contacts
(contacts:read), interactions, opportunities and the next follow-up (interactions:read),
12-month order totals (orders:read), the open feedback count (feedback:read).

The order totals roll up the account hierarchy: the customer and every account below it that
lies in the caller's sites. The feedback count is an RPC to feedback bounded by ``RPC_TIMEOUT``;
whatever goes wrong there, it reads ``"unknown"`` and the view is still served.
"""
import logging

from services.common import remote
from services.common.clock import utcnow
from services.customers import archive, lifecycle, parts, store, tiering
from services.customers.contract import OPEN_STAGES

log = logging.getLogger(__name__)

MAX_ACCOUNTS = 2000
CHILDREN = 200


def descendants(db, caller, customer_id, limit=MAX_ACCOUNTS):
    """Ids of the live accounts below ``customer_id`` in the caller's sites (breadth first, at most ``limit``)."""
    found, level, seen = [], [customer_id], {customer_id}
    while level and len(found) < limit:
        below = [c for c in store.child_customers(db, level) if c["_id"] not in seen and caller.has_site(c["site_id"])]
        level = [c["_id"] for c in below][:limit - len(found)]
        seen.update(level)
        found.extend(level)
    return found


def orders_12m(db, caller, customer_id, today):
    since = (today - lifecycle.YEAR).isoformat()
    accounts = [customer_id] + descendants(db, caller, customer_id)
    rows = {row["_id"]: row for row in store.order_totals(db, accounts, lifecycle.NOT_COUNTED, since)}
    own = rows.get(customer_id, {})
    return {"since": since, "until": today.isoformat(), "accounts": len(accounts),
            "amount": round(sum(r["amount"] for r in rows.values()), 2),
            "orders": sum(r["orders"] for r in rows.values()),
            "own": {"amount": round(own.get("amount", 0), 2), "orders": own.get("orders", 0)}}


def open_feedback(caller, customer_id):
    try:
        answer = remote.call("feedback", "open_feedback_count", customer_id, token=caller.token)
        return int(answer["open"])
    except Exception as exc:
        log.warning("open feedback count of %s unknown: %s", customer_id, type(exc).__name__)
        return "unknown"


def next_followup(db, customer):
    source = customer.get("next_followup") or {}
    task = store.find_part(db, "followups", source["followup_id"]) if source.get("followup_id") else None
    return {"date": customer.get("next_followup_date"), "reason": source.get("reason"),
            "followup": parts.out(task) if task else None}


def child_summary(child):
    return {"id": child["_id"], "legal_name": child["legal_name"], "account_type": child.get("account_type"),
            "site_id": child["site_id"], "tier": (child.get("tier") or {}).get("level")}


def overview(db, caller, customer_id, today=None):
    customer = archive.get_visible(db, caller, customer_id)
    today = today or utcnow().date()
    view = {"customer": archive.out(customer),
            "tier": dict(customer.get("tier") or {}, explanation=tiering.explanation(customer.get("tier")))}
    if caller.can("contacts:read"):
        view["contacts"] = [parts.out(c) for c in store.all_parts(
            db, "contacts", {"customer_id": customer_id}, sort=[("primary", -1), ("name", 1)], limit=200)]
    if caller.can("interactions:read"):
        view["interactions"] = [parts.out(i) for i in store.all_parts(
            db, "interactions", {"customer_id": customer_id}, sort=[("occurred_at", -1)], limit=10)]
        view["opportunities"] = [parts.out(o) for o in store.opportunities_at(db, customer_id, OPEN_STAGES, 100)]
        view["next_followup"] = next_followup(db, customer)
    if caller.can("orders:read"):
        view["orders_12m"] = orders_12m(db, caller, customer_id, today)
    if caller.can("feedback:read"):
        view["open_feedback"] = open_feedback(caller, customer_id)
    view["children"] = [child_summary(c) for c in store.child_customers(db, [customer_id], CHILDREN)
                        if caller.has_site(c["site_id"])]
    return view

