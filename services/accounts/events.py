"""What accounts publishes (exchange ``accounts.events``); documented in docs/events.md."""
from services.common.events import AUDIT_FIELDS, Catalogue

# What other services keep of a user (notifications' recipient directory); never secrets.
PROFILE = ("email", "display_name", "language", "status", "permissions")
USER = ("user_id", "username", "sites", "roles") + PROFILE
# A site as every service's replica keeps it (services.common.sites); the newest version wins.
SITE = ("site_id", "code", "name", "timezone", "status", "version")

CATALOGUE = Catalogue("accounts", {
    "user_created": USER,
    "user_updated": USER + ("changed_fields",),
    "user_deleted": ("user_id",),
    "permissions_changed": ("user_id", "roles", "grants", "revocations", "effective") + PROFILE,
    "account_locked": ("user_id", "locked_until", "client_addr"),
    "password_changed": ("user_id", "email", "display_name", "language"),
    "password_reset_requested": ("user_id", "display_name", "language", "expires_at"),
    "email_changed": ("user_id", "display_name", "language"),
    "site_created": SITE,
    "site_updated": SITE,
    "site_disabled": SITE,
    "site_deleted": SITE,
    "tokens_revoked": ("user_id", "session_id", "min_version", "reason", "expires_at"),
    "audit": AUDIT_FIELDS,
}, sealed={"password_reset_requested": ("email", "reset_url"), "email_changed": ("email", "new_email")})

event = CATALOGUE.event


def profile_data(user):
    return {"email": user.get("email"), "display_name": user.get("display_name"),
            "language": user.get("language", "zh-CN"), "status": user.get("status"),
            "permissions": list(user.get("permissions", []))}


def user_data(user):
    return dict(profile_data(user), user_id=user["_id"], username=user["username"], sites=user["sites"],
                roles=user["roles"])


def email_changed(user, new_email, actor):
    """Mailed to the old address (``email``), so its owner learns of a takeover attempt."""
    site = (user.get("sites") or [None])[0]
    return event("email_changed", {"user_id": user["_id"], "display_name": user.get("display_name"),
                                   "language": user.get("language", "zh-CN")},
                 site_id=site, actor=actor, secret={"email": user["email"], "new_email": new_email})


def audit(entity_type, entity_id, action, changes, site_id=None, actor=None):
    data = {"entity_type": entity_type, "entity_id": entity_id, "action": action, "changes": changes}
    return event("audit", data, site_id=site_id, actor=actor)
