"""A release that gives a role a new permission gives it to the users holding the role, once: their
stored permissions (what tokens carry) are worked out again at start, each change announced and audited."""
import datetime

import pytest

from services.accounts import management, permissions, store, users
from services.common.outbox import OUTBOX

AT = datetime.datetime(2027, 1, 4, tzinfo=datetime.timezone.utc)


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    return database


def user(db, user_id, roles, stored, status="active", **extra):
    db.users.insert_one(dict({"_id": user_id, "username": user_id, "username_key": user_id, "display_name": user_id,
                              "sites": ["s1"], "roles": roles, "permissions": stored, "status": status,
                              "created_at": AT, "version": 3}, **extra))


def test_the_users_of_a_role_gain_its_new_permission_once_announced_and_audited(db):
    manager_before = sorted(permissions.ROLES["manager"] - {"targets:manage"})
    user(db, "mgr", ["manager"], manager_before)
    user(db, "off", ["manager"], manager_before, status="disabled")
    user(db, "gone", ["manager"], manager_before, status="deleted")
    user(db, "narrow", ["manager"], sorted(permissions.ROLES["manager"] - {"targets:manage", "audit:read"}),
         revocations=["audit:read"])
    user(db, "same", ["sales"], sorted(permissions.ROLES["sales"]))

    assert management.refresh_role_permissions(db) == 3
    for user_id in ("mgr", "off", "narrow"):
        found = store.find_user(db, user_id)
        assert found["permissions"] == users.effective(found) and "targets:manage" in found["permissions"]
        assert found["version"] == 4 and found["tokens_min_version"] == 4
        kinds = [event["type"] for event in db.users.find_one({"_id": user_id})[OUTBOX]]
        assert kinds == ["accounts.permissions_changed", "accounts.audit", "accounts.tokens_revoked"]
    assert "audit:read" not in store.find_user(db, "narrow")["permissions"]
    assert "targets:manage" not in db.users.find_one({"_id": "gone"})["permissions"]
    assert store.find_user(db, "same")["version"] == 3
    # once: the marker of this catalogue of roles is kept
    user(db, "late", ["manager"], manager_before)
    assert management.refresh_role_permissions(db) == 0
    assert store.find_user(db, "late")["permissions"] == manager_before
