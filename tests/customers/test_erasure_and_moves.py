"""Erasure, the purge of lapsed soft deletes, moves between sites and the owner/assignee check,
as plain rules on the real DB (accounts answered by a stand-in for ``remote.call``)."""
import datetime

import pytest

from services.common import remote
from services.common.auth import Caller
from services.common.errors import Conflict, NotFound, Unavailable, ValidationFailed
from services.customers import archive, effects, erasure, lists, merge, moves, parts, store

PERMS = ["customers:read", "customers:write", "contacts:read", "contacts:write", "orders:read", "orders:write",
         "interactions:read", "interactions:write"]
SALES = Caller("u-sales", ["site-a"], PERMS, token="t")
HQ = Caller("u-hq", ["site-a", "site-b"], PERMS, token="t")
DIRECTORY = {
    "u-a": {"id": "u-a", "sites": ["site-a"], "permissions": ["customers:read", "interactions:write"],
            "status": "active"},
    "u-b": {"id": "u-b", "sites": ["site-b"], "permissions": ["customers:read", "interactions:write"],
            "status": "active"},
    "u-finance": {"id": "u-finance", "sites": ["site-a", "site-b"], "permissions": ["customers:read"],
                  "status": "active"},
    "u-gone": {"id": "u-gone", "sites": ["site-a"], "permissions": ["customers:read"], "status": "disabled"},
}


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


@pytest.fixture
def accounts(monkeypatch):
    """accounts' ``user_directory`` as seen by a caller: users sharing no site with it are unknown."""
    asked = []

    def call(service, method, user_ids, token=None):
        assert (service, method, token) == ("accounts", "user_directory", "t")
        asked.extend(user_ids)
        return {"items": [DIRECTORY[i] for i in user_ids if i in DIRECTORY]}

    monkeypatch.setattr(remote, "call", call)
    return asked


def events_of(db, collection, document_id, name):
    return [event for event in db[collection].find_one({"_id": document_id}).get("_outbox", [])
            if event["type"] == "customers." + name]


def full_customer(db, caller=SALES, **fields):
    customer = archive.create_customer(db, caller, dict({
        "legal_name": "苏州精机有限公司", "phone": "13800138000", "email": "boss@jingji.example.com",
        "notes": "Boss likes tea", "addresses": [{"type": "office", "street": "1 Road", "city": "Suzhou"}]},
        **fields), force=True)
    hooks = effects.Effects(db)
    contact = parts.create_part(db, caller, customer["id"], "contacts", {
        "name": "王小明", "phone": "13900139000", "email": "wang@example.com", "birthday": "1980-02-03",
        "notes": "private"}, hooks)
    order = parts.create_part(db, caller, customer["id"], "orders", {
        "number": "SO-1", "order_date": "2026-09-01", "lines": [{"product": "Gear", "quantity": 1, "amount": 1234}]},
        hooks)
    parts.create_part(db, caller, customer["id"], "interactions", {
        "kind": "call", "occurred_at": "2026-09-02T08:00:00+00:00", "summary": "Talked to 王小明 about his son",
        "participants": ["王小明"]}, hooks)
    return customer, contact, order


