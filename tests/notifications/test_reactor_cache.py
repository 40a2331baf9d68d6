"""The hooks and rules every event is checked against are kept per process: each change made through
the store is seen by the very next event, in this process or another, and nothing changed means no
read of the collections."""
import time
import types

import pytest
from pymongo import MongoClient

from services.common.auth import Caller
from services.notifications import automations, store, webhooks
from tests.notifications.conftest import customers_event
from tests.support.windows import Finds

ADMIN = Caller("hq-admin", ["s1"], ["webhooks:admin", "automations:manage", "sites:all"])
CREATED = customers_event("customer_created", customer_id="c1")
UPDATED = customers_event("customer_updated", customer_id="c1")


@pytest.fixture
def processes(monkeypatch):
    """``use(name)`` makes this test run as process ``name`` from then on: each has a cache of its own."""
    caches = {}

    def use(name):
        monkeypatch.setattr(store, "_reactors", caches.setdefault(name, {}))

    use("first")
    return use


@pytest.fixture
def finds(db, test_env):
    """(the test's database through a client that records its finds, the finds)."""
    recorded = Finds()
    client = MongoClient(test_env["MONGO_URI"], event_listeners=[recorded], tz_aware=True)
    yield client[db.name], recorded
    client.close()


@pytest.fixture(autouse=True)
def no_grants(monkeypatch):
    """Saving a rule asks accounts for a grant; these tests keep a placeholder."""
    monkeypatch.setattr(automations, "_grant", lambda caller, rule_id, site_id: "sealed")
    monkeypatch.setattr(automations, "revoke_grant", lambda caller, grant_id: None)


def hook(db, **body):
    return webhooks.create(db, ADMIN, dict({"url": "http://127.0.0.1:9/hook", "event_types": ["customers.*"]},
                                           **body))


def rule(db, **body):
    return automations.create(db, ADMIN, dict({"site_id": "s1", "name": "Tag new customers", "trigger": {
        "event_type": "customers.customer_created"}, "actions": [{"kind": "add_tag", "tag": "new"}]}, **body))


def hooks_for(db, event):
    return [found["_id"] for found in webhooks.hooks_wanting(db, event)]


def rules_for(db, event):
    return [found["_id"] for found in automations.rules_for(db, event)]


def test_a_created_updated_paused_disabled_or_deleted_hook_is_seen_by_the_next_event(db, processes):
    assert hooks_for(db, CREATED) == []
    created = hook(db)
    assert hooks_for(db, CREATED) == [created["id"]]
    webhooks.update(db, ADMIN, created["id"], {"version": 1, "event_types": ["customers.customer_updated"]})
    assert hooks_for(db, CREATED) == [] and hooks_for(db, UPDATED) == [created["id"]]
    webhooks.update(db, ADMIN, created["id"], {"version": 2, "site_id": "s2"})
    assert hooks_for(db, UPDATED) == []
    webhooks.update(db, ADMIN, created["id"], {"version": 3, "site_id": "s1", "active": False})
    assert hooks_for(db, UPDATED) == []
    webhooks.update(db, ADMIN, created["id"], {"version": 4, "active": True})
    assert hooks_for(db, UPDATED) == [created["id"]]
    for _ in range(3):
        store.count_exhausted(db, created["id"], True)
    assert store.disable_webhook(db, created["id"], 3) is not None
    assert hooks_for(db, UPDATED) == []
    webhooks.update(db, ADMIN, created["id"], {"version": 5, "active": True})
    assert hooks_for(db, UPDATED) == [created["id"]]
    webhooks.delete(db, ADMIN, created["id"])
    assert hooks_for(db, UPDATED) == []


def test_a_created_updated_disabled_or_deleted_rule_is_seen_by_the_next_event(db, processes):
    assert rules_for(db, CREATED) == []
    created = rule(db)
    everywhere = rule(db, site_id=None, name="Every site")
    assert rules_for(db, CREATED) == [created["id"], everywhere["id"]]
    assert rules_for(db, customers_event("customer_created", site_id="s2")) == [everywhere["id"]]
    changed = automations.update(db, ADMIN, created["id"], {"version": 1, "actions": [
        {"kind": "add_tag", "tag": "fresh"}]})
    [seen] = [found for found in automations.rules_for(db, CREATED) if found["_id"] == created["id"]]
    assert seen["version"] == changed["version"] == 2 and seen["actions"][0]["tag"] == "fresh"
    automations.update(db, ADMIN, created["id"], {"version": 2, "trigger": {
        "event_type": "customers.customer_updated"}})
    assert rules_for(db, CREATED) == [everywhere["id"]] and rules_for(db, UPDATED) == [created["id"]]
    automations.update(db, ADMIN, created["id"], {"version": 3, "enabled": False})
    assert rules_for(db, UPDATED) == []
    automations.update(db, ADMIN, created["id"], {"version": 4, "enabled": True})
    assert rules_for(db, UPDATED) == [created["id"]]
    automations.delete(db, ADMIN, created["id"])
    assert rules_for(db, UPDATED) == []
    assert rules_for(db, customers_event("customer_created", customer_id="c1", imported=True)) == []


