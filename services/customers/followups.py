"""Follow-ups (回访): the next follow-up date of a customer, and the scan that announces due
follow-ups and expiring contracts, each once.

The next follow-up is the earlier of the first open follow-up task's due date and the last
interaction (or, with none, the customer's creation) plus the cadence of its tier.
``customers.followup_due`` goes out once per customer and due date; ``customers.contract_expiring``
once per order, contract end date and threshold (30 and 7 days ahead; a contract first seen
inside 7 days gets one event).
"""
import datetime

from services.common.clock import utcnow
from services.customers import events, store
from services.customers.lifecycle import as_date

THRESHOLDS = (30, 7)
SERVICE = "service:customers"


def next_followup(level, cadence_days, last_interaction_at, created_at, open_task):
    """``(due_date, followup_id, reason)``; ``open_task`` is the first open task or None."""
    days = cadence_days[level]
    base = as_date(last_interaction_at) if last_interaction_at else as_date(created_at)
    label = "last interaction" if last_interaction_at else "customer created"
    candidates = []
    if base is not None:
        due = base + datetime.timedelta(days=days)
        candidates.append((due, None, "%s-tier cadence: %d days after the %s on %s" % (
            level.upper() if level == "vip" else level, days, label, base.isoformat())))
    if open_task:
        candidates.append((as_date(open_task["due_date"]), open_task["_id"],
                           "Follow-up task due: %s" % open_task.get("title", "")))
    if not candidates:
        return None, None, None
    due, followup_id, reason = min(candidates, key=lambda c: (c[0], c[1] is None))
    return due.isoformat(), followup_id, reason


def contract_notice(order, today, done):
    """``(days_left, keys)`` for an order whose contract ends within a threshold not yet announced;
    ``keys`` are the ``date:threshold`` marks to set. None when there is nothing to announce."""
    end = as_date(order.get("contract_end_date"))
    if end is None:
        return None
    days_left = (end - today).days
    if days_left < 0:
        return None
    due = [t for t in THRESHOLDS if days_left <= t]
    keys = ["%s:%d" % (end.isoformat(), t) for t in due]
    if not keys or all(key in done for key in keys):
        return None
    return days_left, keys


def scan(db, today=None, now=None):
    """Announce due follow-ups and expiring contracts."""
    now = now or utcnow()
    today = today or now.date()
    announced = 0
    for customer in store.followups_to_announce(db, today.isoformat()):
        source = customer.get("next_followup") or {}
        event = events.event("followup_due", {
            "customer_id": customer["_id"], "legal_name": customer["legal_name"],
            "owner_id": customer.get("owner_id"), "due_date": customer["next_followup_date"],
            "followup_id": source.get("followup_id"), "reason": source.get("reason")},
            customer["site_id"], SERVICE)
        announced += store.mark_followup_announced(db, customer["_id"], customer["next_followup_date"], event)
    last = today + datetime.timedelta(days=max(THRESHOLDS))
    for order in store.contracts_ending(db, today.isoformat(), last.isoformat()):
        notice = contract_notice(order, today, set(order.get("contract_notices") or ()))
        customer = store.find_customer(db, order["customer_id"]) if notice else None
        if customer is None:
            continue
        event = events.event("contract_expiring", {
            "customer_id": customer["_id"], "legal_name": customer["legal_name"],
            "owner_id": customer.get("owner_id"), "order_id": order["_id"], "number": order.get("number"),
            "contract_end_date": order["contract_end_date"], "days_left": notice[0]}, order["site_id"], SERVICE)
        announced += store.mark_contract_announced(db, order["_id"], notice[1], event)
    return announced
