"""Users a record names (a customer's owner, a follow-up's or a feedback's assignee), checked with
accounts, the service that owns them: one rule for every service."""
from services.common import remote
from services.common.errors import ValidationFailed


def check_user(caller, user_id, site_id, permission, field):
    """The user ``user_id`` must be active, work at ``site_id`` (or hold ``sites:all``) and hold
    ``permission``; 422 on ``field`` otherwise; -> the user's directory entry. Accounts is asked as
    the caller, so a user outside the caller's sites is unknown; accounts down is 503, never a pass.
    A service acting on its own, or a caller naming itself with the site and the permission, needs
    no question (-> None)."""
    if caller.is_service or (user_id == caller.user_id and caller.has_site(site_id) and caller.can(permission)):
        return None
    answer = remote.call("accounts", "user_directory", [user_id], token=caller.token)
    user = next((u for u in answer.get("items", []) if u["id"] == user_id), None)
    problem = None
    if user is None or user.get("status") != "active":
        problem = "No such active user."
    elif site_id not in user.get("sites", []) and "sites:all" not in user.get("permissions", []):
        problem = "The user does not work at this record's site."
    elif permission not in user.get("permissions", []):
        problem = "The user lacks the %s permission." % permission
    if problem:
        raise ValidationFailed(problem, {field: [problem]})
    return user


USER_EVENTS = ("accounts.user_updated", "accounts.user_deleted", "accounts.permissions_changed")


def still_allowed(event, permission):
    """After an accounts user event (``USER_EVENTS``): ``(user_id, sites)``, ``sites`` being None
    when the user may still be named on every record they could be before (or holds ``sites:all``),
    else the sites where they still may: none when disabled, deleted or without ``permission``.
    Records naming the user at any other site must be reassigned or flagged by their service."""
    data = event["data"]
    user_id = data["user_id"]
    if event["type"] == "accounts.user_deleted":
        return user_id, []
    granted = data.get("permissions") or []
    if data.get("status") != "active" or permission not in granted:
        return user_id, []
    if "sites:all" in granted or "sites" not in data:
        return user_id, None
    return user_id, list(data["sites"])
