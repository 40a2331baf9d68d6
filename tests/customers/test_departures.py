"""Customers and follow-ups of a user who left (accounts' user events), on the real DB: which
records lose their owner or assignee for each kind of event, in batches, and a run cut short or
repeated finishes the job without touching anything twice."""
import pytest

from services.common.auth import Caller
from services.common.envelope import make_event
from services.customers import archive, departures, effects, parts, store

PERMS = ["customers:read", "customers:write", "interactions:read", "interactions:write"]
LEAVER = Caller("u-leaver", ["site-a", "site-b"], PERMS)
STAYER = Caller("u-stayer", ["site-a", "site-b"], PERMS)
TASK = {"title": "Call back", "due_date": "2026-10-01", "assignee_id": "u-leaver"}


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def user_updated(status="active", sites=("site-a", "site-b"), permissions=PERMS):
    return make_event("accounts.user_updated", {"user_id": "u-leaver", "username": "leaver", "sites": list(sites),
                                                "roles": ["sales"], "status": status, "permissions": list(permissions),
                                                "changed_fields": ["status"]})


def permissions_changed(permissions, status="active"):
    return make_event("accounts.permissions_changed", {"user_id": "u-leaver", "roles": ["sales"], "grants": [],
                                                       "revocations": [], "effective": list(permissions),
                                                       "status": status, "permissions": list(permissions)})


def user_deleted():
    return make_event("accounts.user_deleted", {"user_id": "u-leaver"})


@pytest.fixture
def records(db):
    """The leaver's customers in sites A and B (one soft-deleted, one erased), an open and a done
    task assigned to them in each site, and a colleague's customer."""
    hooks = effects.Effects(db)
    made = {}
    for site in ("site-a", "site-b"):
        customer = archive.create_customer(db, LEAVER, {"legal_name": "%s精机有限公司" % site, "site_id": site},
                                           force=True)
        made[site] = customer["id"]
        made["open-" + site] = parts.create_part(db, LEAVER, customer["id"], "followups", TASK, hooks)["id"]
        made["done-" + site] = parts.create_part(db, LEAVER, customer["id"], "followups",
                                                 dict(TASK, status="done"), hooks)["id"]
    made["deleted"] = archive.create_customer(db, LEAVER, {"legal_name": "已删除有限公司"}, force=True)["id"]
    archive.delete_customer(db, LEAVER, made["deleted"])
    made["erased"] = archive.create_customer(db, LEAVER, {"legal_name": "已擦除有限公司"}, force=True)["id"]
    archive.delete_customer(db, LEAVER, made["erased"], erase=True)
    made["colleague"] = archive.create_customer(db, STAYER, {"legal_name": "同事有限公司"}, force=True)["id"]
    return made


def owner(db, customer_id):
    customer = store.find_customer(db, customer_id, include_deleted=True)
    return customer.get("owner_id"), customer.get("owner_left")


def assignee(db, task_id):
    return db.followups.find_one({"_id": task_id}).get("assignee_id")


def test_a_disabled_user_leaves_every_customer_and_open_task(db, records):
    done = departures.apply(db, user_updated(status="disabled"))
    assert done == {"owners_cleared": 3, "assignees_cleared": 2}
    for key in ("site-a", "site-b", "deleted"):
        owner_id, left = owner(db, records[key])
        assert owner_id is None and left["user_id"] == "u-leaver" and left["at"]
    assert owner(db, records["erased"])[0] == "u-leaver"
    assert owner(db, records["colleague"]) == ("u-stayer", None)
    assert [assignee(db, records[k]) for k in ("open-site-a", "open-site-b")] == [None, None]
    assert [assignee(db, records[k]) for k in ("done-site-a", "done-site-b")] == ["u-leaver", "u-leaver"]
    task = db.followups.find_one({"_id": records["open-site-a"]})
    assert task["assignee_left"]["user_id"] == "u-leaver" and task["version"] == 2


def test_the_customer_change_is_versioned_announced_and_audited_in_one_write(db, records):
    departures.apply(db, user_deleted())
    customer = db.customers.find_one({"_id": records["site-a"]})
    assert customer["version"] == 2
    announced = {event["type"]: event for event in customer["_outbox"]}
    updated = announced["customers.customer_updated"]
    assert updated["actor"] == "service:customers" and updated["data"]["owner_id"] is None
    assert "owner_id" in updated["data"]["changed_fields"]
    audit = [e for e in customer["_outbox"] if e["type"] == "customers.audit" and e["data"]["action"] == "updated"]
    assert audit[0]["actor"] == "service:customers"
    assert audit[0]["data"]["changes"]["owner_id"] == {"before": "u-leaver", "after": None}
    assert archive.get_customer(db, STAYER, records["site-a"])["owner_left"]["user_id"] == "u-leaver"


