"""Ending access tokens before they expire (docs/architecture.md §2): what accounts records and announces.

Every process applies the entries in memory (``services.common.revocation``). Two kinds:

- a user's tokens (disabled, deleted, password changed or reset, roles, permissions or sites
  changed): the revocation rides in the very write that makes the change. The user record keeps
  ``tokens_min_version`` and ``tokens_revoked_at`` and the write queues
  ``accounts.tokens_revoked``. That write is conditional on the version it read, so
  ``min_version`` (that version + 1) is the version the record has after it: every token signed
  before carries a lower ``ver`` claim, every later one at least that.
- a session's tokens (logout, a spent refresh token used again): a ``session_revocations``
  record, written with its event; the tokens' ``sid`` claim is the refresh-token family.

Both are listed by ``since`` for KEEP, past the last moment a token they refuse is accepted.
"""
import datetime

from services.accounts import events, store
from services.accounts.keys import ACCESS_TOKEN_SECONDS
from services.common.clock import isoformat, parse_time, utcnow
from services.common.errors import ValidationFailed

KEEP = datetime.timedelta(seconds=ACCESS_TOKEN_SECONDS + 60)  # the token lifetime, the verifiers' leeway, a margin

# A change of any of these fields ends the user's access tokens, for this reason.
REASONS = (
    ("status", "status_changed"),
    ("sites", "sites_changed"),
    ("roles", "permissions_changed"),
    ("grants", "permissions_changed"),
    ("revocations", "permissions_changed"),
    ("permissions", "permissions_changed"),
    ("password_hash", "password_changed"),
    ("must_change_password", "password_change_required"),
)


def reason_for(changed_fields):
    """Why a change of ``changed_fields`` ends the user's access tokens, or None when it does not."""
    return next((reason for field, reason in REASONS if field in changed_fields), None)


def user_wide(user, version, reason, actor, now=None):
    """(fields to set, events to queue) in the write of a change to ``user`` that is conditional
    on ``version``: together they end every access token of the user signed before that write.
    No ``reason`` (a change that ends no token): nothing."""
    if not reason:
        return {}, []
    now = now or utcnow()
    min_version = version + 1
    event = events.event("tokens_revoked", {
        "user_id": user["_id"], "session_id": None, "min_version": min_version, "reason": reason,
        "expires_at": isoformat(now + KEEP),
    }, (user.get("sites") or [None])[0], actor)
    return {"tokens_min_version": min_version, "tokens_revoked_at": now}, [event]


def end_session(db, user_id, session_id, reason, actor):
    """End the access tokens of one refresh-token family (a repeat is a no-op)."""
    now = utcnow()
    record = {"_id": session_id, "user_id": user_id, "reason": reason, "at": now, "expires_at": now + KEEP}
    store.insert_session_revocation(db, record, events.event("tokens_revoked", {
        "user_id": user_id, "session_id": session_id, "min_version": None, "reason": reason,
        "expires_at": isoformat(record["expires_at"]),
    }, None, actor))


def since(db, moment=None):
    """``{items, as_of}``: the entries recorded from ``moment`` (ISO 8601; None or older: from
    KEEP ago), and the time to ask from next (less a margin for the clocks of other replicas)."""
    now = utcnow()
    start = now - KEEP
    if moment is not None:
        try:
            start = max(start, parse_time(moment))
        except (AttributeError, TypeError, ValueError):
            raise ValidationFailed(fields={"since": ["An ISO 8601 time, e.g. 2026-01-31T08:00:00Z."]})
    items = [{"user_id": user["_id"], "session_id": None, "min_version": user["tokens_min_version"],
              "expires_at": isoformat(user["tokens_revoked_at"] + KEEP)}
             for user in store.users_revoked_since(db, start)]
    items += [{"user_id": record["user_id"], "session_id": record["_id"], "min_version": None,
               "expires_at": isoformat(record["expires_at"])}
              for record in store.sessions_revoked_since(db, start)]
    return {"items": items, "as_of": isoformat(now)}
