"""The periodic run's walk over every live customer, on the real DB server."""
import uuid

from services.customers import store


def test_every_live_customer_is_walked_once_whatever_its_id(db_factory):
    db = db_factory("customers")
    store.ensure_indexes(db)
    ids = [uuid.uuid4().hex for _ in range(60)] + ["", "A1", "ZZZ", "g-odd", "ff", "00"]
    db.customers.insert_many([{"_id": i, "site_id": "s%d" % (n % 3), "deleted_at": None} for n, i in enumerate(ids)])
    db.customers.insert_one({"_id": uuid.uuid4().hex, "site_id": "s1", "deleted_at": "2026-11-01"})
    for batch in (500, 10, 1):
        walked = list(store.iter_customer_ids(db, batch=batch))
        assert sorted(i for i, _ in walked) == sorted(ids), batch
    assert dict(store.iter_customer_ids(db, batch=10))["A1"] == "s1"


def test_ranges_cover_every_string_once():
    ranges = store.id_ranges(300)
    assert len(ranges) == 16 ** 3 and ranges[0] == (None, "001") and ranges[-1] == ("fff", None)
    assert all(high == ranges[n + 1][0] for n, (_, high) in enumerate(ranges[:-1]))
    assert store.id_ranges(0) == store.id_ranges(1) == [(None, None)]
