"""Reads of many customers' documents by id (an import's batch of 500 rows, an export's page) ask
the embedded server ``store.IN_CHUNK`` ids at a time: it checks each candidate of an ``$in``
against the whole list, so one query of n ids costs n². Every record comes back, each customer's
in its order."""
import datetime

from services.customers import store
from tests.support import windows

watched_db = windows.watched_db

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def test_the_records_of_many_customers_are_read_in_chunks_each_customers_in_its_order(watched_db):
    db, finds = watched_db
    ids = ["c%04d" % n for n in range(250)]
    db.customers.insert_many([{"_id": c, "site_id": "s1", "deleted_at": None, "legal_name": c} for c in ids])
    db.contacts.insert_many(
        [{"_id": "%s-%d" % (c, k), "customer_id": c, "deleted_at": None, "primary": k == 1,
          "created_at": T0 + datetime.timedelta(minutes=k)} for c in ids for k in range(2)]
        + [{"_id": "c0000-gone", "customer_id": "c0000", "deleted_at": T0, "primary": False, "created_at": T0}])
    db.orders.insert_many([{"_id": "%s-o%d" % (c, k), "customer_id": c, "deleted_at": None,
                            "created_at": T0 + datetime.timedelta(days=1 - k)} for c in ids for k in range(2)])
    finds.clear()

    wanted = ids + ids[:10]  # a repeat asks nothing twice
    contacts = store.customers_contacts(db, wanted)
    orders = store.customers_parts(db, "orders", wanted)
    customers = store.customers_in_order(db, [{"_id": c} for c in reversed(ids)])

    assert [c["_id"] for c in customers] == list(reversed(ids))
    assert len(contacts) == 500 and len({c["_id"] for c in contacts}) == 500
    assert len(orders) == 500 and len({o["_id"] for o in orders}) == 500
    for customer_id in ids:
        assert [c["_id"] for c in contacts if c["customer_id"] == customer_id] == [
            customer_id + "-1", customer_id + "-0"]  # the primary first
        assert [o["_id"] for o in orders if o["customer_id"] == customer_id] == [
            customer_id + "-o1", customer_id + "-o0"]  # the oldest first
    asked = [query for name, query in finds.sent if name in ("customers", "contacts", "orders")]
    sizes = [len((query.get("_id") or query.get("customer_id"))["$in"]) for query in asked]
    assert sizes == [100, 100, 50] * 3, sizes
