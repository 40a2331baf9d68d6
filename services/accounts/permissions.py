"""The permission catalogue, the built-in roles and how a user's permissions are worked out."""

CATALOGUE = {
    "customers:read": "See customers (identity, addresses, status).",
    "customers:write": "Create, edit and delete customers.",
    "orders:read": "See orders and payments.",
    "orders:write": "Create and edit orders and payments.",
    "interactions:read": "See the interaction log (calls, visits, e-mails).",
    "interactions:write": "Record and edit interactions.",
    "contacts:read": "See customers' contact people.",
    "contacts:write": "Create, edit and delete contact people.",
    "feedback:read": "See customer feedback and complaints.",
    "feedback:write": "Record and handle feedback and complaints.",
    "reports:read": "See reports and exports.",
    "settings:write": "Change a site's settings (feedback SLA and categories, tier thresholds, cadences).",
    "users:admin": "Manage users, roles and permissions.",
    "webhooks:admin": "Manage webhook subscriptions.",
    "automations:manage": "Set up a site's automation rules and customer care campaigns.",
    "targets:manage": "Set a site's sales teams and targets, and see its staff's performance.",
    "audit:read": "Read the audit trail.",
    "sites:all": "See and act on every factory site (headquarters).",
    "sites:admin": "Create and edit factory sites.",
}

ALL_PERMISSIONS = list(CATALOGUE)


def _rw(*areas):
    return {"%s:%s" % (area, action) for area in areas for action in ("read", "write")}


ROLES = {
    "admin": frozenset(ALL_PERMISSIONS),
    "manager": frozenset(
        _rw("customers", "orders", "interactions", "contacts", "feedback")
        | {"reports:read", "audit:read", "settings:write", "automations:manage", "targets:manage"}),
    "sales": frozenset(_rw("customers", "contacts", "interactions") | {"orders:read", "feedback:read"}),
    "finance": frozenset({"customers:read", "orders:read", "orders:write"}),
    "service": frozenset(
        _rw("interactions", "feedback") | {"customers:read", "contacts:read"}),
    "viewer": frozenset("%s:read" % area for area in (
        "customers", "contacts", "interactions", "orders", "feedback", "reports")),
}


def check_permissions(perms):
    """Raise ValueError naming any string in ``perms`` that is not in the catalogue."""
    unknown = sorted(set(perms) - set(CATALOGUE))
    if unknown:
        raise ValueError("Unknown permission(s): %s" % ", ".join(unknown))


def check_roles(roles):
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError("Unknown role(s): %s" % ", ".join(unknown))


def effective_permissions(roles, grants=(), revocations=()):
    """The permissions of the roles, plus grants, minus revocations, sorted."""
    for name, value in (("roles", roles), ("grants", grants), ("revocations", revocations)):
        if isinstance(value, str):
            raise ValueError("%s must be a list, not a string." % name)
    check_roles(roles)
    check_permissions(grants)
    check_permissions(revocations)
    perms = set(grants).union(*(ROLES[role] for role in roles))
    return sorted(perms - set(revocations))
