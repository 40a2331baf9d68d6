"""Reorder forecasts (plain rules: no database): when a customer, or one of its products, is expected
to order next, how much, and how sure that is.

The history is the customer's counted orders (``lifecycle.NOT_COUNTED`` left out), one purchase per
order day (orders of the same day summed), its latest ``MAX_POINTS`` days. With fewer than
``MIN_ORDERS`` order days there is no forecast (method ``insufficient_history``). Otherwise:

- **Cadence**: the gaps in days between consecutive order days. The next gap is their median over
  the latest ``RECENT`` gaps; with ``TREND_MIN_POINTS`` gaps or more and a Theil-Sen slope of the
  gaps against their order number whose 90 % interval leaves out 0 (``scipy.stats.theilslopes``),
  the line's value at the next gap instead (``gap_trend``), kept between half the shortest and
  twice the longest gap seen. Expected date = last order day + the next gap.
- **Amount**: the amounts of the order days against their day. With two years of history and
  ``SEASON_MIN_POINTS`` order days or more, month-of-year factors: the median ratio of the amounts
  of a calendar month (met in two years or more) to the level line, kept only when they cut the
  absolute deviations about the line to ``SEASON_GAIN`` or less (``seasonal``). The amounts, divided
  by their month's factor, then get the cadence's rule: a Theil-Sen line against the day when its
  slope is sure (``amount_trend``), else the median of the latest ``RECENT``; the expected amount is
  that level on the expected date times the factor of its month (never below 0).
- **Confidence range** (``CONFIDENCE``, 80 %): the residuals of the fit (gap or amount less the
  fitted one): with ``QUANTILE_MIN`` residuals or more their empirical 10 % and 90 % quantiles
  (``statistics.quantiles``), fewer a Student t prediction interval, ± t(0.90, n-1) · s · √(1 + 1/n).
  Earliest is at least the day after the last order; the amount range never goes below 0.
- ``method`` names what was used: ``cadence``, plus ``+gap_trend``, ``+amount_trend``, ``+seasonal``.

Per product (orders with lines): the same rules on the order days holding the product, for its
quantity and its amount; the ``TOP_PRODUCTS`` products with the largest amount and enough history.
"""
import collections
import datetime
import functools
import hashlib
import math
import statistics

from scipy import stats

from services.customers.lifecycle import as_date

CONFIDENCE = 0.80
MIN_ORDERS = 3
MAX_POINTS = 120
RECENT = 12
TREND_MIN_POINTS = 6
TREND_CONFIDENCE = 0.90
QUANTILE_MIN = 20
SEASON_MIN_DAYS = 730
SEASON_MIN_POINTS = 12
SEASON_GAIN = 0.8
TOP_PRODUCTS = 10
INSUFFICIENT = "insufficient_history"
RULES_VERSION = "1"  # part of ``basis``: a change of the rules makes every forecast anew
DAY = datetime.timedelta(days=1)


def purchases(orders):
    """``[(date, amount)]`` of ``orders`` (``[{order_date, total_amount}]``), one per order day, oldest first."""
    days = collections.defaultdict(float)
    for order in orders:
        days[as_date(order["order_date"])] += order.get("total_amount") or 0.0
    return sorted(days.items())


def _fit(x, y):
    """``(predict, first, trend)``: a Theil-Sen line when its slope is sure, else the median level of
    the latest ``RECENT`` points; ``first`` is the index of the first point the fit stands on."""
    if len(y) >= TREND_MIN_POINTS:
        line = stats.theilslopes(y, x, alpha=TREND_CONFIDENCE)
        if line.low_slope > 0 or line.high_slope < 0:
            slope, intercept = float(line.slope), float(line.intercept)
            return (lambda at: intercept + slope * at), 0, True
    level = statistics.median(y[-RECENT:])
    return (lambda at: level), max(0, len(y) - RECENT), False