def test_erasure_blanks_the_customer_and_its_parts_but_keeps_ids_site_and_figures(db, accounts):
    customer, contact, order = full_customer(db)
    archive.delete_customer(db, SALES, customer["id"], erase=True)
    kept = store.find_customer(db, customer["id"], include_deleted=True)
    assert kept["erased"] is True and kept["legal_name"] == erasure.ERASED and kept["site_id"] == "site-a"
    assert kept["phone"] is None and kept["email"] is None and kept["notes"] is None and kept["addresses"] == []
    assert kept["all_keys"] == [] and kept["contact_phone_keys"] == [] and "purge_after" not in kept
    person = db.contacts.find_one({"_id": contact["id"]})
    assert person["name"] == erasure.ERASED and person["phone"] is None and person["email"] is None
    assert person["birthday"] is None and person["notes"] is None
    talk = db.interactions.find_one({"customer_id": customer["id"]})
    assert talk["summary"] == erasure.ERASED and talk["participants"] == []
    assert db.orders.find_one({"_id": order["id"]})["total_amount"] == 1234
    [deleted] = events_of(db, "customers", customer["id"], "customer_deleted")
    assert deleted["data"] == {"customer_id": customer["id"], "legal_name": None, "erased": True}
    erased = events_of(db, "customers", customer["id"], "customer_erased")
    assert [e["data"] for e in erased] == [{
        "customer_id": customer["id"], "contact_ids": [contact["id"]], "fields": erasure.ERASED_FIELDS,
        "records": {"customer": [customer["id"]], "contact": [contact["id"]], "interaction": [talk["_id"]],
                    "service_record": [], "opportunity": [], "followup": []}}]
    listed = lists.list_customers(db, SALES, {"deleted": True}, None, None)
    assert customer["id"] not in [c["id"] for c in listed["items"]]
    with pytest.raises(NotFound):
        archive.restore_customer(db, SALES, customer["id"])
    with pytest.raises(NotFound):
        archive.delete_customer(db, SALES, customer["id"], erase=True)


def test_a_soft_deleted_customer_can_still_be_erased_and_stays_listed_until_then(db, accounts):
    customer, _, _ = full_customer(db)
    archive.delete_customer(db, SALES, customer["id"])
    listed = lists.list_customers(db, SALES, {"deleted": True}, None, None)
    assert customer["id"] in [c["id"] for c in listed["items"]]
    archive.delete_customer(db, SALES, customer["id"], erase=True)
    assert store.find_customer(db, customer["id"], include_deleted=True)["legal_name"] == erasure.ERASED


def test_the_purge_erases_only_customers_past_their_window_once(db, accounts, monkeypatch):
    lapsed, contact, _ = full_customer(db)
    recent, _, _ = full_customer(db, legal_name="杭州精机有限公司")
    for customer in (lapsed, recent):
        archive.delete_customer(db, SALES, customer["id"])
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    store.change_customer(db, {"_id": lapsed["id"]}, {"purge_after": past})
    real = store.erase_customer
    monkeypatch.setattr(store, "erase_customer", lambda *a, **k: (_ for _ in ()).throw(OSError("crash")))
    assert erasure.purge_due(db) == 0  # cut short after blanking the parts: tried again next run
    assert db.contacts.find_one({"_id": contact["id"]})["name"] == erasure.ERASED
    assert store.find_customer(db, lapsed["id"], include_deleted=True)["legal_name"] != erasure.ERASED
    monkeypatch.setattr(store, "erase_customer", real)
    assert erasure.purge_due(db) == 1
    assert erasure.purge_due(db) == 0
    assert store.find_customer(db, lapsed["id"], include_deleted=True)["legal_name"] == erasure.ERASED
    assert store.find_customer(db, recent["id"], include_deleted=True)["legal_name"] == "杭州精机有限公司"
    purged = events_of(db, "customers", lapsed["id"], "customer_purged")
    assert [(e["data"]["customer_id"], e["data"]["contact_ids"], e["data"]["records"]["contact"])
            for e in purged] == [(lapsed["id"], [contact["id"]], [contact["id"]])]


def test_a_customer_whose_purge_keeps_failing_does_not_hold_up_the_others(db, accounts, monkeypatch):
    stuck, _, _ = full_customer(db)
    other, _, _ = full_customer(db, legal_name="杭州精机有限公司")
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=40)
    for customer, lapsed in ((stuck, long_ago), (other, long_ago + datetime.timedelta(days=1))):
        archive.delete_customer(db, SALES, customer["id"])
        store.change_customer(db, {"_id": customer["id"]}, {"purge_after": lapsed})
    real = erasure.purge

    def purge(database, customer, *args):
        if customer["_id"] == stuck["id"]:
            raise ValueError("a record this code cannot handle")
        return real(database, customer, *args)

    monkeypatch.setattr(erasure, "purge", purge)
    assert erasure.purge_due(db) == 1
    assert store.find_customer(db, other["id"], include_deleted=True)["erased"] is True
    assert not store.find_customer(db, stuck["id"], include_deleted=True).get("erased")


