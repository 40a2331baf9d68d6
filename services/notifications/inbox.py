"""The in-app inbox and each user's preferences: which kinds also come by e-mail or text.

A change of preferences is audited (``notifications.audit``, entity ``notification_preferences``,
the user's id), the text-message number masked to its last digits.
"""
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import Conflict, NotFound
from services.common.schemas import load
from services.notifications import contract, erasure, events, sms, store

# The kinds a user can receive in the inbox; each is also mailed unless the user turns it off.
KINDS = contract.KINDS

NOTIFICATION = contract.NotificationSchema()
PREFERENCES = contract.PreferencesSchema()


def add(db, notification_id, user_id, kind, title, body, link, event):
    return store.insert_ignoring_duplicate(db.inbox, {
        "_id": notification_id, "user_id": user_id, "kind": kind, "title": title, "body": body, "link": link,
        "event_id": event["event_id"], "event_type": event["type"], "site_id": event.get("site_id"),
        "subjects": erasure.subjects_of(event), "read_at": None, "created_at": utcnow(),
    })


def preferences_of(db, user_id):
    """The stored preferences, or the defaults (every kind by e-mail, none by text)."""
    stored = store.find_preferences(db, user_id) or {}
    return {
        "user_id": user_id,
        "email_kinds": stored.get("email_kinds", list(KINDS)),
        "sms_kinds": stored.get("sms_kinds", []),
        "sms_number": stored.get("sms_number"),
        "kinds": list(KINDS),
        "version": stored.get("version", 0),
    }


def list_mine(db, caller, filters, limit, cursor):
    filters = load(contract.InboxFilterSchema(), filters or {})
    documents, next_cursor, total, bound = store.list_inbox(db, caller.user_id, bool(filters.get("unread")), limit,
                                                           cursor)
    return {"items": NOTIFICATION.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound, "unread": store.count_unread(db, caller.user_id)}


def mark_read(db, caller, notification_id):
    found = store.mark_read(db, caller.user_id, str(notification_id), utcnow())
    if found is None:
        raise NotFound("No such notification.")
    return NOTIFICATION.dump(found)


def mark_all_read(db, caller):
    return {"updated": store.mark_all_read(db, caller.user_id, utcnow())}


def get_preferences(db, caller):
    return PREFERENCES.dump(preferences_of(db, caller.user_id))


def set_preferences(db, caller, data):
    data = load(contract.PreferencesUpdateSchema(), data)
    version = data.pop("version", None)
    values = {"email_kinds": sorted(set(data["email_kinds"])), "sms_kinds": sorted(set(data.get("sms_kinds", []))),
              "sms_number": data.get("sms_number")}
    changes = audited_changes(preferences_of(db, caller.user_id), values)
    emitted = [events.audit("notification_preferences", caller.user_id, "updated", changes,
                            (caller.sites or [None])[0], caller.user_id)] if changes else []
    if store.save_preferences(db, caller.user_id, values, version, *emitted) is None:
        raise Conflict("The preferences were changed elsewhere; reload and try again.",
                       {"version": ["Stale version."]}, code="stale_version")
    return get_preferences(db, caller)


def audited_changes(before, after):
    """The changed fields of a user's preferences, the text-message number masked to its last digits."""
    def audited(preferences):
        return {"email_kinds": sorted(preferences.get("email_kinds") or []),
                "sms_kinds": sorted(preferences.get("sms_kinds") or []), "sms_number": preferences.get("sms_number")}

    changes = changes_between(audited(before), audited(after))
    if "sms_number" in changes:
        changes["sms_number"] = {side: sms.masked(value) for side, value in changes["sms_number"].items()}
    return changes
