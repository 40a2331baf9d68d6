"""Who the recipients are: a replica of the users, kept from accounts events.

Notifications reacts to events and holds no user token, so it cannot ask accounts; the
``accounts.user_created``, ``user_updated`` and ``permissions_changed`` events carry what it needs
(e-mail, name, language, sites, status, permissions) and ``user_deleted`` erases the entry.

A site's managers are the active users of that site holding both ``reports:read`` and
``customers:write`` (the manager and admin roles, or users granted both).
"""
from services.notifications import store

USER_EVENTS = ("accounts.user_created", "accounts.user_updated", "accounts.permissions_changed")
DELETED = "accounts.user_deleted"
FIELDS = ("username", "email", "display_name", "language", "status", "permissions", "sites", "roles")
MANAGER_PERMISSIONS = ("reports:read", "customers:write")
ADMIN_PERMISSION = "webhooks:admin"


def apply(db, event):
    """Update the directory from an accounts event; other events are ignored."""
    data, at = event["data"], event["occurred_at"]
    if event["type"] in USER_EVENTS:
        store.save_directory_entry(db, data["user_id"], {k: data[k] for k in FIELDS if k in data}, at)
    elif event["type"] == DELETED:
        store.erase_directory_entry(db, data["user_id"], at)


def users(db, user_ids):
    """The active users among ``user_ids`` (unknown ones left out), in the order given."""
    wanted = [u for u in dict.fromkeys(user_ids) if u]
    if not wanted:
        return []
    found = {user["_id"]: user for user in store.active_users(db, wanted)}
    return [found[u] for u in wanted if u in found]


def unknown(db, user_ids):
    """The ids among ``user_ids`` that the directory has never heard of (deleted users are known)."""
    wanted = [u for u in dict.fromkeys(user_ids) if u]
    known = store.known_ids(db, wanted) if wanted else set()
    return [u for u in wanted if u not in known]


def of_site(people, site_id):
    """Those of ``people`` who work on ``site_id`` or on every site (all of them when it is None)."""
    if site_id is None:
        return list(people)
    return [person for person in people
            if site_id in (person.get("sites") or []) or "sites:all" in (person.get("permissions") or [])]


def managers(db, site_id):
    if not site_id:
        return []
    return store.active_holders(db, MANAGER_PERMISSIONS, site_id)


def admins(db):
    """Who hears about webhooks: active holders of ``webhooks:admin``."""
    return store.active_holders(db, [ADMIN_PERMISSION])