def _interval(residuals):
    """``(low, high)`` offsets of the ``CONFIDENCE`` range from the residuals of a fit."""
    n = len(residuals)
    if n >= QUANTILE_MIN:
        deciles = statistics.quantiles(residuals, n=10, method="inclusive")
        return deciles[0], deciles[-1]
    if n < 2:
        return 0.0, 0.0
    half = _t_quantile(n - 1) * statistics.stdev(residuals) * math.sqrt(1 + 1 / n)
    return -half, half


@functools.lru_cache(maxsize=256)
def _t_quantile(freedom):
    return float(stats.t.ppf((1 + CONFIDENCE) / 2, freedom))


def next_date(dates):
    """``{expected, earliest, latest, trend}`` (dates) of the next order after ``dates`` (order days, sorted)."""
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    predict, first, trend = _fit(list(range(len(gaps))), gaps)
    residuals = [gap - predict(n) for n, gap in enumerate(gaps) if n >= first]
    ahead = min(max(predict(len(gaps)), min(gaps) / 2, 1), 2 * max(gaps))
    low, high = _interval(residuals)
    last = dates[-1]
    earliest = max(1, round(ahead + low))
    return {"expected": last + round(ahead) * DAY, "earliest": last + earliest * DAY,
            "latest": last + max(earliest, round(ahead + high)) * DAY, "trend": trend}


def seasonal_factors(dates, values):
    """``(factors, held_out)``: ``{month: factor}`` of the amounts and, for each amount, the factor of
    its month made from the other years only; None: too short a history, or factors that explain too
    little, judged out of sample (each amount against its ``held_out`` factor)."""
    if (dates[-1] - dates[0]).days < SEASON_MIN_DAYS or len(values) < SEASON_MIN_POINTS:
        return None
    x = [(d - dates[0]).days for d in dates]
    predict = _fit(x, values)[0]
    ratios = collections.defaultdict(list)
    for day, at, value in zip(dates, x, values):
        if predict(at) > 0:
            ratios[day.month].append((day.year, value / predict(at)))
    factors = {month: statistics.median(r for _, r in found) for month, found in ratios.items()
               if len({year for year, _ in found}) >= 2}
    if not factors:
        return None
    held_out = []
    for day in dates:
        found = [r for year, r in ratios.get(day.month, ()) if year != day.year]
        held_out.append(statistics.median(found) if found and day.month in factors else 1.0)
    plain = sum(abs(value - predict(at)) for at, value in zip(x, values))
    seasonal = sum(abs(value - predict(at) * factor) for at, value, factor in zip(x, values, held_out))
    return (factors, held_out) if seasonal <= SEASON_GAIN * plain else None


def next_value(dates, values, target):
    """``{value, low, high, trend, seasonal}`` of the amount (or quantity) expected on ``target``.

    Amounts vary in proportion to their level, so the range is made of relative residuals
    (amount / fitted - 1), the seasonal ones against the held-out factor of their month."""
    factors, held_out = seasonal_factors(dates, values) or ({}, [1.0] * len(dates))
    x = [(d - dates[0]).days for d in dates]
    adjusted = [value / factors.get(day.month, 1.0) for day, value in zip(dates, values)]
    predict, first, trend = _fit(x, adjusted)
    residuals = [value / (predict(at) * factor) - 1 for n, (at, value, factor) in enumerate(zip(x, values, held_out))
                 if n >= first and predict(at) * factor > 0]
    level = max(predict((target - dates[0]).days), 0.0) * factors.get(target.month, 1.0)
    low, high = _interval(residuals)
    return {"value": level, "low": level * max(1 + low, 0.0), "high": level * max(1 + high, 0.0),
            "trend": trend, "seasonal": bool(factors)}


def predict(points):
    """The next order after ``points`` (``[(date, value)]``, one per order day, oldest first), or None
    with fewer than ``MIN_ORDERS``: ``{expected, earliest, latest, value, low, high, method}``."""
    points = points[-MAX_POINTS:]
    if len(points) < MIN_ORDERS:
        return None
    dates, values = [d for d, _ in points], [v for _, v in points]
    when = next_date(dates)
    amount = next_value(dates, values, when["expected"])
    method = "cadence" + "".join(name for name, used in (
        ("+gap_trend", when["trend"]), ("+amount_trend", amount["trend"]), ("+seasonal", amount["seasonal"])) if used)
    return dict(when, value=amount["value"], low=amount["low"], high=amount["high"], method=method)


