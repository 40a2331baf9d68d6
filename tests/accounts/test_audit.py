"""The audit trail's site scope, on the real DB: an entry without a site is for sites:all only."""
import datetime
import uuid

import pytest

from services.accounts import audit, store
from services.common.auth import Caller

AUDITOR_A = Caller("u-a", ["site-a"], ["audit:read"])
AUDITOR_B = Caller("u-b", ["site-b"], ["audit:read"])
HQ = Caller("u-hq", ["site-hq"], ["audit:read", "sites:all"])


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    return database


def record(db, site_id, action):
    event = {"event_id": uuid.uuid4().hex, "type": "customers.audit", "site_id": site_id, "actor": "u-regional",
             "occurred_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
             "data": {"entity_type": "customer", "entity_id": None, "action": action,
                      "changes": {"filters": {"before": None, "after": {"q": "Alpha Machinery"}}}}}
    store.insert_audit(db, audit.entry_from_event(event))


def actions_seen(db, caller, **filters):
    documents, _, _, _ = audit.list_entries(db, caller, filters, 50, None)
    return sorted(entry["action"] for entry in documents)


def test_each_site_sees_its_own_entries_and_only_sites_all_those_without_a_site(db):
    record(db, "site-a", "exported_a")
    record(db, "site-b", "exported_b")
    record(db, None, "exported_across_sites")
    assert actions_seen(db, AUDITOR_A) == ["exported_a"]
    assert actions_seen(db, AUDITOR_B) == ["exported_b"]
    assert actions_seen(db, HQ) == ["exported_a", "exported_across_sites", "exported_b"]


def test_filters_do_not_widen_the_scope(db):
    record(db, "site-a", "exported")
    record(db, None, "exported")
    assert actions_seen(db, AUDITOR_B, actor="u-regional", action="exported") == []
    assert actions_seen(db, AUDITOR_B, site_id="site-a") == []
    assert actions_seen(db, AUDITOR_A, actor="u-regional") == ["exported"]


def test_a_deleted_users_trail_loses_its_personal_values_and_nothing_else(db):
    db.audit.insert_many([
        {"_id": "e1", "entity_type": "user", "entity_id": "u1", "at": 1,
         "changes": {"email": {"before": None, "after": "li@f.test"}, "roles": {"before": [], "after": ["sales"]}}},
        {"_id": "e2", "entity_type": "user", "entity_id": "u1", "at": 2, "changes": {}},
        {"_id": "e3", "entity_type": "user", "entity_id": "u2", "at": 3,
         "changes": {"email": {"before": "wang@f.test", "after": "w@f.test"}}},
        {"_id": "e4", "entity_type": "customer", "entity_id": "u1", "at": 4,
         "changes": {"email": {"before": None, "after": "sales@c.test"}}},
    ])
    store.anonymise_audit(db, "u1", ("email", "phone"))
    entries = {entry["_id"]: entry["changes"] for entry in db.audit.find()}
    assert entries["e1"] == {"email": {"before": None, "after": "[erased]"}, "roles": {"before": [], "after": ["sales"]}}
    assert entries["e2"] == {}
    assert entries["e3"]["email"]["after"] == "w@f.test" and entries["e4"]["email"]["after"] == "sales@c.test"


def test_an_entry_of_a_user_deleted_before_it_arrives_is_stored_anonymised_never_whole(db, monkeypatch):
    """An audit entry published late (the user was created and deleted within a relay's interval) is
    anonymised as it is stored: no reader of the trail ever sees it whole."""
    from services.accounts import management

    db.users.insert_one({"_id": "u9", "status": "deleted", "sites": [], "permissions": [], "username_key": "u9"})
    stored = []
    real_insert = store.insert_audit
    monkeypatch.setattr(store, "insert_audit",
                        lambda database, entry: stored.append(entry) or real_insert(database, entry))
    management.record_own_audit(db, {"_id": "e9", "entity_type": "user", "entity_id": "u9", "action": "created",
                                     "at": 1, "changes": {"email": {"before": None, "after": "li@f.test"},
                                                          "username": {"before": None, "after": "li.wei"},
                                                          "roles": {"before": None, "after": ["viewer"]}}})
    assert stored[0]["changes"] == {"email": {"before": None, "after": "[erased]"},
                                    "username": {"before": None, "after": "[erased]"},
                                    "roles": {"before": None, "after": ["viewer"]}}
    assert db.audit.find_one({"_id": "e9"})["changes"] == stored[0]["changes"]
    db.users.insert_one({"_id": "u10", "status": "active", "sites": [], "permissions": [], "username_key": "u10"})
    management.record_own_audit(db, {"_id": "e10", "entity_type": "user", "entity_id": "u10", "action": "created",
                                     "at": 2, "changes": {"email": {"before": None, "after": "w@f.test"}}})
    assert db.audit.find_one({"_id": "e10"})["changes"]["email"]["after"] == "w@f.test"
