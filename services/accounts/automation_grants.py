"""Automation grants: how a rule acts as its owner without holding the owner's password or session.

When a user saves an automation rule, notifications asks here, with that user's own token, for a
grant bound to the rule and its site. The grant is an opaque secret, stored here only as a hash;
notifications keeps it sealed. When the rule runs, notifications trades the grant for a short-lived
access token (``token_for``): the owner's permissions as they are *now*, narrowed to what actions
need (``ACTING_PERMISSIONS``) and to the rule's site. A disabled or deleted owner, or one who lost
``automations:manage`` or the site, gets no token: the run fails with ``automation_owner_cannot_act``.
Only accounts signs tokens; a grant can neither widen the owner's rights nor outlive them.
"""
from services.accounts import store
from services.accounts.tokens import hash_opaque_token, new_opaque_token
from services.common.auth import ALL_SITES
from services.common.clock import utcnow
from services.common.errors import Unauthorized, ValidationFailed

PERMISSION = "automations:manage"
# What a rule's actions may use of its owner's permissions (never administration or every site).
ACTING_PERMISSIONS = frozenset({
    "customers:read", "customers:write", "contacts:read", "contacts:write", "interactions:read",
    "interactions:write", "orders:read", "feedback:read", "feedback:write", PERMISSION})
# A report subscription's grant reads, as its subscriber could: reports, and the amounts they may see.
READING_PERMISSIONS = frozenset({"reports:read", "customers:read", "orders:read", "feedback:read",
                                 "interactions:read", PERMISSION})
# purpose -> (the permission the grant needs, what its tokens may carry)
PURPOSES = {"automation": (PERMISSION, ACTING_PERMISSIONS), "report": ("reports:read", READING_PERMISSIONS)}
SESSION_PREFIX = "automation:"


def grant(db, caller, rule_id, site_id, purpose="automation"):
    """A new grant for ``rule_id`` (a rule, a campaign, a report subscription) acting as ``caller`` at
    ``site_id`` (None: every site, for ``sites:all`` holders; for a report, the caller's sites);
    earlier grants of the same id stop working. -> ``{grant}``."""
    if purpose not in PURPOSES:
        raise ValidationFailed(fields={"purpose": ["Must be one of: %s." % ", ".join(PURPOSES)]})
    caller.require(PURPOSES[purpose][0])
    if not isinstance(rule_id, str) or not 0 < len(rule_id) <= 64:
        raise ValidationFailed(fields={"rule_id": ["A rule id is required."]})
    if site_id is None:
        if purpose == "automation":
            caller.require(ALL_SITES)
    else:
        caller.require_site(site_id)
    secret = new_opaque_token()
    store.replace_automation_grant(db, {"_id": hash_opaque_token(secret), "rule_id": rule_id, "purpose": purpose,
                                        "user_id": caller.user_id, "site_id": site_id, "created_at": utcnow()})
    return {"grant": secret}


def revoke(db, caller, rule_id):
    """The grants bound to ``rule_id`` stop working (its rule, campaign or subscription was deleted):
    the caller's own, and those at a site where the caller holds ``automations:manage`` (every site's
    for ``sites:all``); another site's are left alone."""
    found = store.automation_grants_of(db, str(rule_id))
    doomed = [g["_id"] for g in found if g["user_id"] == caller.user_id or caller.can(PERMISSION) and (
        caller.all_sites or g.get("site_id") is not None and caller.has_site(g["site_id"]))]
    return {"revoked": store.delete_automation_grants(db, doomed)}


def token_for(db, signer, secret):
    """-> ``{access_token, expires_in, user_id}`` for the grant ``secret``; Unauthorized
    ``automation_owner_cannot_act`` when the grant is unknown or its owner may no longer act."""
    found = store.find_automation_grant(db, hash_opaque_token(secret)) if isinstance(secret, str) else None
    if found is None:
        raise Unauthorized("The rule's grant is not valid; save the rule again.", code="automation_owner_cannot_act")
    user = store.find_user(db, found["user_id"])
    needed, allowed = PURPOSES[found.get("purpose") or "automation"]
    problem = owner_problem(user, found["site_id"], needed, every_site=(needed == PERMISSION))
    if problem:
        raise Unauthorized(problem, code="automation_owner_cannot_act")
    permissions = set(user["permissions"]) & allowed
    sites = [found["site_id"]] if found["site_id"] else list(user.get("sites") or [])
    if found["site_id"] is None and ALL_SITES in user["permissions"]:
        permissions.add(ALL_SITES)
    token, expires_in = signer.issue(user["_id"], sites, permissions, session_id=SESSION_PREFIX + found["rule_id"],
                                     version=user["version"], language=user.get("language"))
    return {"access_token": token, "expires_in": expires_in, "user_id": user["_id"]}


def owner_problem(user, site_id, needed=PERMISSION, every_site=True):
    """Why the owner ``user`` cannot act for a rule of ``site_id`` now, or None. ``site_id`` None is
    every site (``every_site``: a rule's, which needs sites:all) or the owner's own sites (a report's)."""
    if user is None or user.get("status") != "active":
        return "The rule's owner is no longer an active user."
    granted = set(user.get("permissions") or ())
    if needed not in granted:
        return "The rule's owner no longer holds %s." % needed
    if ALL_SITES not in granted and (site_id not in (user.get("sites") or ()) if site_id else every_site):
        return "The rule's owner no longer works at the rule's site."
    return None
