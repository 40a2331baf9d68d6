"""Login, refresh-token rotation, logout and password reset."""
import datetime
import uuid

from services.accounts import devices, lockout, passwords
from services.accounts.tokens import hash_opaque_token, new_opaque_token
from services.accounts.users import check_password, key, user_out
from services.common.errors import BadRequest, TooManyAttempts, Unauthorized, ValidationFailed
from services.common.events import utcnow

REFRESH_TTL = datetime.timedelta(days=30)
RESET_TTL = datetime.timedelta(minutes=30)


def refresh_token_record(user_id, family_id=None, now=None):
    """(opaque token, the record to store: only its hash)."""
    token = new_opaque_token()
    now = now or utcnow()
    return token, {
        "_id": hash_opaque_token(token),
        "user_id": user_id,
        "family_id": family_id or uuid.uuid4().hex,
        "created_at": now,
        "expires_at": now + REFRESH_TTL,
        "used_at": None,
        "revoked": False,
    }


def reset_token_record(user_id, now=None):
    token = new_opaque_token()
    now = now or utcnow()
    return token, {"_id": hash_opaque_token(token), "user_id": user_id, "created_at": now,
                   "expires_at": now + RESET_TTL, "used_at": None}


def login_record(user_id, identifier, success, reason, client_addr, user_agent, now=None):
    return {
        "_id": uuid.uuid4().hex,
        "user_id": user_id,
        "identifier": (identifier or "")[:254],
        "at": now or utcnow(),
        "success": success,
        "reason": reason,
        "client_addr": client_addr,
        "user_agent": (user_agent or "")[:512] or None,
        "device": devices.describe_device(user_agent),
    }


def account_lock(user, now):
    """(locked, retry_after seconds) for ``user``."""
    return lockout.is_locked(user.get("failed_logins", []), user.get("locked_until"), now)


def check_credentials(user, password):
    """True when ``user`` exists, is active and ``password`` is theirs; constant work otherwise."""
    if user is None or not user.get("password_hash"):
        passwords.verify_dummy(password)
        return False
    ok = passwords.verify_password(user["password_hash"], password)
    return ok and user.get("status") == "active"


