"""Merging customers and reverting it on the real DB, including a merge cut short."""
import datetime

import pytest

from services.common.auth import Caller
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.customers import archive, effects, merge, parts, store

PERMS = ["customers:read", "customers:write", "contacts:read", "contacts:write", "orders:read", "orders:write",
         "interactions:read", "interactions:write"]
SALES = Caller("u-sales", ["site-a"], PERMS)
SITE_B = Caller("u-b", ["site-b"], PERMS)
VOLATILE = ("version", "updated_at")


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def make(db, name, caller=SALES, **fields):
    customer = archive.create_customer(db, caller, dict(fields, legal_name=name), force=True)
    hooks = effects.Effects(db)
    contact = {"name": "联系人 " + name, "phone": "13800138000"}
    parts.create_part(db, caller, customer["id"], "contacts", contact, hooks)
    order = {"number": "SO-" + name, "order_date": "2026-09-01",
             "lines": [{"product": "Gear", "quantity": 1, "amount": 10}]}
    parts.create_part(db, caller, customer["id"], "orders", order, hooks)
    return customer["id"]


def snapshot(db):
    """Every customer and part, without the fields a restore moves on (version, time)."""
    found = {}
    for name in ("customers",) + store.PARTS:
        for document in db[name].find({}, {"_outbox": 0, "_pending": 0}):
            found[(name, document["_id"])] = {k: v for k, v in document.items() if k not in VOLATILE}
    return found


def test_merge_moves_children_and_revert_restores_everything(db):
    survivor = make(db, "苏州精机有限公司", industry="machinery")
    others = [make(db, "苏州精机", website="https://jingji.example.com"), make(db, "Suzhou Jingji Co., Ltd.",
                                                                          short_name="精机")]
    child = archive.create_customer(db, SALES, {"legal_name": "精机二厂", "parent_id": others[0],
                                                "account_type": "plant"}, force=True)["id"]
    before = snapshot(db)
    done = merge.merge(db, SALES, survivor, {"merged_ids": others, "fields": {"legal_name": others[1]}})
    assert done["status"] == "done" and done["moved"] == {"contacts": 2, "orders": 2, "children": 1}
    kept = store.find_customer(db, survivor)
    assert kept["legal_name"] == "Suzhou Jingji Co., Ltd." and kept["industry"] == "machinery"
    assert kept["website"] == "https://jingji.example.com" and kept["short_name"] == "精机"
    assert kept["last_order_date"] == "2026-09-01" and len(kept["contact_keys"]) > 0
    assert store.find_customer(db, others[0]) is None
    assert store.find_customer(db, others[1], include_deleted=True)["merged_into"] == survivor
    assert store.find_customer(db, child)["parent_id"] == survivor
    assert db.contacts.count_documents({"customer_id": survivor}) == 3
    raw = db.customers.find_one({"_id": survivor})
    assert "customers.customer_merged" in [e["type"] for e in raw["_outbox"]]

    reverted = merge.revert_merge(db, SALES, done["id"])
    assert reverted["status"] == "reverted"
    assert snapshot(db) == before
    raw = db.customers.find_one({"_id": survivor})
    assert "customers.merge_reverted" in [e["type"] for e in raw["_outbox"]]
    assert merge.revert_merge(db, SALES, done["id"])["status"] == "reverted"


def test_merge_outside_your_sites_is_not_found(db):
    mine = make(db, "Mine Ltd")
    theirs = make(db, "Theirs Ltd", caller=SITE_B)
    with pytest.raises(NotFound):
        merge.merge(db, SALES, mine, {"merged_ids": [theirs]})
    with pytest.raises(ValidationFailed):
        merge.merge(db, SALES, mine, {"merged_ids": [mine]})
    done = merge.merge(db, SALES, mine, {"merged_ids": [make(db, "Mine Two")]})
    with pytest.raises(NotFound):
        merge.revert_merge(db, SITE_B, done["id"])


def test_a_merge_cut_short_is_completed_or_reverted(db, monkeypatch):
    survivor, other = make(db, "Alpha Gear"), make(db, "Alpha Gears")
    before = snapshot(db)
    original = store.move_parts
    monkeypatch.setattr(store, "move_parts", lambda *a: (_ for _ in ()).throw(RuntimeError("process died")))
    with pytest.raises(RuntimeError):
        merge.merge(db, SALES, survivor, {"merged_ids": [other]})
    monkeypatch.setattr(store, "move_parts", original)
    record = db.merges.find_one({})
    assert record["status"] == "pending"
    assert merge.resume_stale(db) == 0
    db.merges.update_one({"_id": record["_id"]}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    assert merge.resume_stale(db) == 1
    assert db.merges.find_one({})["status"] == "done"
    assert db.orders.count_documents({"customer_id": survivor}) == 2

    monkeypatch.setattr(store, "restore_parts", lambda *a: (_ for _ in ()).throw(RuntimeError("died again")))
    with pytest.raises(RuntimeError):
        merge.revert_merge(db, SALES, record["_id"])
    monkeypatch.undo()
    with pytest.raises(Conflict):
        merge.revert_merge(db, SALES, record["_id"])
    db.merges.update_one({"_id": record["_id"]}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    assert merge.revert_merge(db, SALES, record["_id"])["status"] == "reverted"
    assert snapshot(db) == before


def test_a_survivor_changed_meanwhile_abandons_the_merge(db, monkeypatch):
    survivor, other = make(db, "Beta Valve"), make(db, "Beta Valves")
    real = merge.apply

    def edit_first(db_, record):
        archive.update_customer(db_, SALES, survivor, {"industry": "valves", "version": 1})
        return real(db_, record)

    monkeypatch.setattr(merge, "apply", edit_first)
    with pytest.raises(Conflict):
        merge.merge(db, SALES, survivor, {"merged_ids": [other]})
    assert db.merges.find_one({})["status"] == "abandoned"
    assert store.find_customer(db, other) is not None


def test_merge_keeps_the_hierarchy_acyclic(db):
    group = make(db, "Gamma Group")
    plant = archive.create_customer(db, SALES, {"legal_name": "Gamma Plant", "parent_id": group}, force=True)["id"]
    done = merge.merge(db, SALES, plant, {"merged_ids": [group]})
    assert store.find_customer(db, plant)["parent_id"] is None
    merge.revert_merge(db, SALES, done["id"])
    assert store.find_customer(db, plant)["parent_id"] == group