def _money(value):
    return round(value, 2)


def customer_forecast(orders, today):
    """The forecast of a customer from its counted orders (``[{order_date, total_amount}]``) as of ``today``."""
    points = purchases(orders)
    dates = [d for d, _ in points]
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    history = {"orders": len(orders), "first_order_date": dates[0].isoformat() if dates else None,
               "last_order_date": dates[-1].isoformat() if dates else None,
               "median_gap_days": round(statistics.median(gaps), 1) if gaps else None}
    found = predict(points)
    if found is None:
        return {"method": INSUFFICIENT, "history": history, "next_order": None, "overdue_days": None}
    return {"method": found["method"], "history": history, "next_order": {
        "expected_date": found["expected"].isoformat(), "earliest": found["earliest"].isoformat(),
        "latest": found["latest"].isoformat(), "expected_amount": _money(found["value"]),
        "amount_low": _money(found["low"]), "amount_high": _money(found["high"]), "confidence": CONFIDENCE},
        "overdue_days": max(0, (today - found["expected"]).days)}


def stored(orders):
    """What the customer document keeps of its forecast (``forecast``): ``{next_order_date, amount, low,
    high, earliest, latest}``, or None without one."""
    found = predict(purchases(orders))
    if found is None:
        return None
    return {"next_order_date": found["expected"].isoformat(), "amount": _money(found["value"]),
            "low": _money(found["low"]), "high": _money(found["high"]),
            "earliest": found["earliest"].isoformat(), "latest": found["latest"].isoformat()}


def basis(orders):
    """A fingerprint of what the forecast of ``orders`` is made from (and of the rules' version)."""
    text = repr([(d.isoformat(), round(a, 2)) for d, a in purchases(orders)[-MAX_POINTS:]])
    return RULES_VERSION + ":" + hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def derived(customer, orders):
    """``{forecast, forecast_basis}`` of a customer document: its kept forecast while its orders are the
    same (the periodic recompute costs no forecast then), else ``stored(orders)``."""
    made_from = basis(orders)
    if customer.get("forecast_basis") == made_from:
        return {"forecast": customer.get("forecast"), "forecast_basis": made_from}
    return {"forecast": stored(orders), "forecast_basis": made_from}


def product_forecasts(orders, limit=TOP_PRODUCTS):
    """The next order of each of the ``limit`` products with the largest amount in ``orders`` (counted
    orders with ``lines``) that has ``MIN_ORDERS`` order days: ``[{product, expected_date, earliest,
    latest, expected_quantity, expected_amount}]``."""
    bought = collections.defaultdict(lambda: collections.defaultdict(lambda: [0.0, 0.0]))
    for order in orders:
        day = as_date(order["order_date"])
        for line in order.get("lines") or ():
            kept = bought[line["product"]][day]
            kept[0] += line.get("quantity") or 0.0
            kept[1] += line.get("amount") or 0.0
    ranked = sorted(((sum(a for _, a in days.values()), product) for product, days in bought.items()
                     if len(days) >= MIN_ORDERS), key=lambda pair: (-pair[0], pair[1]))
    found = []
    for _, product in ranked[:limit]:
        days = sorted(bought[product].items())[-MAX_POINTS:]
        dates = [d for d, _ in days]
        when = next_date(dates)
        quantity = next_value(dates, [q for _, (q, _) in days], when["expected"])
        amount = next_value(dates, [a for _, (_, a) in days], when["expected"])
        found.append({"product": product, "expected_date": when["expected"].isoformat(),
                      "earliest": when["earliest"].isoformat(), "latest": when["latest"].isoformat(),
                      "expected_quantity": round(quantity["value"], 3), "expected_amount": _money(amount["value"])})
    return found
