"""Reorder forecasts as the API serves them: one customer's (``forecast``) and the customers expected to
order soon or overdue (``expected_orders``). Both need ``customers:read`` and ``orders:read``.

The forecast itself is ``forecasts``'; the customer document keeps its figures (``forecast``) and the
due key ``expected_order:<date>``, made in the same write as the rest of its derived fields
(``insights.refresh``, after every change to its orders). "Today" is the day in the time zone of the
customer's site (of the one site the list reads; UTC for a list of several sites).

``expected_orders`` reads the days of its window (from today to ``within_days`` ahead and, with
``overdue_days`` M, the year of days up to M days ago), ``DAYS_A_READ`` days at a time, each read one
look-up of the days' keys in the ``due_keys`` index (as the automation date triggers do, ``dates.py``),
the sites picked here; it lists them by expected date and then ``_id``. A page stops reading once it
has ``limit`` and one more; it is not counted (``total`` is what paging has met so far, a lower bound
until the last page).
"""
import datetime

from services.common import paging, sites
from services.common.errors import BadRequest
from services.common.schemas import load
from services.customers import archive, contract, forecasts, lifecycle, store

PRODUCT_ORDERS = 1000  # the latest orders the product forecasts read
OVERDUE_SPAN = 365  # how far back from ``overdue_days`` the overdue customers are looked for
DAYS_A_READ = 8


def today_at(db, site_ids):
    """Today in the time zone of the one site of ``site_ids``, else in UTC."""
    zone = sites.zone_of(db, site_ids[0]) if site_ids and len(site_ids) == 1 else datetime.timezone.utc
    return datetime.datetime.now(zone).date()


def forecast(db, caller, customer_id, today=None):
    """``contract.ForecastOutSchema`` of one customer of the caller's sites (404 otherwise)."""
    caller.require("orders:read")
    customer = archive.get_visible(db, caller, customer_id)
    today = today or today_at(db, [customer["site_id"]])
    answer = forecasts.customer_forecast(store.counted_orders(db, [customer_id], lifecycle.NOT_COUNTED), today)
    answer["products"] = forecasts.product_forecasts(
        store.orders_with_lines(db, customer_id, lifecycle.NOT_COUNTED, PRODUCT_ORDERS))
    return dict(answer, customer_id=customer_id)


def window(today, within_days, overdue_days):
    """The expected dates a list reads, oldest first (ISO): the overdue ones, then from today on."""
    days = set(today + datetime.timedelta(days=n) for n in range(within_days + 1))
    if overdue_days is not None:
        late = today - datetime.timedelta(days=overdue_days)
        days.update(late - datetime.timedelta(days=n) for n in range(OVERDUE_SPAN + 1))
    return sorted(day.isoformat() for day in days)


def _item(customer, day, today):
    found = customer.get("forecast") or {}
    return {"customer_id": customer["_id"], "legal_name": customer.get("legal_name"),
            "site_id": customer.get("site_id"), "owner_id": customer.get("owner_id"),
            "tier": (customer.get("tier") or {}).get("level"), "last_order_date": customer.get("last_order_date"),
            "expected_date": day, "earliest": found.get("earliest"), "latest": found.get("latest"),
            "amount": found.get("amount"), "low": found.get("low"), "high": found.get("high"),
            "overdue_days": max(0, (today - datetime.date.fromisoformat(day)).days)}


def expected_orders(db, caller, query=None, cursor=None, limit=None, today=None):
    """A page of ``contract.ExpectedOrderSchema``: the caller's customers (of ``site_id``) expected to
    order within ``within_days``, and with ``overdue_days`` those late by that many days or more."""
    caller.require("customers:read")
    caller.require("orders:read")
    asked = load(contract.ExpectedOrdersQuerySchema(), query or {})
    limit = paging.check_limit(limit)
    site_id = asked.get("site_id")
    if site_id:
        caller.require_site(site_id)
    scope = [site_id] if site_id else (None if caller.all_sites else sorted(caller.sites))
    today = today or today_at(db, scope)
    key = "customers.expected_orders:%s:%s:%s" % (site_id or "*", asked["within_days"], asked.get("overdue_days"))
    after_day, after_id, seen = None, None, 0
    if cursor:
        after_day, after_id, seen, _ = paging.decode_cursor_with_bound(key, cursor)
        if not isinstance(after_day, str) or not isinstance(after_id, str):
            raise BadRequest("The cursor is not valid.", fields={"cursor": [paging.BAD_CURSOR]})
    rows = []
    days = [day for day in window(today, asked["within_days"], asked.get("overdue_days"))
            if not after_day or day >= after_day]
    sites = None if scope is None else set(scope)
    for start in range(0, len(days) if scope != [] else 0, DAYS_A_READ):
        read = set(days[start:start + DAYS_A_READ])
        found = sorted(((customer["forecast"]["next_order_date"], customer["_id"]), customer)
                       for customer in store.customers_expected(db, sorted(read))
                       if customer.get("deleted_at") is None and (sites is None or customer.get("site_id") in sites)
                       and (customer.get("forecast") or {}).get("next_order_date") in read)
        after = (after_day or "", after_id or "")
        rows += [(day, customer) for (day, ident), customer in found if (day, ident) > after]
        if len(rows) > limit:
            break
    total, bound = paging.met_so_far(seen, len(rows), limit)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = paging.encode_cursor(key, rows[-1][0], rows[-1][1]["_id"], seen + limit, True)
    return {"items": [_item(customer, day, today) for day, customer in rows], "next_cursor": next_cursor,
            "total": total, "total_is_lower_bound": bound}
