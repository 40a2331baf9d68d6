"""Tier rules: VIP / key / general from the trailing 12 months of orders, with readable reasons,
and the manual override that wins until it expires.

Amounts are summed as recorded, in the orders' own currencies (no conversion).
"""
import datetime



RANK = {"vip": 3, "key": 2, "general": 1}


def amount_text(value):
    """1250000 -> '1 250 000'; cents only where there are any."""
    text = "{:,.2f}".format(value).replace(",", " ")
    return text[:-3] if text.endswith(".00") else text


def number_text(value):
    return ("%.1f" % value).rstrip("0").rstrip(".")


def years_as_customer(first_order_date, created_at, today, customer_since=None):
    """Years since the first order, the record's creation or the relationship's start
    (``customer_since``), whichever is earliest."""
    starts = [d for d in (first_order_date, created_at, customer_since) if d is not None]
    if not starts:
        return 0.0
    return max(0.0, (today - min(starts)).days / 365.25)


def computed_tier(amount, orders, years, thresholds):
    """``{level, reasons}`` from the 12-month amount and order count and the years as a customer."""
    t = thresholds
    money = amount_text(amount)
    reasons = []
    if amount >= t["vip_amount"]:
        reasons.append("12-month amount %s ≥ %s" % (money, amount_text(t["vip_amount"])))
    if amount >= t["vip_loyal_amount"] and years >= t["vip_loyal_years"]:
        reasons.append("12-month amount %s ≥ %s and customer for %s years ≥ %s" % (
            money, amount_text(t["vip_loyal_amount"]), number_text(years), number_text(t["vip_loyal_years"])))
    if reasons:
        return {"level": "vip", "reasons": reasons}
    if amount >= t["key_amount"]:
        reasons.append("12-month amount %s ≥ %s" % (money, amount_text(t["key_amount"])))
    if orders >= t["key_orders"]:
        reasons.append("%d orders in 12 months ≥ %d" % (orders, t["key_orders"]))
    if reasons:
        return {"level": "key", "reasons": reasons}
    return {"level": "general", "reasons": [
        "12-month amount %s < %s" % (money, amount_text(t["key_amount"])),
        "%d orders in 12 months < %d" % (orders, t["key_orders"])]}


def override_active(override, now):
    if not override:
        return False
    expires = override.get("expires_at")
    return expires is None or parse_time(expires) > now


def parse_time(text):
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def time_text(moment):
    """A UTC time as fixed-width ISO text (whole seconds), so stored times compare as text."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def effective_tier(computed, override, now):
    """The tier a customer has: the override while it lasts, the computed one otherwise."""
    tier = {"level": computed["level"], "reasons": list(computed["reasons"]), "overridden": False,
            "computed": computed}
    if override_active(override, now):
        until = " (until %s)" % override["expires_at"][:10] if override.get("expires_at") else ""
        tier.update(level=override["level"], overridden=True, override=override,
                    reasons=["Set by hand: %s%s" % (override["reason"], until)])
    return tier


def explanation(tier):
    return "; ".join((tier or {}).get("reasons") or [])
