"""Use cases of user, permission and site administration, and the first admin."""
import hashlib
import json
import logging
import secrets
import sys

from services.accounts import contract, delegation, events, permissions, sites, store, teams, token_revocations, users
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load

log = logging.getLogger(__name__)

HQ_SITE = {"code": "HQ", "name": "Headquarters", "address": None, "timezone": "Asia/Shanghai"}


def _site_of(user):
    return (user.get("sites") or [None])[0]


user_out = users.user_out


def create_user(db, caller, data):
    caller.require("users:admin")
    data = load(contract.UserCreateSchema(), data)
    delegation.check_sites(caller, data["sites"])
    delegation.check_grant(caller, (), (), data["roles"], permissions.effective_permissions(data["roles"]))
    user = users.new_user(data, store.site_ids(db, data["sites"]))
    after = users.public_view(user)
    store.insert_user(db, user, events.event("user_created", events.user_data(user), _site_of(user), caller.user_id),
                      events.audit("user", user["_id"], "created", changes_between({}, after, users.UNAUDITED_FIELDS),
                                   _site_of(user), caller.user_id))
    return user_out(user)


def get_user(db, caller, user_id):
    return user_out(users.get_visible(caller, store.find_user(db, user_id)))


def list_users(db, caller, filters, limit, cursor):
    caller.require("users:admin")
    filters = load(contract.UserFilterSchema(), filters or {})
    if filters.get("q"):
        filters["q"] = users.key(filters["q"])
    documents, next_cursor, total, bound = store.list_users(db, filters, caller.site_scope(),
                                                            limit, cursor)
    return {"items": [user_out(u) for u in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


DIRECTORY_FIELDS = ("username", "display_name", "position", "sites")


def colleagues(db, caller, filters, limit=50):
    """Active colleagues at the caller's sites, for owner and assignee pickers: names only, no
    contact details or permissions. Any signed-in user may ask."""
    filters = load(contract.DirectoryFilterSchema(), filters or {})
    if filters.get("site_id"):
        if not caller.has_site(filters["site_id"]):
            return {"items": []}
        sites = [filters["site_id"]]
    else:
        sites = caller.site_scope()
    prefix = users.key(filters.get("q") or "")
    limit = max(1, min(int(limit or 50), 200))
    found = []
    projection = {field: 1 for field in DIRECTORY_FIELDS + ("username_key",)}
    for user in store.active_users(db, projection, ids=filters.get("ids"), sites=sites):
        if prefix and not (user.get("username_key", "").startswith(prefix)
                           or (user.get("display_name") or "").lower().startswith(prefix)):
            continue
        found.append({"id": user["_id"], **{field: user.get(field) for field in DIRECTORY_FIELDS}})
        if len(found) >= limit:
            break
    return {"items": sorted(found, key=lambda u: ((u["display_name"] or u["username"]).lower(), u["id"]))}


PEOPLE_LIMIT = 5000


def site_people(db, caller, site_id):
    """The active users who may be named on a site's records (its users and ``sites:all`` holders),
    with what an import matches a name against: for a caller who imports there (customers:write)."""
    caller.require("customers:write")
    caller.require_site(site_id)
    found = []
    for user in store.active_users(db, {field: 1 for field in PEOPLE_FIELDS}):
        if site_id in (user.get("sites") or ()) or "sites:all" in (user.get("permissions") or ()):
            found.append({"id": user["_id"], **{field: user.get(field) for field in PEOPLE_FIELDS}})
            if len(found) >= PEOPLE_LIMIT:
                break
    return {"items": found}


PEOPLE_FIELDS = ("username", "display_name", "email", "sites", "permissions")


def site_staff(db, caller, site_id):
    """The active users working at a site (its own, not ``sites:all`` holders), by name: whom a
    site's scorecards and leaderboards rank; for ``targets:manage`` at the site."""
    caller.require("targets:manage")
    caller.require_site(site_id)
    found = [{"id": user["_id"], "username": user.get("username"), "display_name": user.get("display_name")}
             for user in store.active_users(db, {"username": 1, "display_name": 1}, sites=[site_id])][:PEOPLE_LIMIT]
    return {"items": sorted(found, key=lambda u: (u["display_name"] or u["username"] or "", u["id"]))}


def update_user(db, caller, user_id, data, sessions):
    """``sessions`` checks the current password a change of one's own e-mail needs."""
    user = users.get_visible(caller, store.find_user(db, user_id))
    if user["status"] == "deleted":
        raise NotFound("No such user.")
    data = load(contract.UserUpdateSchema(), data)
    current_password = data.pop("current_password", None)
    delegation.check_not_self(caller, user, set(data) & set(delegation.PRIVILEGE_FIELDS))
    changes = users.allowed_changes(caller, user, data, store.site_ids(db, data.get("sites", ())))
    if caller.user_id != user_id:
        delegation.check_target(caller, user)
    if "sites" in changes:
        delegation.check_sites(caller, changes["sites"])
    if "roles" in changes:
        delegation.check_grant(caller, user["roles"], user["permissions"], changes["roles"], changes["permissions"])
    new_email = "email" in changes and changes["email_key"] != user.get("email_key")
    if new_email and caller.user_id == user_id:
        sessions.check_current_password(user, current_password)
    before = users.public_view(user)
    after = users.public_view(dict(user, **changes))
    diff = changes_between(before, after, users.UNAUDITED_FIELDS)
    emitted = []
    if diff:
        data_out = dict(events.user_data(dict(user, **changes)), changed_fields=sorted(diff))
        emitted = [events.event("user_updated", data_out, _site_of(user), caller.user_id),
                   events.audit("user", user_id, "updated", diff, _site_of(user), caller.user_id)]
    if new_email and user.get("email"):
        emitted.append(events.email_changed(user, changes["email"], caller.user_id))
    ended, revoked = token_revocations.user_wide(
        user, data["version"], token_revocations.reason_for(diff), caller.user_id)
    changes.update(ended)
    if new_email:
        changes["resets_valid_from"] = utcnow()  # links mailed to the old address end with this write
    updated = store.update_user(db, user_id, data["version"], changes, *emitted, *revoked)
    if updated is None:
        raise stale_version("user")
    if changes.get("status") == "disabled":
        store.revoke_user_sessions(db, user_id)
        teams.leave_teams(db, user_id, actor=caller.user_id)
    elif set(user["sites"]) - set(changes.get("sites", user["sites"])):
        teams.leave_teams(db, user_id, set(user["sites"]) - set(changes["sites"]), caller.user_id)
    if new_email:
        store.void_reset_tokens(db, user_id, utcnow())
    return user_out(updated)


def delete_user(db, caller, user_id, confirm):
    caller.require("users:admin")
    user = users.get_visible(caller, store.find_user(db, user_id))
    if user["status"] == "deleted":
        raise NotFound("No such user.")
    delegation.check_target(caller, user)
    if confirm != user["username"]:
        raise ValidationFailed("Type the username to confirm the deletion.",
                               {"confirm": ["Must equal the username."]})
    site = _site_of(user)
    ended, revoked = token_revocations.user_wide(user, user["version"], "deleted", caller.user_id)
    deleted = store.update_user(db, user_id, user["version"], dict(users.erased_fields(user), **ended),
                                events.event("user_deleted", {"user_id": user_id}, site, caller.user_id),
                                events.audit("user", user_id, "deleted", {}, site, caller.user_id), *revoked,
                                unset=("password_hash", "email_key"))
    if deleted is None:
        raise Conflict("The user was changed by someone else; reload and try again.", code="stale_version")
    store.revoke_user_sessions(db, user_id)
    teams.leave_teams(db, user_id, actor=caller.user_id)
    store.anonymise_audit(db, user_id, users.PERSONAL_FIELDS)
    return {}


def unlock_user(db, caller, user_id):
    """Lift every sign-in delay of the account (``lockout``)."""
    caller.require("users:admin")
    user = users.get_visible(caller, store.find_user(db, user_id))
    delegation.check_target(caller, user)
    store.clear_account_throttles(db, user_id)
    updated = store.update_user(db, user_id, None, {"locked_until": None, "failed_logins": []},
                                events.audit("user", user_id, "unlocked", {}, _site_of(user), caller.user_id))
    return user_out(updated)


def record_own_audit(db, entry):
    """Keep an accounts audit entry. One that arrives after its user was deleted is stored
    anonymised, never readable whole even for a moment; one stored while its user is being deleted
    is anonymised after (the deletion blanks the trail it finds, this finds a deletion that came
    between)."""
    if entry["entity_type"] == "user" and _user_deleted(db, entry["entity_id"]):
        entry = _anonymised(entry)
    store.insert_audit(db, entry)
    if entry["entity_type"] == "user" and _user_deleted(db, entry["entity_id"]):
        store.anonymise_audit(db, entry["entity_id"], users.PERSONAL_FIELDS)


def _user_deleted(db, user_id):
    user = store.find_user(db, user_id)
    return user is not None and user["status"] == "deleted"


def _anonymised(entry):
    """``entry`` with the personal values its changes hold blanked as ``store.anonymise_audit`` blanks them."""
    changes = {field: dict(change) if isinstance(change, dict) else change
               for field, change in (entry.get("changes") or {}).items()}
    for path, placeholder in store.erased_paths(changes, users.PERSONAL_FIELDS).items():
        _, field, side = path.split(".")
        changes[field][side] = placeholder
    return dict(entry, changes=changes)


def user_directory(db, caller, user_ids):
    """Who the given users are, as much as other services need (never secrets)."""
    if not isinstance(user_ids, list) or len(user_ids) > 500:
        raise ValidationFailed(fields={"user_ids": ["A list of at most 500 ids."]})
    found = []
    for user_id in dict.fromkeys(str(i) for i in user_ids):
        user = store.find_user(db, user_id)
        if user is None or not (caller.all_sites or set(user["sites"]) & set(caller.sites)):
            continue
        found.append({"id": user["_id"], "display_name": user["display_name"], "email": user.get("email"),
                      "language": user.get("language", "zh-CN"), "sites": user["sites"],
                      "permissions": user["permissions"], "status": user["status"]})
    return {"items": found}


def permissions_view(user):
    return {"user_id": user["_id"], "roles": user["roles"], "grants": user.get("grants", []),
            "revocations": user.get("revocations", []), "effective": user["permissions"],
            "version": user["version"]}


def get_permissions(db, caller, user_id):
    return permissions_view(users.get_visible(caller, store.find_user(db, user_id)))


def set_permissions(db, caller, user_id, data):
    caller.require("users:admin")
    user = users.get_visible(caller, store.find_user(db, user_id))
    data = load(contract.PermissionsSchema(), data)
    delegation.check_not_self(caller, user, ["permissions"])
    delegation.check_target(caller, user)
    roles = data.get("roles", user["roles"])
    grants, revocations = sorted(set(data["grants"])), sorted(set(data["revocations"]))
    changes = {"roles": roles, "grants": grants, "revocations": revocations,
               "permissions": permissions.effective_permissions(roles, grants, revocations)}
    delegation.check_grant(caller, user["roles"], user["permissions"], roles, changes["permissions"])
    diff = changes_between({k: user.get(k) for k in changes}, changes)
    site = _site_of(user)
    version = data.get("version", user["version"])
    ended, revoked = token_revocations.user_wide(
        user, version, token_revocations.reason_for(diff), caller.user_id)
    updated = store.update_user(
        db, user_id, version, dict(changes, **ended),
        events.event("permissions_changed", dict(
            events.profile_data(dict(user, **changes)), user_id=user_id, roles=roles, grants=grants,
            revocations=revocations, effective=changes["permissions"]), site, caller.user_id),
        events.audit("permissions", user_id, "changed", diff, site, caller.user_id), *revoked)
    if updated is None:
        raise stale_version("user")
    return permissions_view(updated)


def roles_marker():
    """The name of the catalogue of roles as this release defines it: a new one when a role's
    permissions change."""
    catalogue = json.dumps({name: sorted(perms) for name, perms in permissions.ROLES.items()}, sort_keys=True)
    return "roles:%s" % hashlib.sha256(catalogue.encode()).hexdigest()[:16]


def refresh_role_permissions(db, actor="service:accounts"):
    """Once per catalogue of roles: every user's stored permissions worked out again from their roles,
    grants and revocations, so a release that gives a role a new permission gives it to the users who
    hold the role. Each change is announced, audited and ends the user's access tokens, as any change
    of permissions does. -> how many users changed."""
    marker = roles_marker()
    if store.has_marker(db, marker):
        return 0
    count = 0
    for user in store.users_not_deleted(db):
        wanted = users.effective(user)
        if wanted == user.get("permissions"):
            continue
        diff = changes_between({"permissions": user.get("permissions")}, {"permissions": wanted})
        ended, revoked = token_revocations.user_wide(user, user["version"], token_revocations.reason_for(diff), actor)
        changed = dict(user, permissions=wanted)
        updated = store.update_user(
            db, user["_id"], user["version"], dict({"permissions": wanted}, **ended),
            events.event("permissions_changed", dict(
                events.profile_data(changed), user_id=user["_id"], roles=user["roles"], grants=user.get("grants", []),
                revocations=user.get("revocations", []), effective=wanted), _site_of(user), actor),
            events.audit("permissions", user["_id"], "changed", diff, _site_of(user), actor), *revoked)
        count += updated is not None
    store.set_marker(db, marker)
    return count


def list_roles():
    return {"roles": [{"name": name, "permissions": sorted(perms)} for name, perms in permissions.ROLES.items()],
            "permissions": [{"name": name, "description": text} for name, text in permissions.CATALOGUE.items()]}


def ensure_first_admin(db, email, password):
    """Create the HQ site and the first admin when no user exists; -> True when it did."""
    if store.count_users(db):
        return False
    site = store.find_site_by_code(db, "hq")
    if site is None:
        site = sites.new_site(HQ_SITE)
        try:
            store.insert_site(db, site)
        except Conflict:
            site = store.find_site_by_code(db, "hq")
    generated = not password
    password = password or secrets.token_urlsafe(18)
    user = users.new_user({"username": "admin", "email": email, "password": password, "display_name": "Administrator",
                           "sites": [site["_id"]], "roles": ["admin"]}, [site["_id"]])
    created = events.event("user_created", events.user_data(user), site["_id"], "service:accounts")
    try:
        store.insert_user(db, user, created,
                          events.audit("user", user["_id"], "created", {}, site["_id"], "service:accounts"))
    except Conflict:
        return False
    if generated:
        log.warning("created the first admin %s with a generated password, printed once to stderr", email)
        print("Factory CRM: the first admin is %s, password %s (shown once; change it after signing in)"
              % (email, password), file=sys.stderr, flush=True)
    return True
