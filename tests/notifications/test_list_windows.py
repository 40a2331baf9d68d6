"""The inbox, the failed e-mails, the webhooks and a hook's deliveries are read in time windows
(``windows.time_page``) on the real database server: each page's queries are index-served and read
a bounded number of documents beside a dense burst, and paging yields exactly the sorted list of
the caller's scope (another site's or user's items never appear)."""
import random

import pytest

from services.common.auth import Caller
from services.notifications import admin, inbox, store, webhooks
from tests.support import windows as support
from tests.support.windows import START, check_queries, newest_first, page_all, times

watched_db, frozen_clock = support.watched_db, support.frozen_clock
ADMIN_A = Caller("u-a", ["s1"], ["webhooks:admin", "users:admin"])
ADMIN_AB = Caller("u-ab", ["s1", "s2"], ["webhooks:admin"])
ADMIN_ALL = Caller("u-all", [], ["webhooks:admin", "sites:all"])


pytestmark = pytest.mark.usefixtures("frozen_clock")



def ident(rng):
    return "%032x" % rng.getrandbits(128)


def as_page(answer):
    items, next_cursor, total, bound = answer
    return {"items": items, "next_cursor": next_cursor, "total": total, "total_is_lower_bound": bound}


def test_the_inbox_pages_a_users_own_items_and_the_unread_ones(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(1)
    items = [{"_id": ident(rng), "user_id": rng.choice(["ann", "bob"]), "created_at": at,
              "read_at": rng.choice([None, START]), "kind": "followup_due", "title": "t", "body": "b", "link": None}
             for at in times(rng, 500, 500)]
    db.inbox.insert_many(items)
    for unread in (False, True):
        wanted = newest_first([i for i in items if i["user_id"] == "ann" and (not unread or i["read_at"] is None)],
                              "created_at")
        assert page_all(lambda limit, cursor: inbox.list_mine(db, Caller("ann", ["s1"], []), {"unread": unread},
                                                              limit, cursor), 70) == wanted
        finds.clear()
        page = inbox.list_mine(db, Caller("ann", ["s1"], []), {"unread": unread}, 25, None)
        assert page["unread"] == len([i for i in items if i["user_id"] == "ann" and i["read_at"] is None])
        check_queries(db.inbox, finds.of("inbox"), 150)


def test_failed_emails_page_by_failure_in_the_callers_sites(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(2)
    emails = [{"_id": ident(rng), "site_id": rng.choice(["s1", "s2", None]), "status": rng.choice(["failed", "sent"]),
               "failed_at": at, "to": "x@f.test", "subject": "s"} for at in times(rng, 600, 400)]
    db.emails.insert_many(emails)
    for caller, sites in ((ADMIN_A, {"s1"}), (ADMIN_ALL, None)):
        wanted = newest_first([e for e in emails if e["status"] == "failed"
                               and (sites is None or e["site_id"] in sites)], "failed_at")
        got = page_all(lambda limit, cursor: admin.list_failed_emails(db, caller, limit, cursor), 60)
        assert got == wanted
        finds.clear()
        admin.list_failed_emails(db, caller, 25, None)
        check_queries(db.emails, finds.of("emails"), 200)


def test_webhooks_and_deliveries_page_newest_first_in_scope(watched_db):
    db, finds = watched_db
    store.ensure_indexes(db)
    rng = random.Random(3)
    hooks = [{"_id": ident(rng), "site_id": rng.choice(["s1", "s2", "s3"]), "created_at": at, "active": True,
              "url": "https://hooks.test/x", "event_types": ["*"], "deleted": rng.random() < 0.2}
             for at in times(rng, 100, 200)]
    db.webhooks.insert_many(hooks)
    for caller, sites in ((ADMIN_A, {"s1"}), (ADMIN_AB, {"s1", "s2"}), (ADMIN_ALL, None)):
        wanted = newest_first([h for h in hooks if not h["deleted"] and (sites is None or h["site_id"] in sites)],
                              "created_at")
        assert page_all(lambda limit, cursor: webhooks.list_visible(db, caller, limit, cursor), 40) == wanted
        finds.clear()
        webhooks.list_visible(db, caller, 25, None)
        check_queries(db.webhooks, finds.of("webhooks"), 150)
    deliveries = [{"_id": ident(rng), "webhook_id": rng.choice(["h1", "h2"]), "created_at": at,
                   "status": rng.choice(["pending", "delivered", "failed"])} for at in times(rng, 600, 400)]
    db.deliveries.insert_many(deliveries)
    for status in (None, "failed"):
        wanted = newest_first([d for d in deliveries if d["webhook_id"] == "h1" and status in (None, d["status"])],
                              "created_at")
        got = page_all(lambda limit, cursor: as_page(store.list_deliveries(db, "h1", status, limit, cursor)), 80)
        assert got == wanted
        finds.clear()
        store.list_deliveries(db, "h2", status, 25, None)
        check_queries(db.deliveries, finds.of("deliveries"), 150)


def test_a_database_of_an_earlier_release_loses_the_lists_old_indexes(db_factory):
    db = db_factory("notifications")
    db.inbox.create_index([("user_id", 1), ("created_at", -1)])
    db.emails.create_index([("status", 1), ("failed_at", -1)])
    store.ensure_indexes(db)
    assert [("user_id", 1), ("created_at", -1)] not in [i["key"] for i in db.inbox.index_information().values()]
    assert [("status", 1), ("failed_at", -1)] not in [i["key"] for i in db.emails.index_information().values()]