def test_each_process_sees_the_others_changes_at_its_next_event(db, processes):
    processes("first")
    assert hooks_for(db, CREATED) == [] and rules_for(db, CREATED) == []
    processes("second")
    assert hooks_for(db, CREATED) == [] and rules_for(db, CREATED) == []
    created_hook, created_rule = hook(db), rule(db)
    processes("first")
    assert hooks_for(db, CREATED) == [created_hook["id"]] and rules_for(db, CREATED) == [created_rule["id"]]
    webhooks.delete(db, ADMIN, created_hook["id"])
    automations.update(db, ADMIN, created_rule["id"], {"version": 1, "enabled": False})
    processes("second")
    assert hooks_for(db, CREATED) == [] and rules_for(db, CREATED) == []


def test_nothing_changed_means_no_read_of_the_hooks_or_rules(db, finds, processes):
    watched, recorded = finds
    created_hook, created_rule = hook(db), rule(db)
    recorded.clear()
    for _ in range(5):
        assert hooks_for(watched, CREATED) == [created_hook["id"]]
        assert rules_for(watched, CREATED) == [created_rule["id"]]
    assert len(recorded.of("webhooks")) == 1 and len(recorded.of("automation_rules")) == 1
    assert recorded.of("generations") == [{"_id": store.REACTORS}] * 10

    # a delivery's or a run's counters change nothing that is kept: no read again
    store.count_exhausted(db, created_hook["id"], True)
    store.next_turn(db, created_rule["id"], 0)
    store.mark_rule_ran(db, created_rule["id"], created_rule["created_at"])
    recorded.clear()
    [kept_hook] = webhooks.hooks_wanting(watched, CREATED)
    [kept_rule] = automations.rules_for(watched, CREATED)
    assert recorded.of("webhooks") == [] and recorded.of("automation_rules") == []
    assert "consecutive_exhausted" not in kept_hook and not {"turns", "last_run_at"} & set(kept_rule)

    webhooks.update(db, ADMIN, created_hook["id"], {"version": 1, "description": "ERP"})
    recorded.clear()
    assert webhooks.hooks_wanting(watched, CREATED)[0]["description"] == "ERP"
    rules_for(watched, CREATED)
    assert len(recorded.of("webhooks")) == 1 and len(recorded.of("automation_rules")) == 1


def test_what_a_caller_changes_in_an_answer_is_not_kept(db, processes):
    hook(db)
    rule(db)
    [first_hook] = webhooks.hooks_wanting(db, CREATED)
    first_hook["site_id"] = "s2"
    [first_rule] = automations.rules_for(db, CREATED)
    first_rule["actions"].append({"kind": "add_tag", "tag": "extra"})
    first_rule["conditions"].append({"field": "x", "op": "eq", "value": 1})
    assert webhooks.hooks_wanting(db, CREATED)[0]["site_id"] is None
    again = automations.rules_for(db, CREATED)[0]
    assert again["actions"] == [{"kind": "add_tag", "tag": "new"}] and again["conditions"] == []


def test_a_database_made_again_under_the_same_name_is_read_again(db, processes):
    first = hook(db)
    assert hooks_for(db, CREATED) == [first["id"]]
    db.client.drop_database(db.name)
    store.ensure_indexes(db)
    second = hook(db)
    # the count starts again at 1: the epoch its document gets when made tells the two apart
    assert db.generations.find_one({"_id": store.REACTORS})["n"] == 1
    assert hooks_for(db, CREATED) == [second["id"]]


def test_a_change_made_by_hand_is_seen_once_the_kept_list_is_old(db, processes, monkeypatch):
    assert hooks_for(db, CREATED) == []
    db.webhooks.insert_one({"_id": "by-hand", "active": True, "event_types": ["*"], "site_id": None})
    assert hooks_for(db, CREATED) == [], "kept while no write through the store says otherwise"
    later = time.monotonic() + store.REACTORS_MAX_SECONDS
    monkeypatch.setattr(store, "time", types.SimpleNamespace(monotonic=lambda: later))
    assert hooks_for(db, CREATED) == ["by-hand"]


def test_an_event_reads_the_generation_once_for_its_hooks_and_rules_a_batch_once_for_all(db, finds, processes):
    """The service reads the hooks and rules once for what it was delivered (``store.reactors``) and
    checks the event, or each event of a batch, against what it got: one point read, not one per
    question asked of it."""
    from services.common.envelope import AUDIT_ENTRIES
    from services.notifications.service import NotificationsService

    watched, recorded = finds
    created_hook = hook(db, event_types=["customers.customer_created", "customers.audit"])
    rule(db)
    service = type("Service", (), {"db": watched})()
    NotificationsService.handle_event(service, CREATED)  # the first reads the hooks and rules
    recorded.clear()
    NotificationsService.handle_event(service, customers_event("customer_created", customer_id="c2"))
    assert recorded.of("generations") == [{"_id": store.REACTORS}]
    assert recorded.of("webhooks") == [] and recorded.of("automation_rules") == []
    entries = [{"entry_id": "entry-%d" % n, "entity_type": "customer", "entity_id": "c%d" % n, "action": "created",
                "changes": {}} for n in range(3)]
    recorded.clear()
    NotificationsService.handle_event(service, customers_event(AUDIT_ENTRIES, entries=entries))
    assert recorded.of("generations") == [{"_id": store.REACTORS}]
    assert {d["webhook_id"] for d in db.deliveries.find()} == {created_hook["id"]}
    assert db.deliveries.count_documents({}) == 2 + 3
