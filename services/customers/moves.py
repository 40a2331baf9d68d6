"""A customer moved to another site takes its records along: parts (deleted ones too), tier
history and feedback scores; feedback learns it from ``customers.customer_moved``.

The customer's own write changes its site, marks it ``moving_parts`` and queues the event; its
records follow right after, by customer id, and the mark is cleared. A move cut short keeps the
mark, and ``resume`` (a timer) carries the rest over: every step can run again harmlessly.

Moving customers out is how a site is emptied before accounts deletes it: ``site_usage`` counts
what still belongs to a site.
"""
import logging

from pymongo.errors import PyMongoError

from services.common import sites
from services.customers import events, store

log = logging.getLogger(__name__)


def moved_event(customer_id, from_site_id, to_site_id, actor):
    return events.event("customer_moved", {"customer_id": customer_id, "from_site_id": from_site_id,
                                           "to_site_id": to_site_id}, to_site_id, actor)


def carry_records(db, customer_id, site_id):
    store.move_customer_records(db, customer_id, site_id)
    store.finish_move(db, customer_id, site_id)


def resume(db):
    """Finish moves cut short; how many."""
    count = 0
    try:
        for customer in store.customers_moving(db):
            carry_records(db, customer["_id"], customer["site_id"])
            count += 1
    except PyMongoError as exc:
        log.warning("resuming moves: database unavailable (%s)", type(exc).__name__)
    return count


def site_usage(db, caller, site_id):
    """The customer data still at ``site_id`` (``sites.usage``), asked by accounts before it deletes
    a site. Erased customers are left out with their records: they cannot be moved, and their
    erasure must not keep a site alive."""
    return sites.usage(caller, site_id, lambda site: store.count_site_records(db, site,
                                                                            store.erased_customer_ids(db, site)))
