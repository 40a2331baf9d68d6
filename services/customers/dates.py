"""The records whose date it is: what automation rules with a date trigger act on, each day.

- ``contact_birthday``: the live contacts born on the day's month and day (29 February on the 28th
  in other years), read from the ``birthday`` index, one key a year;
- ``customer_anniversary``: live customers whose relationship began on that month and day in an
  earlier year (``customer_since``, else the record's creation): ``due_keys`` ``since:<MM-DD>``;
- ``days_after_last_order`` / ``days_after_last_interaction``: live customers whose last order or
  interaction was ``days`` days before (``due_keys`` ``last_order:<date>``, ``last_interaction:<date>``);
- ``days_before_contract_end``: live orders whose contract ends ``days`` days after (index
  ``contract_end_date``);
- ``expected_order_overdue``: live customers whose next order, as their reorder forecast expects it
  (``forecasts``), was due ``days`` days before and has not come (``due_keys`` ``expected_order:<date>``:
  an order moves the forecast, and the key with it); orders:read.

A page is at most ``limit`` records by ``_id`` after ``cursor``; each names its customer.
"""
import datetime

from services.common import paging
from services.common.errors import ValidationFailed
from services.customers import contract, store

EARLIEST_YEAR = 1900


def month_days(day):
    """The ``MM-DD`` a date trigger matches on ``day`` (also ``02-29`` on 28 February of a common year)."""
    found = [day.strftime("%m-%d")]
    if found[0] == "02-28" and not _leap(day.year):
        found.append("02-29")
    return found


def _leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def matches(db, caller, kind, on_date, days=0, site_id=None, cursor=None, limit=None):
    """-> ``{items: [{customer_id, contact_id, order_id, date}], next_cursor}`` of ``kind`` on ``on_date``
    (ISO) at ``site_id``, one of the caller's sites."""
    caller.require("customers:read")
    caller.require_site(site_id)
    problems = {}
    if kind not in contract.DATE_KINDS:
        problems["kind"] = ["Must be one of: %s." % ", ".join(contract.DATE_KINDS)]
    try:
        day = datetime.date.fromisoformat(on_date)
    except (TypeError, ValueError):
        problems["on_date"] = ["Not a valid date."]
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
        problems["days"] = ["Must be between 0 and 3650."]
    if problems:
        raise ValidationFailed(fields=problems)
    limit = paging.check_limit(limit)
    cursor = cursor if isinstance(cursor, str) else None
    if kind == "contact_birthday":
        caller.require("contacts:read")
        keys = ["%d-%s" % (year, md) for year in range(EARLIEST_YEAR, day.year + 1) for md in month_days(day)]
        found = store.contacts_born(db, site_id, keys, cursor, limit)
        items = [{"customer_id": c["customer_id"], "contact_id": c["_id"], "order_id": None, "date": c["birthday"]}
                 for c in found]
    elif kind == "days_before_contract_end":
        caller.require("orders:read")
        end = (day + datetime.timedelta(days=days)).isoformat()
        found = store.orders_ending(db, site_id, end, cursor, limit)
        items = [{"customer_id": o["customer_id"], "contact_id": None, "order_id": o["_id"], "date": end}
                 for o in found]
    else:
        if kind == "customer_anniversary":
            keys = ["since:%s" % md for md in month_days(day)]
        elif kind == "expected_order_overdue":
            caller.require("orders:read")
            keys = ["expected_order:%s" % (day - datetime.timedelta(days=days)).isoformat()]
        else:
            prefix = "last_order" if kind == "days_after_last_order" else "last_interaction"
            keys = ["%s:%s" % (prefix, (day - datetime.timedelta(days=days)).isoformat())]
        found = store.customers_due_on(db, site_id, keys, cursor, limit)
        # an anniversary is of an earlier year: not the day the relationship began
        items = [{"customer_id": c["_id"], "contact_id": None, "order_id": None, "date": c.get("due_date")}
                 for c in found if kind != "customer_anniversary" or int(c["due_date"][:4]) < day.year]
    last = found[-1]["_id"] if len(found) == limit else None
    return {"items": items, "next_cursor": last}