def test_a_user_moved_to_another_site_leaves_only_the_records_of_the_old_one(db, records):
    departures.apply(db, user_updated(sites=["site-b"]))
    assert owner(db, records["site-a"])[0] is None and owner(db, records["deleted"])[0] is None
    assert owner(db, records["site-b"]) == ("u-leaver", None)
    assert assignee(db, records["open-site-a"]) is None and assignee(db, records["open-site-b"]) == "u-leaver"


def test_a_lost_permission_clears_only_what_needs_it(db, records):
    departures.apply(db, permissions_changed(["customers:read", "interactions:read"]))
    assert owner(db, records["site-a"]) == ("u-leaver", None)
    assert assignee(db, records["open-site-a"]) is None and assignee(db, records["open-site-b"]) is None
    departures.apply(db, permissions_changed(["interactions:write"]))
    assert owner(db, records["site-a"])[0] is None and owner(db, records["site-b"])[0] is None


@pytest.mark.parametrize("event", [
    user_updated(sites=[], permissions=PERMS + ["sites:all"]),
    user_updated(),
    permissions_changed(PERMS),
], ids=["sites-all", "unchanged", "permissions-kept"])
def test_a_user_still_allowed_everywhere_keeps_everything(db, records, event):
    assert departures.apply(db, event) == {"owners_cleared": 0, "assignees_cleared": 0}
    assert owner(db, records["site-a"]) == ("u-leaver", None)
    assert assignee(db, records["open-site-b"]) == "u-leaver"


def test_many_customers_in_batches_and_a_run_cut_short_is_finished_by_the_next(db, monkeypatch):
    monkeypatch.setattr(departures, "BATCH", 4)
    ids = [archive.create_customer(db, LEAVER, {"legal_name": "客户%02d有限公司" % n}, force=True)["id"]
           for n in range(11)]
    change = store.change_customer
    calls = []

    def crash_on_the_sixth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise RuntimeError("worker died")
        return change(*args, **kwargs)

    monkeypatch.setattr(store, "change_customer", crash_on_the_sixth)
    event = user_deleted()
    with pytest.raises(RuntimeError):
        departures.apply(db, event)
    assert sum(1 for i in ids if owner(db, i)[0] is None) == 5
    monkeypatch.setattr(store, "change_customer", change)
    assert departures.apply(db, event)["owners_cleared"] == 6
    assert all(owner(db, i)[0] is None for i in ids)
    versions = {i: store.find_customer(db, i)["version"] for i in ids}
    assert departures.apply(db, event) == {"owners_cleared": 0, "assignees_cleared": 0}
    assert {i: store.find_customer(db, i)["version"] for i in ids} == versions == dict.fromkeys(ids, 2)


def test_a_customer_changed_meanwhile_is_read_again_and_still_cleared(db, monkeypatch):
    customer = archive.create_customer(db, LEAVER, {"legal_name": "并发有限公司"}, force=True)
    find = store.customers_owned_outside
    raced = []

    def changed_after_reading(*args, **kwargs):
        found = find(*args, **kwargs)
        if found and not raced:
            raced.append(archive.update_customer(db, LEAVER, customer["id"], {"industry": "x", "version": 1}))
        return found

    monkeypatch.setattr(store, "customers_owned_outside", changed_after_reading)
    assert departures.apply(db, user_deleted())["owners_cleared"] == 1
    cleared = store.find_customer(db, customer["id"])
    assert cleared["owner_id"] is None and cleared["industry"] == "x" and cleared["version"] == 3


def test_setting_a_new_owner_or_assignee_clears_the_departure_mark(db, records):
    departures.apply(db, user_deleted())
    customer = store.find_customer(db, records["site-a"])
    updated = archive.update_customer(db, STAYER, records["site-a"], {"owner_id": "u-stayer",
                                                                      "version": customer["version"]})
    assert updated["owner_id"] == "u-stayer" and updated["owner_left"] is None
    task = db.followups.find_one({"_id": records["open-site-a"]})
    changed = parts.update_part(db, STAYER, records["site-a"], "followups", task["_id"],
                                {"assignee_id": "u-stayer", "version": task["version"]}, effects.Effects(db))
    assert changed["assignee_id"] == "u-stayer" and changed["assignee_left"] is None
