"""Attempt counters in the database, the first admin's password and the refresh session's lifetime."""
import logging
from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from services.accounts import lockout, management, store, throttling
from services.accounts.sessions import REFRESH_TTL, refresh_token_record
from services.common.errors import TooManyAttempts


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    return database


def test_parallel_attempts_cannot_exceed_the_limit(db):
    throttle = throttling.Throttle(db, store)
    passed, refused = [], []

    def attempt(_):
        try:
            throttle.attempt("login:pair:x:1.2.3.4", lockout.PAIR)
            passed.append(1)
        except TooManyAttempts as exc:
            refused.append(exc.extra["retry_after"])

    list(eventlet.GreenPool(20).imap(attempt, range(20)))
    assert len(passed) == lockout.PAIR.free and len(refused) == 20 - lockout.PAIR.free
    assert all(0 < wait <= lockout.PAIR.first for wait in refused)


def test_a_success_is_refunded_and_a_cleared_pair_is_known(db):
    throttle = throttling.Throttle(db, store)
    for _ in range(lockout.ADDRESS.free - 1):
        throttle.attempt("login:address:a", lockout.ADDRESS)
        throttle.refund("login:address:a")
    assert store.find_throttle(db, "login:address:a")["count"] == 0
    previous, _ = throttle.attempt("login:pair:u:a", lockout.PAIR, account="u")
    assert previous is None
    throttle.clear("login:pair:u:a", known=True)
    previous, state = throttle.attempt("login:pair:u:a", lockout.PAIR, account="u")
    assert previous["known"] is True and state["count"] == 1


def test_unlock_clears_every_delay_of_the_account(db):
    throttle = throttling.Throttle(db, store)
    for _ in range(lockout.PAIR.free):
        throttle.attempt("login:pair:u:a", lockout.PAIR, account="u")
    with pytest.raises(TooManyAttempts):
        throttle.attempt("login:pair:u:a", lockout.PAIR, account="u")
    throttle.clear_account("u")
    throttle.attempt("login:pair:u:a", lockout.PAIR, account="u")


def test_a_generated_first_admin_password_is_printed_once_never_logged(db, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert management.ensure_first_admin(db, "first@factory.test", None) is True
    printed = capsys.readouterr()
    line = [text for text in printed.err.splitlines() if "first@factory.test" in text]
    assert len(line) == 1
    password = line[0].split("password ")[1].split(" ")[0]
    assert len(password) >= 20 and password not in caplog.text and password not in printed.out
    assert management.ensure_first_admin(db, "first@factory.test", None) is False
    assert password not in capsys.readouterr().err


def test_a_refresh_session_ends_30_days_after_its_login_however_often_rotated():
    login = datetime(2026, 1, 1, tzinfo=timezone.utc)
    _, first = refresh_token_record("u", now=login)
    _, rotated = refresh_token_record("u", first["family_id"], now=login + timedelta(days=29),
                                      family_started_at=first["family_started_at"])
    assert first["expires_at"] == rotated["expires_at"] == login + REFRESH_TTL
    assert rotated["family_started_at"] == login
