"""Rules for user records: creation, who may change what, erasure."""
import uuid

from services.accounts import contract, passwords, permissions
from services.common import config, messages
from services.common.clock import utcnow
from services.common.errors import Forbidden, NotFound, ValidationFailed

CONTACT_FIELDS = ("display_name", "email", "phone", "position", "language")
PERSONAL_FIELDS = ("username", "display_name", "email", "phone", "position")
SECRET_FIELDS = ("password_hash", "failed_logins", "username_key", "email_key")
UNAUDITED_FIELDS = SECRET_FIELDS + ("created_at", "updated_at", "version", "last_login_at")


def key(text):
    return (text or "").strip().lower()


def check_password(password, *user_inputs, field="password"):
    problems = passwords.check_password_policy(password, user_inputs)
    if problems:
        raise ValidationFailed(fields={field: problems})


def check_sites(site_ids, known_sites):
    """A user is given only sites that exist and are active (a site they already have may stay
    when it is disabled); 422 on ``sites`` naming the others."""
    unknown = sorted(set(site_ids) - set(known_sites))
    if unknown:
        raise ValidationFailed(fields={"sites": ["Unknown or disabled site: %s." % ", ".join(unknown)]})


def new_user(data, known_sites):
    """A user document from validated ``data``; sites must exist and be active (``known_sites``)."""
    check_sites(data["sites"], known_sites)
    check_password(data["password"], data["username"], data["email"], data.get("display_name"))
    now = utcnow()
    user = {
        "_id": uuid.uuid4().hex,
        "username": data["username"],
        "username_key": key(data["username"]),
        "email": data["email"],
        "email_key": key(data["email"]),
        "display_name": data["display_name"],
        "phone": data.get("phone"),
        "position": data.get("position"),
        "language": data.get("language") or messages.language_of(config.get("CRM_DEFAULT_LANGUAGE"), "zh-CN"),
        "sites": list(dict.fromkeys(data["sites"])),
        "roles": list(dict.fromkeys(data["roles"])),
        "grants": [],
        "revocations": [],
        "status": data.get("status", "active"),
        "must_change_password": data.get("must_change_password", False),
        "password_hash": passwords.hash_password(data["password"]),
        "failed_logins": [],
        "locked_until": None,
        "last_login_at": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    user["permissions"] = effective(user)
    return user


def effective(user):
    return permissions.effective_permissions(user["roles"], user.get("grants", ()), user.get("revocations", ()))


def visible(caller, user):
    """Whether ``caller`` may see ``user`` at all: themself, or an admin sharing a site."""
    if user is None:
        return False
    if caller.user_id == user["_id"]:
        return True
    if not caller.can("users:admin"):
        return False
    return caller.all_sites or bool(set(user["sites"]) & set(caller.sites))


def get_visible(caller, user):
    if not visible(caller, user):
        raise NotFound("No such user.")
    return user


def allowed_changes(caller, user, data, known_sites):
    """The fields ``caller`` may change with ``data``; Forbidden names the first one it may not."""
    changes = {k: v for k, v in data.items() if k != "version"}
    if not caller.can("users:admin"):
        if caller.user_id != user["_id"]:
            raise NotFound("No such user.")
        denied = sorted(set(changes) - set(CONTACT_FIELDS))
        if denied:
            raise Forbidden("Only an administrator may change %s." % ", ".join(denied),
                            extra={"permission": "users:admin"})
    if "sites" in changes:
        check_sites(set(changes["sites"]) - set(user.get("sites", ())), known_sites)
        if not changes["sites"]:
            raise ValidationFailed(fields={"sites": ["A user belongs to at least one site."]})
    if "email" in changes:
        changes["email_key"] = key(changes["email"])
    if "roles" in changes:
        changes["permissions"] = permissions.effective_permissions(
            changes["roles"], user.get("grants", ()), user.get("revocations", ()))
    return changes


def erased_fields(user):
    """What stays of a deleted user: the id, a placeholder name, the status."""
    return {
        "username": "deleted-%s" % user["_id"][:12],
        "username_key": "deleted-%s" % user["_id"],
        "email": None,
        "display_name": "Deleted user",
        "phone": None,
        "position": None,
        "status": "deleted",
        "roles": [],
        "grants": [],
        "revocations": [],
        "permissions": [],
        "failed_logins": [],
        "deleted_at": utcnow(),
    }


def public_view(user):
    """The user as others may see it: never secrets."""
    return {k: v for k, v in user.items() if k not in SECRET_FIELDS and not k.startswith("_") or k == "_id"}


USER = contract.UserSchema()


def user_out(user):
    """The user as the API shows it."""
    return USER.dump(public_view(user))
