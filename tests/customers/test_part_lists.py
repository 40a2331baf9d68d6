"""A customer's parts and the merges are read in time windows (``windows.time_page``) on the real
database server: each page's queries are index-served and read a bounded number of documents, and
paging yields exactly the sorted list of the customer (or the caller's sites): another customer's
or site's records, and deleted ones, never appear."""
import datetime
import random

import pytest

from services.common.auth import Caller
from services.customers import merge, store
from tests.support import windows as support
from tests.support.windows import START, check_queries, newest_first, page_all, times

watched_db, frozen_clock = support.watched_db, support.frozen_clock
WRITER_A = Caller("u-a", ["site-a"], ["customers:read", "customers:write"])
WRITER_ALL = Caller("u-all", [], ["customers:read", "customers:write", "sites:all"])


pytestmark = pytest.mark.usefixtures("frozen_clock")




def as_page(answer):
    items, next_cursor, total, bound = answer
    return {"items": items, "next_cursor": next_cursor, "total": total, "total_is_lower_bound": bound}


@pytest.mark.parametrize("part", sorted(store.PARTS))
def test_a_customers_part_pages_newest_first(watched_db, part):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(part)
    field = store.PART_SORTS[part]
    documents = []
    for at in times(rng, 400, 400) + [START + datetime.timedelta(days=rng.randrange(1, 90)) for _ in range(50)]:
        documents.append({"_id": "%032x" % rng.getrandbits(128), "customer_id": rng.choice(["c-1", "c-2"]),
                          "site_id": "site-a", field: at.date().isoformat() if field in store.TEXT_DATES else at,
                          "deleted_at": rng.choice([None, None, None, START]), "created_at": at})
    db[part].insert_many(documents)
    wanted = newest_first([d for d in documents if d["customer_id"] == "c-1" and d["deleted_at"] is None], field)
    assert page_all(lambda limit, cursor: as_page(store.list_parts(db, part, "c-1", limit, cursor)), 60) == wanted
    cursor = None
    for _ in range(3):
        finds.clear()
        _, cursor, _, _ = store.list_parts(db, part, "c-2", 25, cursor)
        check_queries(db[part], finds.of(part), 300)


def test_merges_page_newest_first_in_the_callers_sites(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(7)
    documents = [{"_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice(["site-a", "site-b"]),
                  "status": "done", "survivor_id": "c-1", "merged_ids": ["c-2"], "fields": {}, "created_by": "u-a",
                  "created_at": at, "images": {}}
                 for at in times(rng, 300, 200)]
    db.merges.insert_many(documents)
    for caller, sites in ((WRITER_A, {"site-a"}), (WRITER_ALL, None)):
        wanted = newest_first([d for d in documents if sites is None or d["site_id"] in sites], "created_at")
        assert page_all(lambda limit, cursor: merge.list_merges(db, caller, limit, cursor), 70) == wanted
        finds.clear()
        merge.list_merges(db, caller, 25, None)
        check_queries(db.merges, finds.of("merges"), 150)


def test_a_database_of_an_earlier_release_loses_the_lists_old_indexes(db_factory):
    db = db_factory("customers")
    db.orders.create_index([("customer_id", 1), ("created_at", -1)])
    db.merges.create_index([("site_id", 1), ("created_at", -1)])
    store.ensure_indexes(db)
    assert [("customer_id", 1), ("created_at", -1)] not in [i["key"] for i in db.orders.index_information().values()]
    assert [("site_id", 1), ("created_at", -1)] not in [i["key"] for i in db.merges.index_information().values()]
