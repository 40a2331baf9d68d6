from datetime import datetime, timedelta, timezone

from services.accounts import lockout

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def minutes_ago(*minutes):
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_five_failures_within_window_lock():
    failures = minutes_ago(10, 8, 5, 2, 0)
    assert lockout.lock_after_failure(failures, NOW) == NOW + timedelta(minutes=15)
    assert lockout.is_locked(failures, None, NOW) == (True, 900)


def test_four_failures_do_not_lock():
    failures = minutes_ago(3, 2, 1, 0)
    assert lockout.lock_after_failure(failures, NOW) is None
    assert lockout.is_locked(failures, None, NOW) == (False, 0)


def test_five_failures_spread_over_twenty_minutes_do_not_lock():
    failures = minutes_ago(20, 15, 10, 5, 0)
    assert lockout.lock_after_failure(failures, NOW) is None
    assert lockout.is_locked(failures, None, NOW) == (False, 0)


def test_retry_after_counts_down_and_ends():
    locked_until = lockout.lock_after_failure(minutes_ago(4, 3, 2, 1, 0), NOW)
    later = NOW + timedelta(minutes=10, seconds=30)
    assert lockout.is_locked([], locked_until, later) == (True, 270)
    assert lockout.is_locked([], locked_until, NOW + timedelta(seconds=0.5)) == (True, 900)
    assert lockout.is_locked([], locked_until, NOW + timedelta(minutes=15)) == (False, 0)


def test_lock_derived_from_failures_without_stored_lock():
    failures = minutes_ago(14, 13, 12, 11, 10)
    assert lockout.is_locked(failures, None, NOW) == (True, 300)


def test_failures_outside_the_window_are_ignored():
    failures = minutes_ago(30, 14, 13, 12, 11, 10)
    assert lockout.is_locked(failures, None, NOW) == (True, 300)


def test_naive_datetimes_are_utc():
    naive = [f.replace(tzinfo=None) for f in minutes_ago(4, 3, 2, 1, 0)]
    assert lockout.lock_after_failure(naive, NOW) == NOW + lockout.LOCK
    assert lockout.is_locked([], (NOW + timedelta(minutes=1)).replace(tzinfo=None), NOW) == (True, 60)


def test_recent_prunes_old_failures():
    assert lockout.ACCOUNT.recent(minutes_ago(0, 20, 5, 15), NOW) == minutes_ago(5, 0)


def test_address_limit():
    nineteen = [NOW - timedelta(seconds=30 * i) for i in range(19)]
    assert lockout.lock_address_after_failure(nineteen, NOW) is None
    assert lockout.is_address_locked(nineteen, None, NOW) == (False, 0)
    twenty = nineteen + [NOW - timedelta(minutes=14)]
    assert lockout.lock_address_after_failure(twenty, NOW) == NOW + lockout.ADDRESS_LOCK
    assert lockout.is_address_locked(twenty, None, NOW) == (True, 900)
