"""Login, refresh-token rotation, logout and password reset."""
import datetime
import logging
import uuid

from services.accounts import devices, lockout, passwords, throttling, token_revocations
from services.accounts.tokens import hash_opaque_token, new_opaque_token
from services.accounts.users import check_password, key, user_out
from services.common.clock import utcnow
from services.common.errors import BadRequest, Conflict, TooManyAttempts, Unauthorized, ValidationFailed

log = logging.getLogger(__name__)

REFRESH_TTL = datetime.timedelta(days=30)
RESET_TTL = datetime.timedelta(minutes=30)
THROTTLED = "Too many sign-in attempts. Try again later."


def _utc(dt):
    return dt.replace(tzinfo=datetime.timezone.utc) if dt.tzinfo is None else dt


def refresh_token_record(user_id, family_id=None, now=None, family_started_at=None):
    """(opaque token, the record to store: only its hash). A family lives REFRESH_TTL from its
    login, however often it is rotated."""
    token = new_opaque_token()
    now = now or utcnow()
    started = _utc(family_started_at or now)
    return token, {
        "_id": hash_opaque_token(token),
        "user_id": user_id,
        "family_id": family_id or uuid.uuid4().hex,
        "family_started_at": started,
        "created_at": now,
        "expires_at": started + REFRESH_TTL,
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
        self.throttle = throttling.Throttle(db, store)

    def _session(self, user, family_id=None, family_started_at=None):
        refresh, record = refresh_token_record(user["_id"], family_id, family_started_at=family_started_at)
        access, expires_in = self.issuer.issue(user["_id"], user["sites"], user["permissions"],
                                               must_change_password=bool(user.get("must_change_password")),
                                               session_id=record["family_id"], version=user["version"],
                                               language=user.get("language"))
        self.store.insert_refresh_token(self.db, record)
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": expires_in, "user": user_out(user)}

    def login(self, identifier, password, client_addr, user_agent):
        """Each attempt is counted before the password is checked (``lockout``): an unknown
        identifier is counted and answered exactly like a known account."""
        now = utcnow()
        identifier_key = key(identifier) if isinstance(identifier, str) else ""
        user = self.store.find_user_by_key(self.db, identifier_key) if identifier_key else None
        user_id = user["_id"] if user else None
        pair, account, address = throttling.login_keys(user_id or "?" + identifier_key, client_addr)
        try:
            known, delayed_until = self._count_login(user_id, pair, account, address)
        except TooManyAttempts:
            self.store.insert_login(self.db, login_record(
                user_id, identifier, False, "throttled", client_addr, user_agent, now))
            raise
        if not check_credentials(user, password):
            self._failed(user, identifier, client_addr, user_agent, now, delayed_until)
            raise Unauthorized("Invalid credentials.", code="invalid_credentials")
        self.throttle.clear(pair, known=True)
        if not known:
            self.throttle.refund(account)
            self.throttle.refund(address)
        self.store.record_successful_login(self.db, user_id, now)
        self.store.insert_login(self.db, login_record(user_id, identifier, True, None, client_addr, user_agent, now))
        if passwords.needs_rehash(user["password_hash"]):
            self.store.update_user(self.db, user_id, None, {"password_hash": passwords.hash_password(password)})
        user["last_login_at"] = now
        return self._session(user)

    def _count_login(self, user_id, pair, account, address):
        """Count the attempt under each rule that applies; -> (whether the account has signed in
        from this address before: then only the pair rule applies, the time a per-account delay
        starts with this attempt or None)."""
        previous, state = self.throttle.attempt(pair, lockout.PAIR, THROTTLED, user_id)
        delays = [(lockout.PAIR, state)]
        known = bool(previous and previous.get("known"))
        if not known:
            delays.append((lockout.ACCOUNT, self.throttle.attempt(account, lockout.ACCOUNT, THROTTLED, user_id)[1]))
            self.throttle.attempt(address, lockout.ADDRESS, THROTTLED)
        return known, next((s["next_at"] for rule, s in delays if rule.starts_delay(s["count"])), None)

    def _failed(self, user, identifier, client_addr, user_agent, now, delayed_until=None):
        """Record a failed login; a known user's first delay is published as ``account_locked``."""
        user_id = user["_id"] if user else None
        reason = "disabled" if user and user.get("status") != "active" else "invalid_credentials"
        self.store.insert_login(self.db, login_record(user_id, identifier, False, reason, client_addr, user_agent, now))
        if user is None:
            return
        site = (user.get("sites") or [None])[0]
        source = {"client_addr": {"before": None, "after": client_addr}}
        emitted = [self.events.audit("user", user_id, "login_failed", source, site_id=site, actor="anonymous")]
        if delayed_until:
            emitted.append(self.events.event("account_locked", {
                "user_id": user_id, "locked_until": delayed_until.isoformat(), "client_addr": client_addr,
            }, site_id=site, actor="anonymous"))
            emitted.append(self.events.audit("user", user_id, "locked", dict(source, locked_until={
                "before": None, "after": delayed_until.isoformat()}), site_id=site, actor="anonymous"))
        self.store.record_failed_login(self.db, user_id, *emitted, delayed_until=delayed_until)

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
                if known.get("used_at") and not known.get("revoked"):
                    self._reuse_detected(known)  # before the family is revoked: a crash between repeats it
                self.store.revoke_family(self.db, known["family_id"])
            raise invalid
        started = _utc(record.get("family_started_at") or record["created_at"])
        user = self.store.find_user(self.db, record["user_id"])
        if user is None or user.get("status") != "active" or started + REFRESH_TTL <= now \
                or started < _utc(user.get("sessions_valid_from") or started):
            self.store.revoke_family(self.db, record["family_id"])
            raise invalid
        return self._session(user, record["family_id"], started)

    def _reuse_detected(self, record):
        """A spent refresh token came back: someone holds a copy. Its family is revoked; say so."""
        user = self.store.find_user(self.db, record["user_id"]) or {}
        site = (user.get("sites") or [None])[0]
        log.warning("security: reuse of a spent refresh token of user %s; its session family %s is revoked",
                    record["user_id"], record["family_id"],
                    extra={"security_event": "refresh_token_reuse", "user_id": record["user_id"]})
        family = {"family_id": {"before": None, "after": record["family_id"]}}
        self.store.queue_events(self.db, self.events.audit(
            "user", record["user_id"], "refresh_token_reused", family, site_id=site, actor="anonymous"))
        token_revocations.end_session(self.db, record["user_id"], record["family_id"], "refresh_token_reused",
                                      "anonymous")

    def logout(self, refresh_token):
        if isinstance(refresh_token, str) and refresh_token:
            known = self.store.find_refresh_token(self.db, hash_opaque_token(refresh_token))
            if known is not None:
                token_revocations.end_session(self.db, known["user_id"], known["family_id"], "logout", known["user_id"])
                self.store.revoke_family(self.db, known["family_id"])
        return {}

    def request_reset(self, email, public_url, client_addr=None):
        """Mail a reset link to a known address, voiding earlier links. Throttled per e-mail and
        per address alike for known and unknown addresses (TooManyAttempts)."""
        email_key = key(email) if isinstance(email, str) else ""
        message = "Too many password reset requests. Try again later."
        self.throttle.attempt("reset:address:%s" % lockout.address_of(client_addr), lockout.RESET_ADDRESS, message)
        self.throttle.attempt("reset:email:%s" % email_key, lockout.RESET_EMAIL, message)
        user = self.store.find_user_by_email(self.db, email_key) if email_key else None
        if user is None:
            return {}
        token, record = reset_token_record(user["_id"])
        self.store.void_reset_tokens(self.db, user["_id"], record["created_at"])
        link = "%s/reset-password?token=%s" % (public_url.rstrip("/"), token)
        site = (user.get("sites") or [None])[0]
        self.store.insert_reset_token(self.db, record, self.events.event("password_reset_requested", {
            "user_id": user["_id"], "display_name": user["display_name"],
            "language": user.get("language", "zh-CN"), "expires_at": record["expires_at"].isoformat(),
        }, site_id=site, actor=user["_id"], secret={"email": user["email"], "reset_url": link}), self.events.audit(
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
        if known.get("voided_at"):
            raise BadRequest("The reset link was replaced by a newer one or the password was changed since.",
                             code="reset_token_invalid")
        if known["expires_at"].replace(tzinfo=now.tzinfo) <= now:
            raise BadRequest("The reset link has expired.", code="reset_token_expired")
        user = self.store.find_user(self.db, known["user_id"])
        if user is None or user.get("status") == "deleted":
            raise BadRequest("The reset link is not valid.", code="reset_token_invalid")
        # A link made in the millisecond of the change (times are kept to the millisecond) cannot
        # be told from one made before it: it is void too.
        if user.get("resets_valid_from") and _utc(known["created_at"]) <= _utc(user["resets_valid_from"]):
            raise BadRequest("The reset link was replaced by a newer one or the password was changed since.",
                             code="reset_token_invalid")
        check_password(new_password, user["username"], user.get("email"), field="new_password")
        if not self.store.spend_reset_token(self.db, token_hash, now):
            raise BadRequest("The reset link was already used.", code="reset_token_used")
        try:
            self.set_password(user, new_password, actor=user["_id"], unlock=True)
        except Conflict:  # the account changed between the read and the write: the link is spent, so retry
            self.set_password(self.store.find_user(self.db, user["_id"]), new_password, actor=user["_id"], unlock=True)
        return {}

    def set_password(self, user, new_password, actor, unlock=False):
        """Set the password, end every session and void every reset link; ``unlock`` lifts sign-in delays.

        The user's own write marks older sessions and reset links invalid (``sessions_valid_from``,
        ``resets_valid_from``), so a crash before the two tidy-up writes after it loses nothing."""
        site = (user.get("sites") or [None])[0]
        now = utcnow()
        changes = {"password_hash": passwords.hash_password(new_password), "must_change_password": False,
                   "sessions_valid_from": now, "resets_valid_from": now}
        ended, revoked = token_revocations.user_wide(user, user["version"], "password_changed", actor)
        changed = self.events.event("password_changed", {
            "user_id": user["_id"], "email": user.get("email"), "display_name": user.get("display_name"),
            "language": user.get("language", "zh-CN"),
        }, site_id=site, actor=actor)
        audit = self.events.audit("user", user["_id"], "password_changed", {}, site_id=site, actor=actor)
        updated = self.store.update_user(self.db, user["_id"], user["version"], dict(changes, **ended),
                                         changed, audit, *revoked)
        if updated is None:
            raise Conflict("The account was changed meanwhile; try again.", code="stale_version")
        self.store.revoke_user_sessions(self.db, user["_id"])
        self.store.void_reset_tokens(self.db, user["_id"], now)
        if unlock:
            self.throttle.clear_account(user["_id"])

    def check_current_password(self, user, current_password):
        """ValidationFailed on ``current_password`` unless it is the user's; throttled per user."""
        key_ = "current-password:%s" % user["_id"]
        self.throttle.attempt(key_, lockout.CURRENT_PASSWORD, "Too many wrong passwords. Try again later.",
                              account=user["_id"])
        if not isinstance(current_password, str) or not check_credentials(user, current_password):
            raise ValidationFailed(fields={"current_password": ["The current password is not correct."]})
        self.throttle.clear(key_)

    def change_password(self, user_id, current_password, new_password):
        user = self.store.find_user(self.db, user_id)
        if user is None:
            raise Unauthorized("A valid access token is required.")
        self.check_current_password(user, current_password)
        check_password(new_password, user["username"], user.get("email"), field="new_password")
        self.set_password(user, new_password, actor=user_id)
        return {}
