from datetime import datetime, timedelta, timezone

from services.accounts import lockout

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
RULE = lockout.Rule(free=3, first=10, cap=60, window=timedelta(minutes=15))


def run(rule, times):
    """Attempts at ``times`` (seconds after NOW) -> what each got: 0 (allowed) or its Retry-After."""
    state, answers = None, []
    for second in times:
        retry_after, new_state = rule.decide(state, NOW + timedelta(seconds=second))
        answers.append(retry_after)
        state = new_state or state
    return answers


def test_free_attempts_pass_then_the_next_waits():
    assert run(RULE, [0, 1, 2, 3]) == [0, 0, 0, 9]


def test_delays_double_and_are_capped():
    assert [RULE.delay(n) for n in range(1, 8)] == [0, 0, 10, 20, 40, 60, 60]
    assert run(RULE, [0, 0, 0, 10, 10, 30, 30]) == [0, 0, 0, 0, 20, 0, 40]


def test_a_quiet_window_starts_counting_afresh():
    assert run(RULE, [0, 1, 2, 2 + 15 * 60, 2 + 15 * 60, 2 + 15 * 60]) == [0, 0, 0, 0, 0, 0]


def test_retry_after_is_at_least_one_second():
    state = {"count": 3, "last_at": NOW, "next_at": NOW + timedelta(milliseconds=100)}
    assert RULE.decide(state, NOW) == (1, None)


def test_naive_datetimes_are_utc():
    later = NOW + timedelta(seconds=10)
    state = {"count": 3, "last_at": NOW.replace(tzinfo=None), "next_at": later.replace(tzinfo=None)}
    assert RULE.decide(state, NOW) == (10, None)


def test_nothing_locks_for_long():
    for rule in (lockout.PAIR, lockout.ACCOUNT, lockout.ADDRESS):
        assert rule.delay(10_000) <= 300
    assert lockout.ACCOUNT.delay(10_000) <= 60 and lockout.ADDRESS.delay(10_000) <= 5


def test_a_caller_without_an_address_shares_one_key():
    assert lockout.address_of(None) == lockout.address_of("") == lockout.UNKNOWN_ADDRESS
    assert lockout.address_of("198.51.100.7") == "198.51.100.7"


def test_the_count_leaks_away_free_attempts_per_window():
    full = {"count": 3, "last_at": NOW, "next_at": None}
    assert RULE.decide(full, NOW + timedelta(minutes=5))[1]["next_at"] is not None
    assert RULE.decide(full, NOW + timedelta(minutes=10))[1]["next_at"] is None


def test_only_the_attempt_that_starts_the_delays_is_reported():
    assert [RULE.starts_delay(n - 0.001) for n in range(1, 6)] == [False, False, True, False, False]
