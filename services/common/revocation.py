"""Revoked access tokens, as every process knows them: in memory, no database read per request.

accounts ends access tokens before they expire in two ways (docs/architecture.md §2), each one entry
``{user_id, session_id, min_version, expires_at}``:

- a session (logout, a reused refresh token): every token whose ``sid`` claim is ``session_id``
  (the refresh-token family it was signed for);
- a user (disabled, deleted, password changed or reset, roles, permissions or sites changed):
  every token of ``user_id`` whose ``ver`` claim (the user record's version when it was signed)
  is below ``min_version``.

An entry is kept until ``expires_at``, when every token it refuses has expired anyway, so the
memory is bounded by what one token lifetime revokes. A process learns the entries from the event
``accounts.tokens_revoked`` (services: a broadcast queue per process, ``learn_revocation``) and
from the accounts RPC ``revocations_since`` (at start, then every few seconds in services to make
up for events a broker outage lost, every second in each gateway worker). Until its first answer,
a process refuses with 503 the tokens signed before it started: it cannot know yet whether
they were revoked.
"""
import datetime
import logging
import math
import threading
import time

from nameko.events import BROADCAST

from services.common import signing
from services.common.clock import isoformat, parse_time
from services.common.entrypoints import event_handler
from services.common.errors import Unauthorized, Unavailable

log = logging.getLogger(__name__)

EVENT = "accounts.tokens_revoked"
LOAD_WAIT_SECONDS = 2.0  # a request with an older token waits this long for the first answer
OVERLAP_SECONDS = 30  # each poll asks again for this much before the last answer's time
CATCH_UP_SECONDS = 5  # a service process asks accounts this often besides hearing the events
PRUNE_SECONDS = 60


def revoked_error():
    return Unauthorized("The token was revoked: refresh it, or sign in again.", code="token_revoked")


class Revocations:
    """The live entries of one process; ``check`` answers from memory only."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._users = {}  # user_id -> (min_version, expires_at)
        self._sessions = {}  # session_id -> expires_at
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._pruned = clock()
        self.started = math.floor(clock())

    @property
    def loaded(self):
        return self._loaded.is_set()

    def learn(self, entry):
        """Keep one entry (a malformed one is logged and left out); -> whether it was usable."""
        try:
            user_id, session_id, min_version, expires_at = _parse(entry)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("token revocation entry left out: %s", exc)
            return False
        now = self._clock()
        if expires_at <= now:
            return True
        with self._lock:
            if session_id is not None:
                self._sessions[session_id] = max(expires_at, self._sessions.get(session_id, 0))
            if min_version is not None:
                known_version, known_expiry = self._users.get(user_id, (0, 0))
                self._users[user_id] = (max(min_version, known_version), max(expires_at, known_expiry))
            if now - self._pruned >= PRUNE_SECONDS:
                self._prune(now)
        return True

    def learn_all(self, entries):
        """Keep every entry of an accounts answer; the process knows the revocations from now on."""
        for entry in entries:
            self.learn(entry)
        self._loaded.set()

    def check(self, user_id, session_id, version, issued_at):
        """Raise Unauthorized ``token_revoked`` for a revoked token; Unavailable while the entries of
        the time before this process started are not known and the token is from then."""
        if not self._loaded.is_set() and issued_at < self.started and not self._loaded.wait(LOAD_WAIT_SECONDS):
            raise Unavailable("Token revocations are not known yet; try again shortly.")
        now = self._clock()
        if session_id is not None and self._sessions.get(session_id, 0) > now:
            raise revoked_error()
        min_version, expires_at = self._users.get(user_id, (0, 0))
        if expires_at > now and (version or 0) < min_version:
            raise revoked_error()

    def _prune(self, now):
        self._pruned = now
        self._sessions = {sid: expiry for sid, expiry in self._sessions.items() if expiry > now}
        self._users = {uid: entry for uid, entry in self._users.items() if entry[1] > now}

    def __len__(self):
        return len(self._users) + len(self._sessions)


def _parse(entry):
    user_id, session_id, min_version = entry["user_id"], entry.get("session_id"), entry.get("min_version")
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("user_id is not an id")
    if session_id is not None and not (isinstance(session_id, str) and session_id):
        raise ValueError("session_id is not an id")
    if min_version is not None and (isinstance(min_version, bool) or not isinstance(min_version, int)):
        raise ValueError("min_version is not an integer")
    if session_id is None and min_version is None:
        raise ValueError("the entry names neither a session nor a version")
    return user_id, session_id, min_version, parse_time(entry["expires_at"]).timestamp()


class Poller:
    """Asks accounts for the entries since its last answer: ``fetch(since) -> {items, as_of}``."""

    def __init__(self, revocations, fetch):
        self.revocations = revocations
        self.fetch = fetch
        self.since = None
        self.failing = False

    def poll(self):
        """One round; -> True when accounts answered. Failures are logged once until the next success."""
        try:
            answer = self.fetch(self.since)
            self.revocations.learn_all(answer["items"])
            self.since = _earlier(answer["as_of"], OVERLAP_SECONDS)
        except Exception as exc:  # a poller must outlive any failure of accounts or the broker
            if not self.failing:
                log.warning("token revocations not fetched from accounts: %s", type(exc).__name__)
            self.failing = True
            return False
        if self.failing:
            log.info("token revocations fetched from accounts again")
        self.failing = False
        return True


def _earlier(moment, seconds):
    return isoformat(parse_time(moment) - datetime.timedelta(seconds=seconds))


def accepted_event(event):
    """The entry an ``accounts.tokens_revoked`` envelope carries, or None when it is refused
    (unsigned or forged: ``signing``) or is another event."""
    if not isinstance(event, dict) or event.get("type") != EVENT:
        return None
    refused = signing.rejection(event)
    if refused:
        log.warning("token revocation event %s refused: %s", str(event.get("event_id"))[:64], refused)
        return None
    return event.get("data")


@event_handler("accounts", EVENT, handler_type=BROADCAST, reliable_delivery=False)
def learn_revocation(self, event):
    """A service's handler of ``accounts.tokens_revoked``, once in every process (BROADCAST, a
    queue of its own that ends with the process): ``learn_revocation = revocation.learn_revocation``
    in the service class, which must have a ``context = CallerContext()``."""
    entry = accepted_event(event)
    if entry is not None:
        self.context.revocations.learn(entry)
