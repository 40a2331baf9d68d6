"""The throttle rules of ``lockout`` applied to counters in the database.

Each attempt is recorded BEFORE the password is checked, by a compare-and-set on the counter's
revision: of N parallel attempts exactly one wins each revision, so they cannot all pass.
"""
from datetime import timedelta

from services.accounts import lockout
from services.common.clock import utcnow
from services.common.errors import TooManyAttempts

KEEP = timedelta(days=1)
KEEP_KNOWN = timedelta(days=180)
ROUNDS = 25  # more parallel attempts on one key than this many are refused (Retry-After 1)
TOO_MANY = "Too many attempts. Try again later."


def too_many(retry_after, message=None):
    return TooManyAttempts(message or TOO_MANY, extra={"retry_after": int(retry_after)})


class Throttle:
    def __init__(self, db, store):
        self.db = db
        self.store = store

    def attempt(self, key, rule, message=None, account=None, now=None):
        """Count one attempt under ``rule``; -> (the state it replaced or None, the new state),
        TooManyAttempts if it must wait. ``now`` is for tests; by default each round reads the clock."""
        for _ in range(ROUNDS):
            current = self.store.find_throttle(self.db, key)
            at = now or utcnow()
            retry_after, state = rule.decide(current, at)
            if state is None:
                raise too_many(retry_after, message)
            keep = KEEP_KNOWN if current and current.get("known") else KEEP
            state.update(expires_at=at + max(keep, rule.window), account=account)
            if self.store.claim_throttle(self.db, key, current["rev"] if current else None, state):
                return current, state
        raise too_many(1, message)

    def refund(self, key):
        """Take back one attempt that turned out to be a success."""
        self.store.refund_throttle(self.db, key)

    def clear(self, key, known=False):
        """Start ``key`` afresh; ``known`` marks an account and address that signed in together."""
        now = utcnow()
        self.store.clear_throttle(self.db, key, known, now + (KEEP_KNOWN if known else KEEP))

    def clear_account(self, account):
        self.store.clear_account_throttles(self.db, account)


def login_keys(subject, client_addr):
    """(pair, account, address) keys of a login of ``subject`` (a user id, or "?" + an unknown identifier)."""
    address = lockout.address_of(client_addr)
    return "login:pair:%s:%s" % (subject, address), "login:account:%s" % subject, "login:address:%s" % address