def test_a_move_takes_every_record_along_and_a_move_cut_short_is_finished(db, accounts, monkeypatch):
    customer, contact, order = full_customer(db, caller=HQ)
    real = store.move_customer_records
    monkeypatch.setattr(store, "move_customer_records", lambda *a: (_ for _ in ()).throw(OSError("crash")))
    with pytest.raises(OSError):
        archive.update_customer(db, HQ, customer["id"], {"site_id": "site-b", "version": customer["version"]})
    monkeypatch.setattr(store, "move_customer_records", real)
    moved = store.find_customer(db, customer["id"])
    assert moved["site_id"] == "site-b" and moved["moving_parts"] is True
    assert db.orders.find_one({"_id": order["id"]})["site_id"] == "site-a"
    event = events_of(db, "customers", customer["id"], "customer_moved")[0]
    assert event["data"] == {"customer_id": customer["id"], "from_site_id": "site-a", "to_site_id": "site-b"}
    assert event["site_id"] == "site-b"
    assert moves.resume(db) == 1
    for part in store.PARTS + ("tier_history",):
        assert db[part].count_documents({"customer_id": customer["id"], "site_id": "site-a"}) == 0, part
    assert db.contacts.find_one({"_id": contact["id"]})["site_id"] == "site-b"
    assert "moving_parts" not in store.find_customer(db, customer["id"])
    assert moves.resume(db) == 0


def test_owner_and_assignee_must_be_active_users_of_the_site_with_the_permission(db, accounts):
    customer = archive.create_customer(db, SALES, {"legal_name": "宁波精机有限公司", "owner_id": "u-a"}, force=True)
    for owner, message in (("u-b", "does not work"), ("u-gone", "No such active"), ("u-nobody", "No such active")):
        with pytest.raises(ValidationFailed) as refused:
            archive.create_customer(db, SALES, {"legal_name": "宁波精机", "owner_id": owner}, force=True)
        assert message in refused.value.fields["owner_id"][0]
    with pytest.raises(ValidationFailed) as refused:
        archive.update_customer(db, SALES, customer["id"], {"owner_id": "u-b", "version": customer["version"]})
    assert "owner_id" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        archive.update_customer(db, HQ, customer["id"], {"site_id": "site-b", "version": customer["version"]})
    assert "owner_id" in refused.value.fields
    moved = archive.update_customer(db, HQ, customer["id"], {"site_id": "site-b", "owner_id": "u-b",
                                                             "version": customer["version"]})
    assert moved["owner_id"] == "u-b" and moved["site_id"] == "site-b"
    hooks = effects.Effects(db)
    task = {"title": "Call back", "due_date": "2026-12-01", "assignee_id": "u-finance"}
    with pytest.raises(ValidationFailed) as refused:
        parts.create_part(db, HQ, customer["id"], "followups", task, hooks)
    assert "interactions:write" in refused.value.fields["assignee_id"][0]
    created = parts.create_part(db, HQ, customer["id"], "followups", dict(task, assignee_id="u-b"), hooks)
    with pytest.raises(ValidationFailed):
        parts.update_part(db, HQ, customer["id"], "followups", created["id"],
                          {"assignee_id": "u-a", "version": created["version"]}, hooks)


def test_accounts_down_refuses_the_owner_rather_than_accepting_it(db, monkeypatch):
    def down(*args, **kwargs):
        raise Unavailable("The accounts service is unavailable.")

    monkeypatch.setattr(remote, "call", down)
    with pytest.raises(Unavailable):
        archive.create_customer(db, SALES, {"legal_name": "宁波精机有限公司", "owner_id": "u-a"}, force=True)
    assert db.customers.count_documents({}) == 0


