"""Reports over the archive for ``reports:read``: tiers, sales, the opportunity funnel, churn risk.

Filters: ``site_id`` (one of the caller's sites, else NotFound), ``since`` and ``until`` (ISO
dates or times; default the last 365 days, both ends included). Everything is limited to the
caller's sites (all sites for ``sites:all``); sales also needs ``orders:read`` and the funnel
``interactions:read``, as the records they sum do. A customer is named only where the caller sees
its site (records follow a moved customer; older ones may not have). The store shapes each
report's query (its sites first); the pipelines use only $match, $group, $unwind, $sort, $limit
and $project, so they run on MongoDB and on the embedded server alike.
"""
import datetime

from services.common.clock import day_bounds, utcnow
from services.common.errors import ValidationFailed
from services.customers import lifecycle, lists, store
from services.customers.contract import STAGES, TIERS

TOP = 20
PRODUCTS = 50
AT_RISK = 500
RISK_LEVELS = ("low", "high")
MAX_DEPTH = 10
FILTERS = ("site_id", "since", "until")


def _day(name, value):
    try:
        if len(value) == 10:
            return datetime.date.fromisoformat(value)
        return lifecycle.as_date(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (TypeError, ValueError):
        raise ValidationFailed(fields={name: ["Not a valid date or time."]})


def period(filters, today):
    """``(since, until)`` dates of the report, both included."""
    until = _day("until", filters["until"]) if filters.get("until") else today
    since = _day("since", filters["since"]) if filters.get("since") else until - lifecycle.YEAR
    if since > until:
        raise ValidationFailed(fields={"until": ["Must not be before since."]})
    return since, until


def prepare(caller, filters):
    """The caller may read reports; the filters are sound; -> (filters, the site named or None)."""
    caller.require("reports:read")
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValidationFailed(fields={name: ["Unknown field."] for name in unknown})
    site_id = filters.get("site_id") or None
    if site_id:
        caller.require_site(site_id)
    return filters, site_id


def _head(since, until, site_id):
    return {"since": since.isoformat(), "until": until.isoformat(), "site_id": site_id}


def report_tiers(db, caller, filters, today=None):
    filters, site_id = prepare(caller, filters)
    since, until = period(filters, today or utcnow().date())
    start, end = day_bounds(since, until)
    site_ids = lists.scope_sites(db, caller, site_id)
    distribution = store.tier_counts(db, site_ids, TIERS)
    moves = store.tier_moves(db, site_ids, start, end)
    return dict(_head(since, until, site_id), distribution=distribution,
                moves=[{"from": m["_id"]["from"], "to": m["_id"]["to"], "count": m["count"]} for m in moves])


def by_month(days):
    """Per-day rows ``{_id: 'YYYY-MM-DD', amount, orders}`` folded into months."""
    months = {}
    for row in days:
        month = months.setdefault(row["_id"][:7], {"month": row["_id"][:7], "amount": 0.0, "orders": 0})
        month["amount"] += row["amount"]
        month["orders"] += row["orders"]
    return [dict(m, amount=round(m["amount"], 2)) for _, m in sorted(months.items())]


def name_of(caller, refs, customer_id):
    """The customer's name if it lies in the caller's sites, else None."""
    ref = refs.get(customer_id) or {}
    return ref.get("legal_name") if caller.has_site(ref.get("site_id")) else None


def roll_up(caller, customer_rows, refs):
    """Per-customer totals summed onto the top account of each hierarchy the caller can see.

    ``refs`` maps id -> {parent_id, site_id, legal_name} for the customers and their ancestors."""
    groups = {}
    for row in customer_rows:
        top, seen = row["_id"], {row["_id"]}
        while True:
            parent = (refs.get(top) or {}).get("parent_id")
            if not parent or parent in seen or parent not in refs or not caller.has_site(refs[parent]["site_id"]):
                break
            top = parent
            seen.add(top)
        group = groups.setdefault(top, {"customer_id": top, "legal_name": name_of(caller, refs, top),
                                        "amount": 0.0, "orders": 0, "accounts": 0})
        group["amount"] += row["amount"]
        group["orders"] += row["orders"]
        group["accounts"] += 1
    ranked = sorted(groups.values(), key=lambda g: (-g["amount"], g["customer_id"]))[:TOP]
    return [dict(g, amount=round(g["amount"], 2)) for g in ranked]


def hierarchy_refs(db, customer_ids):
    refs, frontier = {}, list(customer_ids)
    for _ in range(MAX_DEPTH):
        need = [i for i in frontier if i not in refs]
        if not need:
            break
        found = store.customer_refs(db, need)
        refs.update({c["_id"]: c for c in found})
        frontier = [c["parent_id"] for c in found if c.get("parent_id")]
    return refs


def report_sales(db, caller, filters, today=None):
    filters, site_id = prepare(caller, filters)
    caller.require("orders:read")
    since, until = period(filters, today or utcnow().date())
    days, products, customers, sites = store.order_sums(db, lists.scope_sites(db, caller, site_id), since.isoformat(),
                                                        until.isoformat(), lifecycle.NOT_COUNTED, PRODUCTS)
    refs = hierarchy_refs(db, [c["_id"] for c in customers])
    return dict(
        _head(since, until, site_id),
        total=round(sum(d["amount"] for d in days), 2), orders=sum(d["orders"] for d in days),
        by_month=by_month(days),
        by_product=[{"product": p["_id"], "amount": round(p["amount"], 2), "quantity": p["quantity"],
                     "orders": p["orders"]} for p in products],
        by_customer=[{"customer_id": c["_id"], "legal_name": name_of(caller, refs, c["_id"]),
                      "site_id": c["site_id"], "amount": round(c["amount"], 2), "orders": c["orders"]}
                     for c in customers[:TOP]],
        by_group=roll_up(caller, customers, refs),
        by_site=[{"site_id": s["_id"], "amount": round(s["amount"], 2), "orders": s["orders"]} for s in sites])


def conversion(won, lost):
    decided = won + lost
    return {"won": won, "lost": lost, "rate": round(won / decided, 4) if decided else None}


def report_funnel(db, caller, filters, today=None):
    filters, site_id = prepare(caller, filters)
    caller.require("interactions:read")
    since, until = period(filters, today or utcnow().date())
    start, end = day_bounds(since, until)
    site_ids = lists.scope_sites(db, caller, site_id)
    found = {row["_id"]: row for row in store.opportunity_stages(db, site_ids, start, end)}
    stages = [{"stage": stage, "count": found.get(stage, {}).get("count", 0),
               "amount": round(found.get(stage, {}).get("amount") or 0, 2)} for stage in STAGES]
    return dict(_head(since, until, site_id), stages=stages,
                conversion=conversion(stages[-2]["count"], stages[-1]["count"]))


def report_churn(db, caller, filters, today=None):
    filters, site_id = prepare(caller, filters)
    found, total = store.customers_at_risk(db, lists.scope_sites(db, caller, site_id), RISK_LEVELS, AT_RISK)
    items = [{"customer_id": c["_id"], "legal_name": c["legal_name"], "site_id": c["site_id"],
              "owner_id": c.get("owner_id"), "level": c["churn_risk"]["level"], "reasons": c["churn_risk"]["reasons"],
              "tier": (c.get("tier") or {}).get("level"), "lifecycle_stage": c.get("lifecycle_stage"),
              "last_order_date": c.get("last_order_date")} for c in found]
    return {"site_id": site_id, "items": items, "total": total}