class Sessions:
    """The login and token flows over the store; ``issuer`` signs access tokens."""

    def __init__(self, db, issuer, store, events):
        self.db = db
        self.issuer = issuer
        self.store = store
        self.events = events

    def _session(self, user, family_id=None):
        access, expires_in = self.issuer.issue(user["_id"], user["sites"], user["permissions"])
        refresh, record = refresh_token_record(user["_id"], family_id)
        self.store.insert_refresh_token(self.db, record)
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": expires_in, "user": user_out(user)}

    def login(self, identifier, password, client_addr, user_agent):
        now = utcnow()
        if client_addr:
            window_start = now - lockout.ADDRESS.window
            failures = self.store.address_failures(self.db, client_addr, window_start)
            locked, retry_after = lockout.is_address_locked(failures, None, now)
            if locked:
                raise TooManyAttempts("Too many failed logins from this address. Try again later.",
                                      extra={"retry_after": retry_after})
        user = self.store.find_user_by_key(self.db, key(identifier)) if identifier else None
        user_id = user["_id"] if user else None
        if user is not None:
            locked, retry_after = account_lock(user, now)
            if locked:
                self.store.insert_login(self.db, login_record(
                    user_id, identifier, False, "locked", client_addr, user_agent, now))
                raise TooManyAttempts("Too many failed logins. Try again later.",
                                      extra={"retry_after": retry_after})
        if not check_credentials(user, password):
            self._failed(user, identifier, client_addr, user_agent, now)
            raise Unauthorized("Invalid credentials.", code="invalid_credentials")
        self.store.record_successful_login(self.db, user_id, now)
        self.store.insert_login(self.db, login_record(user_id, identifier, True, None, client_addr, user_agent, now))
        if passwords.needs_rehash(user["password_hash"]):
            self.store.update_user(self.db, user_id, None, {"password_hash": passwords.hash_password(password)})
        user["last_login_at"] = now
        return self._session(user)

    def _failed(self, user, identifier, client_addr, user_agent, now):
        user_id = user["_id"] if user else None
        reason = "disabled" if user and user.get("status") != "active" else "invalid_credentials"
        self.store.insert_login(self.db, login_record(user_id, identifier, False, reason, client_addr, user_agent, now))
        if client_addr:
            self.store.add_address_failure(self.db, client_addr, now)
        if user is None:
            return
        failures = lockout.ACCOUNT.recent(list(user.get("failed_logins", [])) + [now], now)
        locked_until = lockout.lock_after_failure(failures, now)
        site = (user.get("sites") or [None])[0]
        emitted = [self.events.audit("user", user_id, "login_failed", {}, site_id=site, actor=user_id)]
        if locked_until:
            emitted.append(self.events.event("account_locked", {
                "user_id": user_id, "locked_until": locked_until.isoformat(), "client_addr": client_addr,
            }, site_id=site, actor=user_id))
            emitted.append(self.events.audit("user", user_id, "locked", {
                "locked_until": {"before": None, "after": locked_until.isoformat()}}, site_id=site, actor=user_id))
        self.store.record_failed_login(self.db, user_id, now, locked_until, *emitted)

    def refresh(self, refresh_token):
        invalid = Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            raise invalid
        token_hash = hash_opaque_token(refresh_token)
        now = utcnow()
        record = self.store.spend_refresh_token(self.db, token_hash, now)
        if record is None:
            known = self.store.find_refresh_token(self.db, token_hash)
            if known is not None:
                self.store.revoke_family(self.db, known["family_id"])
            raise invalid
        user = self.store.find_user(self.db, record["user_id"])
        if user is None or user.get("status") != "active":
            self.store.revoke_family(self.db, record["family_id"])
            raise invalid
        return self._session(user, record["family_id"])

    def logout(self, refresh_token):
        if isinstance(refresh_token, str) and refresh_token:
            known = self.store.find_refresh_token(self.db, hash_opaque_token(refresh_token))
            if known is not None:
                self.store.revoke_family(self.db, known["family_id"])
        return {}

    def request_reset(self, email, public_url):
        user = self.store.find_user_by_email(self.db, key(email)) if isinstance(email, str) else None
        if user is None:
            return {}
        token, record = reset_token_record(user["_id"])
        link = "%s/reset-password?token=%s" % (public_url.rstrip("/"), token)
        site = (user.get("sites") or [None])[0]
        self.store.insert_reset_token(self.db, record, self.events.event("password_reset_requested", {
            "user_id": user["_id"], "email": user["email"], "display_name": user["display_name"],
            "language": user.get("language", "zh-CN"), "reset_url": link,
            "expires_at": record["expires_at"].isoformat(),
        }, site_id=site, actor=user["_id"]), self.events.audit(
            "user", user["_id"], "password_reset_requested", {}, site_id=site, actor=user["_id"]))
        return {}

    def confirm_reset(self, token, new_password):
        if not isinstance(token, str) or not token:
            raise BadRequest("The reset link is not valid.", code="reset_token_invalid")
        token_hash = hash_opaque_token(token)
        now = utcnow()
        known = self.store.find_reset_token(self.db, token_hash)
        if known is None:
            raise BadRequest("The reset link is not valid.", code="reset_token_invalid")
        if known.get("used_at"):
            raise BadRequest("The reset link was already used.", code="reset_token_used")
        if known["expires_at"].replace(tzinfo=now.tzinfo) <= now:
            raise BadRequest("The reset link has expired.", code="reset_token_expired")
        user = self.store.find_user(self.db, known["user_id"])
        if user is None or user.get("status") == "deleted":
            raise BadRequest("The reset link is not valid.", code="reset_token_invalid")
        check_password(new_password, user["username"], user.get("email"), field="new_password")
        if self.store.spend_reset_token(self.db, token_hash, now) is None:
            raise BadRequest("The reset link was already used.", code="reset_token_used")
        self.set_password(user, new_password, actor=user["_id"], unlock=True)
        return {}

    def set_password(self, user, new_password, actor, unlock=False):
        site = (user.get("sites") or [None])[0]
        changes = {"password_hash": passwords.hash_password(new_password), "must_change_password": False}
        if unlock:
            changes.update(locked_until=None, failed_logins=[])
        self.store.update_user(self.db, user["_id"], None, changes, self.events.event("password_changed", {
            "user_id": user["_id"], "email": user.get("email"), "display_name": user.get("display_name"),
            "language": user.get("language", "zh-CN"),
        }, site_id=site, actor=actor), self.events.audit("user", user["_id"], "password_changed", {},
                                                       site_id=site, actor=actor))
        self.store.revoke_user_sessions(self.db, user["_id"])

    def change_password(self, user_id, current_password, new_password):
        user = self.store.find_user(self.db, user_id)
        if not check_credentials(user, current_password):
            raise ValidationFailed(fields={"current_password": ["The current password is not correct."]})
        check_password(new_password, user["username"], user.get("email"), field="new_password")
        self.set_password(user, new_password, actor=user_id)
        return {}
