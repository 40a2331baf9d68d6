import pytest

from services.accounts.permissions import ALL_PERMISSIONS, CATALOGUE, ROLES, effective_permissions

EXPECTED = {
    "customers:read", "customers:write", "orders:read", "orders:write", "interactions:read",
    "interactions:write", "contacts:read", "contacts:write", "feedback:read", "feedback:write",
    "reports:read", "users:admin", "webhooks:admin", "audit:read", "sites:all", "sites:admin",
    "settings:write", "automations:manage", "targets:manage",
}


def test_catalogue():
    assert set(ALL_PERMISSIONS) == EXPECTED
    assert all(CATALOGUE[p] for p in ALL_PERMISSIONS)


def test_roles_use_only_catalogue_permissions():
    assert set(ROLES) == {"admin", "manager", "sales", "finance", "service", "viewer"}
    for perms in ROLES.values():
        assert perms <= EXPECTED


def test_admin_has_everything():
    assert effective_permissions(["admin"]) == sorted(EXPECTED)


def test_manager():
    perms = set(effective_permissions(["manager"]))
    assert {"customers:write", "orders:write", "contacts:write", "reports:read", "audit:read"} <= perms
    assert not perms & {"users:admin", "webhooks:admin", "sites:all", "sites:admin"}


def test_finance_lacks_contacts_and_interactions():
    assert effective_permissions(["finance"]) == ["customers:read", "orders:read", "orders:write"]


def test_sales_service_viewer():
    sales = set(effective_permissions(["sales"]))
    assert "orders:read" in sales and "orders:write" not in sales and "feedback:write" not in sales
    service = set(effective_permissions(["service"]))
    assert {"feedback:write", "interactions:write", "contacts:read"} <= service
    assert "contacts:write" not in service and "orders:read" not in service
    viewer = effective_permissions(["viewer"])
    assert all(p.endswith(":read") for p in viewer) and "audit:read" not in viewer


def test_roles_union_grants_and_revocations():
    perms = effective_permissions(["finance", "viewer"], grants=["audit:read"], revocations=["orders:write"])
    assert perms == sorted(perms)
    assert "audit:read" in perms and "contacts:read" in perms and "orders:write" not in perms


def test_revocation_beats_grant():
    assert effective_permissions([], grants=["sites:all"], revocations=["sites:all"]) == []


@pytest.mark.parametrize("args", [
    (["boss"], (), ()),
    (["viewer"], ["customers:delete"], ()),
    (["viewer"], (), ["nope"]),
    ("admin", (), ()),
])
def test_unknown_names_raise(args):
    with pytest.raises(ValueError):
        effective_permissions(*args)
