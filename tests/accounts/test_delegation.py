import pytest

from services.accounts import delegation, permissions
from services.common.auth import Caller
from services.common.errors import Forbidden, ValidationFailed

EVERYTHING_BUT_HQ = sorted(set(permissions.ALL_PERMISSIONS) - {"sites:all"})
PLANT_ADMIN = Caller("plant-admin", ["A"], EVERYTHING_BUT_HQ)
MANAGER_ADMIN = Caller("manager-admin", ["A"], sorted(permissions.ROLES["manager"] | {"users:admin"}))
HQ_ADMIN = Caller("hq-admin", ["HQ"], permissions.ALL_PERMISSIONS)


def user(user_id="u1", sites=("A",), roles=("viewer",)):
    return {"_id": user_id, "sites": list(sites), "roles": list(roles),
            "permissions": permissions.effective_permissions(roles)}


def grant(caller, before, roles, grants=(), revocations=()):
    delegation.check_grant(caller, before["roles"], before["permissions"], roles,
                           permissions.effective_permissions(roles, grants, revocations))


def test_role_admin_and_company_wide_permissions_need_sites_all():
    with pytest.raises(Forbidden) as refused:
        grant(PLANT_ADMIN, user(), ["admin"])
    assert list(refused.value.fields) == ["roles"]
    for perm in ("sites:all", "sites:admin"):
        with pytest.raises(Forbidden) as refused:
            grant(PLANT_ADMIN, user(), ["viewer"], grants=[perm])
        assert perm in refused.value.fields["grants"][0]
    grant(HQ_ADMIN, user(), ["admin"])


def test_only_roles_and_permissions_the_caller_holds():
    grant(MANAGER_ADMIN, user(), ["sales"])
    with pytest.raises(Forbidden):
        grant(MANAGER_ADMIN, user(), ["viewer"], grants=["webhooks:admin"])
    with pytest.raises(Forbidden):
        grant(MANAGER_ADMIN, user(), ["viewer"], grants=["users:admin", "sites:all"])


def test_lifting_a_revocation_is_a_grant_too():
    target = user(roles=("viewer",))
    target["permissions"] = permissions.effective_permissions(["manager"], (), ["settings:write"])
    target["roles"] = ["manager"]
    with pytest.raises(Forbidden):
        grant(Caller("c", ["A"], ["users:admin", "customers:read"]), target, ["manager"])


def test_what_the_user_already_has_may_stay():
    target = user(roles=("viewer",))
    target["permissions"] = sorted(set(target["permissions"]) | {"webhooks:admin"})
    narrow = Caller("c", ["A"], sorted(permissions.ROLES["viewer"] | {"users:admin"}))
    grant(narrow, target, ["viewer"], grants=["webhooks:admin"])


def test_nobody_changes_their_own_privileges():
    me = user("plant-admin")
    with pytest.raises(Forbidden):
        delegation.check_not_self(PLANT_ADMIN, me, ["roles"])
    delegation.check_not_self(PLANT_ADMIN, me, [])
    delegation.check_not_self(PLANT_ADMIN, user("someone-else"), ["roles"])


def test_sites_stay_within_the_callers():
    delegation.check_sites(PLANT_ADMIN, ["A"])
    with pytest.raises(ValidationFailed) as refused:
        delegation.check_sites(PLANT_ADMIN, ["A", "B"])
    assert list(refused.value.fields) == ["sites"]
    delegation.check_sites(HQ_ADMIN, ["A", "B"])


def test_company_wide_or_foreign_users_are_changed_only_by_sites_all():
    delegation.check_target(PLANT_ADMIN, user(sites=("A",)))
    with pytest.raises(Forbidden):
        delegation.check_target(PLANT_ADMIN, user(sites=("A", "B")))
    with pytest.raises(Forbidden):
        delegation.check_target(PLANT_ADMIN, user(sites=("A",), roles=("admin",)))
    delegation.check_target(HQ_ADMIN, user(sites=("A", "B"), roles=("admin",)))
