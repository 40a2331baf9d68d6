"""The audit trail, the users and a user's sign-ins are read in time windows (``windows.time_page``)
on the real database server: each page's queries are index-served and read a bounded number of
documents beside a dense burst, and paging yields exactly the sorted list of the caller's scope."""
import datetime
import random

import pytest

from services.accounts import audit, management, store
from services.common.auth import Caller
from tests.support import windows as support
from tests.support.windows import START, check_queries, newest_first, page_all

watched_db, frozen_clock = support.watched_db, support.frozen_clock

AUDITOR_A = Caller("u-a", ["site-a"], ["audit:read"])
AUDITOR_AB = Caller("u-ab", ["site-a", "site-b"], ["audit:read"])
HQ = Caller("u-hq", ["site-hq"], ["audit:read", "sites:all"])
ADMIN_A = Caller("u-admin-a", ["site-a"], ["users:admin"])
ADMIN_ALL = Caller("u-admin", [], ["users:admin", "sites:all"])




pytestmark = pytest.mark.usefixtures("frozen_clock")


def now():
    return START


def seed_audit(db, rng):
    """600 entries written at 500 a second just now (an import), 600 over the ten years before."""
    start = now()
    times = [start - datetime.timedelta(milliseconds=2 * n) for n in range(600)]
    times += [start - datetime.timedelta(minutes=rng.randrange(1, 60 * 24 * 3650)) for _ in range(600)]
    entries = [{"_id": "%032x" % rng.getrandbits(128), "at": at, "site_id": rng.choice(["site-a", "site-b", None]),
                "actor": rng.choice(["u-1", "u-2", "u-3"]), "source": "customers", "entity_type": "customer",
                "entity_id": rng.choice(["c-1", "c-2", "c-3", "c-4"]), "action": rng.choice(["created", "updated"]),
                "changes": {}} for at in times]
    db.audit.insert_many(entries)
    return entries


def audit_page(db, caller, filters):
    def read(limit, cursor):
        items, next_cursor, total, bound = audit.list_entries(db, caller, dict(filters), limit, cursor)
        return {"items": items, "next_cursor": next_cursor, "total": total, "total_is_lower_bound": bound}
    return read


def test_the_audit_trail_pages_to_exactly_the_callers_sorted_entries_in_bounded_reads(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    entries = seed_audit(db, random.Random(3))
    middle = sorted(entry["at"] for entry in entries)[300]
    cases = [
        (AUDITOR_A, {}, lambda e: e["site_id"] == "site-a"),
        (AUDITOR_AB, {}, lambda e: e["site_id"] in ("site-a", "site-b")),
        (HQ, {}, lambda e: True),
        (AUDITOR_A, {"actor": "u-2"}, lambda e: e["site_id"] == "site-a" and e["actor"] == "u-2"),
        (AUDITOR_AB, {"site_id": "site-b", "action": "created"},
         lambda e: e["site_id"] == "site-b" and e["action"] == "created"),
        (AUDITOR_A, {"site_id": "site-b"}, lambda e: False),
        (HQ, {"entity_type": "customer", "entity_id": "c-3"}, lambda e: e["entity_id"] == "c-3"),
        (HQ, {"action": "updated", "until": middle}, lambda e: e["action"] == "updated" and e["at"] <= middle),
        (AUDITOR_AB, {"since": middle.isoformat()},
         lambda e: e["site_id"] in ("site-a", "site-b") and e["at"] >= middle),
    ]
    for caller, filters, test in cases:
        wanted = newest_first([e for e in entries if test(e)], "at")
        for limit in (40, 500):
            assert page_all(audit_page(db, caller, filters), limit) == wanted, (caller.user_id, filters, limit)
    for caller, filters in ((AUDITOR_A, {}), (HQ, {}), (AUDITOR_AB, {"actor": "u-1"}),
                            (HQ, {"entity_type": "customer", "entity_id": "c-1"})):
        cursor = None
        for _ in range(4):
            finds.clear()
            _, cursor, _, _ = audit.list_entries(db, caller, dict(filters), 25, cursor)
            check_queries(db.audit, finds.of("audit"), 450)


def test_users_page_newest_first_in_the_callers_sites(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(4)
    start = now()
    users = [{"_id": "%032x" % rng.getrandbits(128), "username": "user%03d" % n, "username_key": "user%03d" % n,
              "email_key": "u%03d@f.test" % n, "sites": rng.sample(["site-a", "site-b", "site-c"], rng.randrange(1, 3)),
              "roles": [rng.choice(["sales", "manager"])], "status": rng.choice(["active", "active", "deleted"]),
              "created_at": start - datetime.timedelta(seconds=rng.choice([0, 1, 60, 86400 * rng.randrange(900)]))}
             for n in range(300)]
    db.users.insert_many(users)
    cases = [
        (ADMIN_A, {}, lambda u: "site-a" in u["sites"] and u["status"] != "deleted"),
        (ADMIN_ALL, {}, lambda u: u["status"] != "deleted"),
        (ADMIN_ALL, {"status": "deleted", "role": "sales"},
         lambda u: u["status"] == "deleted" and "sales" in u["roles"]),
        (ADMIN_A, {"site_id": "site-b"},
         lambda u: {"site-a", "site-b"} <= set(u["sites"]) and u["status"] != "deleted"),
        (ADMIN_ALL, {"q": "USER1"}, lambda u: u["username"].startswith("user1") and u["status"] != "deleted"),
    ]
    for caller, filters, test in cases:
        wanted = newest_first([u for u in users if test(u)], "created_at")
        assert page_all(lambda limit, cursor: management.list_users(db, caller, dict(filters), limit, cursor),
                        30) == wanted, filters
    finds.clear()
    management.list_users(db, ADMIN_A, {"site_id": "site-a"}, 25, None)
    check_queries(db.users, finds.of("users"), 300)


def test_a_users_sign_ins_page_newest_first(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(5)
    start = now()
    logins = [{"_id": "%032x" % rng.getrandbits(128), "user_id": rng.choice(["u-1", "u-2"]),
               "at": start - datetime.timedelta(seconds=rng.choice([0, 0, 5, rng.randrange(10 ** 8)]))}
              for _ in range(600)]
    db.logins.insert_many(logins)

    def read(limit, cursor):
        items, next_cursor, total, bound = store.list_logins(db, "u-1", limit, cursor)
        return {"items": items, "next_cursor": next_cursor, "total": total, "total_is_lower_bound": bound}

    assert page_all(read, 45) == newest_first([entry for entry in logins if entry["user_id"] == "u-1"], "at")
    finds.clear()
    store.list_logins(db, "u-2", 25, None)
    check_queries(db.logins, finds.of("logins"), 200)


def test_a_database_of_an_earlier_release_loses_the_lists_old_indexes(db_factory):
    db = db_factory("accounts")
    db.audit.create_index([("site_id", 1), ("at", -1)])
    db.logins.create_index([("user_id", 1), ("at", -1)])
    store.ensure_indexes(db)
    assert [("site_id", 1), ("at", -1)] not in [index["key"] for index in db.audit.index_information().values()]
    assert [("user_id", 1), ("at", -1)] not in [index["key"] for index in db.logins.index_information().values()]