def test_merge_list_names_and_children_stay_within_the_callers_sites(db, accounts):
    survivor = archive.create_customer(db, HQ, {"legal_name": "苏州精机有限公司", "site_id": "site-a"}, force=True)
    other = archive.create_customer(db, HQ, {"legal_name": "苏州精机", "site_id": "site-b"}, force=True)
    hooks = effects.Effects(db)
    order = parts.create_part(db, HQ, other["id"], "orders", {
        "number": "SO-9", "order_date": "2026-09-01", "lines": [{"product": "Gear", "quantity": 1, "amount": 5}]},
        hooks)
    site_a_only = Caller("u-a", ["site-a"], PERMS, token="t")
    merge.merge(db, HQ, survivor["id"], {"merged_ids": [other["id"]]})
    assert db.orders.find_one({"_id": order["id"]})["site_id"] == "site-a"
    retired = store.find_customer(db, other["id"], include_deleted=True)
    assert retired["site_id"] == "site-a"
    assert events_of(db, "customers", other["id"], "customer_moved")[0]["data"]["to_site_id"] == "site-a"
    audits = [e for doc in db.outbox.find() for e in doc["_outbox"]
              if e["type"] == "customers.audit" and e["data"]["entity_id"] == order["id"]]
    assert [a["data"]["action"] for a in audits] == ["moved"]
    assert audits[0]["data"]["changes"]["customer_id"] == {"before": other["id"], "after": survivor["id"]}
    assert merge.list_merges(db, HQ, None, None)["items"][0]["names"] == {
        survivor["id"]: "苏州精机有限公司", other["id"]: "苏州精机"}
    assert merge.list_merges(db, site_a_only, None, None)["items"][0]["names"] == {survivor["id"]: "苏州精机有限公司"}


def test_a_merge_leaves_children_in_sites_its_caller_cannot_see_where_they_are(db, accounts):
    site_a_only = Caller("u-a", ["site-a"], PERMS, token="t")
    survivor = archive.create_customer(db, HQ, {"legal_name": "无锡精机有限公司", "site_id": "site-a"}, force=True)
    merged = archive.create_customer(db, HQ, {"legal_name": "无锡精机", "site_id": "site-a"}, force=True)
    seen = archive.create_customer(db, HQ, {"legal_name": "无锡精机一厂", "site_id": "site-a",
                                            "parent_id": merged["id"]}, force=True)
    unseen = archive.create_customer(db, HQ, {"legal_name": "无锡精机二厂", "site_id": "site-b",
                                              "parent_id": merged["id"]}, force=True)
    done = merge.merge(db, site_a_only, survivor["id"], {"merged_ids": [merged["id"]]})
    assert done["moved"].get("children") == 1
    assert store.find_customer(db, seen["id"])["parent_id"] == survivor["id"]
    assert store.find_customer(db, unseen["id"])["parent_id"] == merged["id"]


def test_erasing_a_merged_customer_blanks_its_image_in_the_merge_too(db, accounts):
    survivor, _, _ = full_customer(db)
    merged, _, _ = full_customer(db, legal_name="苏州精机", phone="13700137000")
    done = merge.merge(db, SALES, survivor["id"], {"merged_ids": [merged["id"]]})
    archive.delete_customer(db, SALES, merged["id"], erase=True)
    image = db.merges.find_one({"_id": done["id"]})["images"][merged["id"]]
    assert image["legal_name"] == erasure.ERASED and image["phone"] is None and image["_id"] == merged["id"]
    assert merge.list_merges(db, SALES, None, None)["items"][0]["names"][merged["id"]] == erasure.ERASED


def test_a_merge_whose_customer_was_erased_cannot_be_reverted_into_a_live_blank(db, accounts):
    survivor, _, _ = full_customer(db)
    merged, _, _ = full_customer(db, legal_name="苏州精机", phone="13700137000")
    done = merge.merge(db, SALES, survivor["id"], {"merged_ids": [merged["id"]]})
    archive.delete_customer(db, SALES, merged["id"], erase=True)
    with pytest.raises(Conflict) as refused:
        merge.revert_merge(db, SALES, done["id"])
    assert refused.value.code == "merge_erased"
    assert store.find_customer(db, merged["id"], include_deleted=True)["erased"] is True
    assert store.find_merge(db, done["id"])["status"] == "done"


