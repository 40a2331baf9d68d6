"""Throttling of password guesses, as pure functions over a small counter state.

Nothing is ever locked: each counted attempt may set a delay before the next one is allowed
(429 with ``Retry-After``), growing with the attempts inside the rule's window and capped.

- ``PAIR``: one account from one client address. The strongest rule; it only slows whoever
  guesses from that address.
- ``ACCOUNT``: one account (or one unknown identifier) from every address. Mild, capped at a
  minute, and skipped for an address the account has signed in from before, so an attack from
  elsewhere never keeps the user out of their own desk.
- ``ADDRESS``: every account from one address, a ceiling that slows (seconds), never blocks;
  skipped for known pairs too, so one script behind a NAT does not stop a whole factory.
- ``CURRENT_PASSWORD``: checks of a signed-in user's current password (password or e-mail change).
- ``RESET_EMAIL`` / ``RESET_ADDRESS``: password-reset requests per e-mail and per address.

A state is ``{count, last_at, next_at}`` (or None for a fresh key); ``count`` is a float, as it
leaks. Naive datetimes (as pymongo
returns them) are taken as UTC.
"""
import math
from collections import namedtuple
from datetime import timedelta, timezone


class Rule(namedtuple("Rule", "free first cap window")):
    """``free`` attempts pass at once; after the n-th counted one (n >= free) the next waits
    ``first * 2 ** (n - free)`` seconds, at most ``cap``. The count leaks away: ``free``
    attempts per ``window`` (a leaky bucket), so it is empty again after a quiet ``window``."""

    def delay(self, count):
        count = math.ceil(count - 1e-9)
        if count < self.free:
            return 0
        return min(self.first * 2 ** (count - self.free), self.cap)

    def starts_delay(self, count):
        """Whether the attempt that brought the count to ``count`` is the first to be followed by a delay."""
        return self.delay(count) > 0 and self.delay(count - 1) == 0

    def leaked(self, count, since):
        """What is left of ``count`` after ``since`` (a timedelta)."""
        return max(0.0, count - since / self.window * self.free)

    def decide(self, state, now):
        """-> (retry_after seconds, None) when the attempt must wait, else (0, the new state)."""
        now = _utc(now)
        state = state or {}
        next_at = state.get("next_at")
        if next_at is not None and _utc(next_at) > now:
            return max(1, math.ceil((_utc(next_at) - now).total_seconds())), None
        last_at = state.get("last_at")
        count = self.leaked(state.get("count", 0), now - _utc(last_at)) if last_at is not None else 0
        count += 1
        wait = self.delay(count)
        return 0, {"count": count, "last_at": now, "next_at": now + timedelta(seconds=wait) if wait else None}


PAIR = Rule(free=5, first=30, cap=300, window=timedelta(minutes=15))
ACCOUNT = Rule(free=10, first=2, cap=60, window=timedelta(minutes=15))
ADDRESS = Rule(free=30, first=1, cap=5, window=timedelta(minutes=15))
CURRENT_PASSWORD = Rule(free=5, first=30, cap=900, window=timedelta(minutes=15))
RESET_EMAIL = Rule(free=3, first=60, cap=3600, window=timedelta(hours=1))
RESET_ADDRESS = Rule(free=20, first=10, cap=300, window=timedelta(hours=1))

UNKNOWN_ADDRESS = "-"


def address_of(client_addr):
    """The address a rule counts: a caller that gives none shares one key (never skips the rule)."""
    return str(client_addr) if client_addr else UNKNOWN_ADDRESS


def _utc(dt):
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
