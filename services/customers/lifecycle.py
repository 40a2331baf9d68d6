"""Lifecycle stage and churn risk from a customer's order history and feedback scores.

Stages: prospect (no orders) -> first_purchase (1) -> repeat (2+) -> loyal (an order in each of
the last three 12-month periods, or 10+ orders spanning 2+ years); dormant when the last order is
older than twice the usual gap between orders, and at least 180 days.

Churn risk adds up signals, each with its reason: no order for longer than the usual gap
(1 point; twice as long: 2), 12-month spend down 30 % or more on the previous 12 months
(1; 60 % or more: 2), low feedback scores in the last 180 days, a rating of 2 or less or an NPS
of 6 or less (1; two or more: 2). 0 points: none, 1: low, 2 or more: high.
"""
import datetime
import statistics

from services.customers import contract
from services.customers.tiering import amount_text

NOT_COUNTED = ("cancelled", "draft")
YEAR = datetime.timedelta(days=365)
DORMANT_MIN_DAYS = 180
GAP_MIN_DAYS = 14
SPEND_DROP = 0.30
SPEND_COLLAPSE = 0.60
SCORE_DAYS = 180
LEVELS = contract.CHURN_LEVELS


def as_date(value):
    if value is None or isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).date()
    return datetime.date.fromisoformat(value[:10])


def order_stats(orders, today):
    """Figures of the counted orders ``[{order_date, total_amount}]`` as of ``today``."""
    dated = sorted((as_date(o["order_date"]), o.get("total_amount") or 0.0) for o in orders)
    dates = [d for d, _ in dated]
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    recent = [(d, a) for d, a in dated if today - YEAR < d <= today]
    previous = [a for d, a in dated if today - 2 * YEAR < d <= today - YEAR]
    return {
        "count": len(dates),
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "amount_12m": round(sum(a for _, a in recent), 2),
        "orders_12m": len(recent),
        "amount_prev_12m": round(sum(previous), 2),
        "cadence_days": statistics.median(gaps) if gaps else None,
        "days_since_last": (today - dates[-1]).days if dates else None,
        "years_with_orders": {k for k in range(3) for d in dates if today - (k + 1) * YEAR < d <= today - k * YEAR},
    }


def dormant_after(stats):
    """Days of silence after which a customer is dormant."""
    cadence = stats["cadence_days"] or 0
    return max(2 * cadence, DORMANT_MIN_DAYS)


def stage(stats):
    if stats["count"] == 0:
        return "prospect"
    if stats["days_since_last"] > dormant_after(stats):
        return "dormant"
    span = (stats["last_date"] - stats["first_date"]).days
    if stats["years_with_orders"] == {0, 1, 2} or (stats["count"] >= 10 and span >= 730):
        return "loyal"
    return "first_purchase" if stats["count"] == 1 else "repeat"


def is_low_score(score):
    rating, nps = score.get("rating"), score.get("nps")
    return (rating is not None and rating <= 2) or (nps is not None and nps <= 6)


def churn_risk(stats, scores, today):
    """``{level, reasons}``; ``scores`` are ``[{rating, nps, at}]`` (``at`` a date or datetime)."""
    points, reasons = 0, []
    cadence, silence = stats["cadence_days"], stats["days_since_last"]
    if cadence and silence > max(cadence, GAP_MIN_DAYS):
        points += 2 if silence > 2 * cadence else 1
        reasons.append("No order for %d days; the usual gap between orders is %s days" % (
            silence, ("%.1f" % cadence).rstrip("0").rstrip(".")))
    before, now = stats["amount_prev_12m"], stats["amount_12m"]
    if before > 0 and now <= before * (1 - SPEND_DROP):
        drop = 1 - now / before
        points += 2 if drop >= SPEND_COLLAPSE else 1
        reasons.append("12-month spend %s is %d %% below the previous 12 months (%s)" % (
            amount_text(now), round(drop * 100), amount_text(before)))
    since = today - datetime.timedelta(days=SCORE_DAYS)
    low = [s for s in scores if as_date(s["at"]) >= since and is_low_score(s)]
    if low:
        points += 2 if len(low) >= 2 else 1
        reasons.append("%d low feedback score%s in the last %d days (rating ≤ 2 or NPS ≤ 6)" % (
            len(low), "" if len(low) == 1 else "s", SCORE_DAYS))
    return {"level": LEVELS[min(points, 2)], "reasons": reasons}


def risk_rose(old_level, new_level):
    return LEVELS.index(new_level) > LEVELS.index(old_level if old_level in LEVELS else "none")


def dormant_since(customer, stage, today):
    """The day a customer was first seen dormant (ISO), kept while it stays dormant; None otherwise."""
    if stage != "dormant":
        return None
    return customer.get("dormant_since") or today.isoformat()