def test_a_merge_whose_survivor_moved_away_cannot_be_reverted_by_the_old_site(db, accounts):
    survivor, _, _ = full_customer(db, owner_id="u-finance")
    merged, _, _ = full_customer(db, legal_name="苏州精机", phone="13700137000")
    done = merge.merge(db, SALES, survivor["id"], {"merged_ids": [merged["id"]]})
    current = store.find_customer(db, survivor["id"])
    archive.update_customer(db, HQ, survivor["id"], {"site_id": "site-b", "version": current["version"]})
    with pytest.raises(Conflict) as refused:
        merge.revert_merge(db, SALES, done["id"])
    assert refused.value.code == "merge_moved"
    assert store.find_customer(db, survivor["id"])["site_id"] == "site-b"


def test_the_sales_report_never_names_a_customer_of_another_site(db, accounts):
    from services.customers import reports

    customer = archive.create_customer(db, HQ, {"legal_name": "外厂客户有限公司", "site_id": "site-b"}, force=True)
    left_behind = {"_id": "o-legacy", "customer_id": customer["id"], "site_id": "site-a", "deleted_at": None,
                   "status": "confirmed", "order_date": "2026-09-01", "total_amount": 99.0,
                   "lines": [{"product": "Gear", "quantity": 1, "amount": 99.0}]}
    db.orders.insert_one(left_behind)
    reader = Caller("u-r", ["site-a"], ["reports:read", "orders:read"], token="t")
    report = reports.report_sales(db, reader, {"since": "2026-09-01", "until": "2026-09-01"})
    assert [row["legal_name"] for row in report["by_customer"]] == [None]
    assert [row["legal_name"] for row in report["by_group"]] == [None]
    assert "外厂客户" not in str(report)
    both = Caller("u-ab", ["site-a", "site-b"], ["reports:read", "orders:read"], token="t")
    assert reports.report_sales(db, both, {"since": "2026-09-01", "until": "2026-09-01"})["by_customer"][0][
        "legal_name"] == "外厂客户有限公司"


def test_a_merge_cannot_give_the_survivor_an_owner_of_another_site(db, accounts):
    survivor = archive.create_customer(db, HQ, {"legal_name": "常州精机有限公司", "site_id": "site-a",
                                                "owner_id": "u-a"}, force=True)
    other = archive.create_customer(db, HQ, {"legal_name": "常州精机", "site_id": "site-b", "owner_id": "u-b"},
                                    force=True)
    with pytest.raises(ValidationFailed) as refused:
        merge.merge(db, HQ, survivor["id"], {"merged_ids": [other["id"]], "fields": {"owner_id": other["id"]}})
    assert "owner_id" in refused.value.fields
    assert db.merges.count_documents({}) == 0


def test_parts_moved_by_a_merge_and_its_revert_are_audited_once_each(db, accounts):
    survivor = archive.create_customer(db, SALES, {"legal_name": "昆山精机有限公司"}, force=True)
    merged, contact, sold = full_customer(db, legal_name="昆山精机")
    done = merge.merge(db, SALES, survivor["id"], {"merged_ids": [merged["id"]]})
    record = db.merges.find_one({"_id": done["id"]})
    merge.apply(db, dict(record, status="pending"))  # run again, as after a crash: no second entries
    merge.revert_merge(db, SALES, done["id"])

    def audited(entity_id):
        entries = {e["event_id"]: e["data"] for doc in db.outbox.find() for e in doc["_outbox"]
                   if e["type"] == "customers.audit" and e["data"]["entity_id"] == entity_id}
        return sorted((d["action"], d["changes"]["customer_id"]["after"]) for d in entries.values())

    for part_id in (contact["id"], sold["id"]):
        assert audited(part_id) == sorted([("moved", survivor["id"]), ("move_reverted", merged["id"])])
