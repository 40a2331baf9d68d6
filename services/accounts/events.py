"""The events accounts publishes (exchange ``accounts.events``), built from the catalogue of its
contract; documented in docs/events.md."""
from services.accounts.contract import CATALOGUE

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
