"""The in-app inbox and each user's preferences: which kinds also come by e-mail or text."""
from services.common.errors import Conflict, NotFound
from services.common.events import utcnow
from services.common.schemas import load
from services.notifications import schemas, store

# The kinds a user can receive in the inbox; each is also mailed unless the user turns it off.
KINDS = schemas.KINDS

NOTIFICATION = schemas.NotificationSchema()
PREFERENCES = schemas.PreferencesSchema()


def add(db, notification_id, user_id, kind, title, body, link, event):
    return store.insert_ignoring_duplicate(db.inbox, {
        "_id": notification_id, "user_id": user_id, "kind": kind, "title": title, "body": body, "link": link,
        "event_id": event["event_id"], "event_type": event["type"], "site_id": event.get("site_id"),
        "read_at": None, "created_at": utcnow(),
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
    filters = load(schemas.InboxFilterSchema(), filters or {})
    query = {"user_id": caller.user_id}
    if filters.get("unread"):
        query["read_at"] = None
    documents, next_cursor, total = store.list_inbox(db, query, limit, cursor)
    unread = total if filters.get("unread") else db.inbox.count_documents({"user_id": caller.user_id,
                                                                             "read_at": None})
    return {"items": NOTIFICATION.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "unread": unread}


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
    data = load(schemas.PreferencesUpdateSchema(), data)
    version = data.pop("version", None)
    values = {"email_kinds": sorted(set(data["email_kinds"])), "sms_kinds": sorted(set(data.get("sms_kinds", []))),
              "sms_number": data.get("sms_number")}
    if store.save_preferences(db, caller.user_id, values, version) is None:
        raise Conflict("The preferences were changed elsewhere; reload and try again.",
                       {"version": ["Stale version."]}, code="stale_version")
    return get_preferences(db, caller)
