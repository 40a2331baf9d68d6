"""Brute-force rules, as pure functions over the timestamps of failed logins.

Two rules of the same shape: per account (5 failures within 15 minutes lock it for 15 minutes)
and per client address (20 within 15 minutes). Naive datetimes (as pymongo returns them) are
taken as UTC; returned datetimes are timezone-aware UTC.
"""
import math
from collections import namedtuple
from datetime import timedelta, timezone

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)

ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_LOCK = timedelta(minutes=15)


def _utc(dt):
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


class Rule(namedtuple("Rule", "max_failures window lock")):
    """``max_failures`` failures within ``window`` lock for ``lock`` from the last of them."""

    def recent(self, failures, now):
        """The failures still inside the window (what is worth keeping), oldest first."""
        now = _utc(now)
        return sorted(f for f in map(_utc, failures) if now - self.window < f <= now)

    def lock_after_failure(self, recent_failures, now):
        """-> locked_until, or None. ``recent_failures`` include the failure that just happened."""
        if len(self.recent(recent_failures, now)) >= self.max_failures:
            return _utc(now) + self.lock
        return None

    def is_locked(self, failures, locked_until, now):
        """-> (locked, retry_after_seconds), from a stored ``locked_until`` and the failures."""
        now = _utc(now)
        ends = [_utc(locked_until)] if locked_until else []
        ordered = sorted(map(_utc, failures))
        first = 0
        for last, failure in enumerate(ordered):
            while ordered[first] <= failure - self.window:
                first += 1
            if last - first + 1 >= self.max_failures:
                ends.append(failure + self.lock)
        end = max(ends, default=None)
        if end is None or end <= now:
            return False, 0
        return True, math.ceil((end - now).total_seconds())


ACCOUNT = Rule(MAX_FAILURES, WINDOW, LOCK)
ADDRESS = Rule(ADDRESS_MAX_FAILURES, ADDRESS_WINDOW, ADDRESS_LOCK)


def is_locked(failures, locked_until, now):
    return ACCOUNT.is_locked(failures, locked_until, now)


def lock_after_failure(recent_failures, now):
    return ACCOUNT.lock_after_failure(recent_failures, now)


def is_address_locked(failures, locked_until, now):
    return ADDRESS.is_locked(failures, locked_until, now)


def lock_address_after_failure(recent_failures, now):
    return ADDRESS.lock_after_failure(recent_failures, now)
