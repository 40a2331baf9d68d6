"""Delegation never widens (docs/architecture.md §2): who may change which user, and grant what.

- A caller grants only the roles and permissions it holds itself.
- ``sites:all``, ``sites:admin`` and role ``admin`` need ``sites:all``.
- The sites of a created or edited user stay within the caller's.
- Nobody changes their own roles, permissions, sites or status.
- A user who holds ``sites:all`` or belongs to a site outside the caller's is changed only by a
  ``sites:all`` administrator.
"""
from services.accounts import permissions
from services.common.auth import ALL_SITES
from services.common.errors import Forbidden, ValidationFailed

COMPANY_WIDE_PERMISSIONS = frozenset({ALL_SITES, "sites:admin"})
COMPANY_WIDE_ROLES = frozenset({"admin"})
# What nobody may change on their own account.
PRIVILEGE_FIELDS = ("roles", "sites", "status", "must_change_password")


def check_target(caller, user):
    """Forbidden unless ``caller`` may change ``user`` at all (beyond seeing it)."""
    if caller.all_sites:
        return
    if ALL_SITES in user.get("permissions", ()) or set(user.get("sites", ())) - set(caller.sites):
        raise Forbidden("Only a company-wide administrator (sites:all) may change this user.",
                        extra={"permission": ALL_SITES})


def check_not_self(caller, user, fields):
    """Forbidden when ``caller`` is ``user`` and changes any of ``fields`` (privileges)."""
    fields = sorted(fields)
    if caller.user_id == user["_id"] and fields:
        raise Forbidden("Nobody may change their own %s." % ", ".join(fields),
                        fields={field: ["Ask another administrator."] for field in fields})


def check_sites(caller, sites):
    """ValidationFailed naming ``sites`` when any of them is outside the caller's."""
    if caller.all_sites:
        return
    if set(sites) - set(caller.sites):
        raise ValidationFailed(fields={"sites": ["You cannot add users to sites you do not belong to."]})


def check_grant(caller, before_roles, before_permissions, roles, effective):
    """Forbidden when going from (``before_roles``, ``before_permissions``) to (``roles``,
    ``effective``) gives a role or permission the caller does not hold, or a company-wide one to
    a caller without ``sites:all``. What the user already had may stay."""
    added_roles = sorted(set(roles) - set(before_roles))
    gained = set(effective) - set(before_permissions)
    problems = {}
    bad_roles = [role for role in added_roles if not _holds(caller, permissions.ROLES[role])
                 or (role in COMPANY_WIDE_ROLES and not caller.all_sites)]
    if bad_roles:
        problems["roles"] = ["You cannot give a role whose permissions you do not all hold: %s." % ", ".join(bad_roles)]
    from_roles = set().union(*(permissions.ROLES[role] for role in added_roles))
    bad_permissions = sorted(perm for perm in gained - from_roles
                             if not caller.can(perm) or (perm in COMPANY_WIDE_PERMISSIONS and not caller.all_sites))
    if bad_permissions:
        problems["grants"] = ["You cannot give permissions you do not hold: %s." % ", ".join(bad_permissions)]
    if problems:
        raise Forbidden("Delegation never widens: you can only grant what you hold.", fields=problems)


def _holds(caller, perms):
    return all(caller.can(perm) for perm in perms)
