"""Point look-ups of customers (duplicates, import links, a user's customers, a parent's children)
ride one multikey index on ``match_keys``, on the real database server: every kind of write keeps
the keys right (an owner changed, a site moved, a customer deleted), customers stored before the
keys get them at start, deleted ones too, and the indexes the keys replace are dropped. The upkeep
timers find what is due through one multikey index on ``due_keys`` the same way."""
import datetime

import pytest

from services.common.auth import Caller
from services.customers import archive, listing, store, tiering
from tests.support.sites import known_sites
from tests.support.windows import index_served, watching

PERMISSIONS = ["customers:read", "customers:write", "contacts:read", "customers:delete"]
SALES_A = Caller("u-a", ["site-a"], PERMISSIONS)
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
ADMIN = Caller("u-admin", [], PERMISSIONS + ["sites:all"])


@pytest.fixture
def watched(test_env):
    for db, finds in watching(test_env, "matchkeys", "customers"):
        known_sites(db)
        archive.prepare_database(db)
        yield db, finds


def found(db, field, value):
    return {c["_id"] for c in store.customers_matching(db, field, [value], {"_id": 1}, 0)}


def test_the_keys_of_every_matched_field_and_an_external_code_of_its_own_site():
    customer = {"site_id": "site-a", "tax_id_key": "91320500MA1X", "name_key": "suzhoujingmi", "phone_keys": ["1380"],
                "email_keys": ["a@b.cn", "c@d.cn"], "external_code": "K-7", "owner_id": "u-a", "parent_id": None}
    assert listing.match_keys(customer) == [
        "code:site-a:K-7", "email:a@b.cn", "email:c@d.cn", "name:suzhoujingmi", "owner:u-a", "phone:1380",
        "tax:91320500MA1X"]
    assert listing.match_keys({"site_id": "site-a", "name_key": ""}) == []
    assert listing.match_range("phone_keys", "13", None) == {"$gte": "phone:13", "$lt": "phone;"}


def test_every_write_keeps_a_customer_found_by_its_keys_and_no_longer_by_its_old_ones(watched):
    db, finds = watched
    parent = archive.create_customer(db, SALES_A, {"legal_name": "苏州精密集团", "site_id": "site-a"}, force=True)
    child = archive.create_customer(db, SALES_A, {
        "legal_name": "苏州精密机械有限公司", "site_id": "site-a", "tax_id": "91320500MA1XKQ0B7F",
        "external_code": "K-7", "phone": "0512-6688 1230", "parent_id": parent["id"]}, force=True)
    assert found(db, "owner_id", "u-a") == {parent["id"], child["id"]}
    assert found(db, "parent_id", parent["id"]) == {child["id"]}
    assert found(db, "tax_id_key", "91320500MA1XKQ0B7F") == {child["id"]}
    assert found(db, "phone_keys", "051266881230") == {child["id"]}
    assert [c["_id"] for c in store.find_import_matches(db, "site-a", {"external_code": {"K-7"}})] == [child["id"]]
    assert [c["_id"] for c in store.find_import_matches(
        db, "site-a", {"legal_name": {"苏州精密机械有限公司", "Nobody"}})] == [child["id"]]

    store.change_customer(db, {"_id": child["id"]}, {"owner_id": "u-b", "parent_id": None})
    assert found(db, "owner_id", "u-a") == {parent["id"]} and found(db, "owner_id", "u-b") == {child["id"]}
    assert found(db, "parent_id", parent["id"]) == set()
    store.change_customer(db, {"_id": child["id"]}, {"site_id": "site-b"})
    assert store.find_import_matches(db, "site-a", {"external_code": {"K-7"}}) == []
    assert [c["_id"] for c in store.find_import_matches(db, "site-b", {"external_code": {"K-7"}})] == [child["id"]]

    archive.delete_customer(db, ADMIN, child["id"])
    assert found(db, "tax_id_key", "91320500MA1XKQ0B7F") == {child["id"]}  # duplicates see deleted ones
    assert [c["_id"] for c in store.customers_owned_outside(db, "u-b", ["site-a"], 10)] == [child["id"]]
    assert store.find_import_matches(db, "site-b", {"tax_id_key": {"91320500MA1XKQ0B7F"}}) == []
    sent = [query for query in finds.filters if "match_keys" in query]
    assert sent and all(next(iter(query)) == "match_keys" for query in sent), sent
    assert all(index_served(db.customers, {"match_keys": query["match_keys"]}) for query in sent)


def test_customers_stored_before_the_lookup_keys_get_them_at_start_deleted_ones_too(test_env):
    for db, _ in watching(test_env, "matchkeys"):
        known_sites(db)
        for index in store.FOLDED_INDEXES:
            db.customers.create_index(index)
        old = [{"_id": "%032x" % n, "site_id": "site-a", "legal_name": "Old %d" % n, "name_key": "old%d" % n,
                "owner_id": "u-old", "tax_id_key": "9132%014d" % n, "phone_keys": [], "email_keys": [],
                "all_keys": ["old"],
                "created_at": NOW, "deleted_at": None if n % 2 else NOW} for n in range(1, 7)]
        for customer in old:
            if customer["deleted_at"]:
                customer["purge_after"] = NOW
        db.customers.insert_many(old)
        archive.prepare_database(db)
        assert found(db, "owner_id", "u-old") == {c["_id"] for c in old}
        assert found(db, "tax_id_key", "9132%014d" % 2) == {"%032x" % 2}
        assert [c["_id"] for c in store.customers_to_purge(db, NOW)] == ["%032x" % n for n in (2, 4, 6)]
        keys = [index["key"] for index in db.customers.index_information().values()]
        assert [("match_keys", 1)] in keys and not [index for index in store.FOLDED_INDEXES if index in keys]
        assert len(keys) - 1 <= 16, keys


def test_the_upkeep_timers_find_what_is_due_through_the_due_keys(watched):
    db, finds = watched
    created = archive.create_customer(db, SALES_A, {"legal_name": "Due Works"}, force=True)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    store.set_customer_fields(db, created["id"], {"tier": {"level": "normal", "override": {
        "level": "vip", "expires_at": tiering.time_text(later)}}, "followup_notice_pending": True,
        "next_followup_date": "2026-12-01"})
    assert store.expired_tier_overrides(db, tiering.time_text(later - datetime.timedelta(seconds=1))) == []
    assert store.expired_tier_overrides(db, tiering.time_text(later)) == [created["id"]]
    assert [c["_id"] for c in store.followups_to_announce(db, "2026-12-01")] == [created["id"]]
    assert store.mark_followup_announced(db, created["id"], "2026-12-01") == 1
    assert list(store.followups_to_announce(db, "2026-12-31")) == []

    store.change_customer(db, {"_id": created["id"]}, {"site_id": "site-b", "moving_parts": True})
    assert [c["_id"] for c in store.customers_moving(db)] == [created["id"]]
    store.finish_move(db, created["id"], "site-b")
    assert store.customers_moving(db) == []

    archive.delete_customer(db, ADMIN, created["id"])
    assert store.expired_tier_overrides(db, tiering.time_text(later)) == []  # a deleted customer's override waits
    due = store.find_customer(db, created["id"], include_deleted=True)["purge_after"]
    assert store.customers_to_purge(db, due - datetime.timedelta(microseconds=1)) == []
    assert [c["_id"] for c in store.customers_to_purge(db, due)] == [created["id"]]
    sent = [query for query in finds.filters if "due_keys" in query]
    assert len(sent) == 9 and all(list(query) == ["due_keys"] for query in sent), sent
    assert all(index_served(db.customers, query) for query in sent)
