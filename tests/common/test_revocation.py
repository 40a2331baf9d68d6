"""Revoked access tokens in memory (services/common/revocation.py) and in the token check."""
import datetime
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.accounts.tokens import TokenIssuer
from services.common import revocation, signing
from services.common.auth import TokenVerifier
from services.common.clock import isoformat
from services.common.envelope import make_event
from services.common.errors import Unauthorized, Unavailable
from tests.common.test_auth import public_pem


class Clock:
    def __init__(self, now=1_800_000_000.5):
        self.now = now

    def __call__(self):
        return self.now


def at(epoch):
    return isoformat(datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc))


def loaded(clock, *entries):
    state = revocation.Revocations(clock)
    state.learn_all(entries)
    return state


def assert_revoked(state, *args):
    with pytest.raises(Unauthorized) as caught:
        state.check(*args)
    assert caught.value.code == "token_revoked"


def test_a_session_entry_refuses_only_that_session():
    clock = Clock()
    state = loaded(clock, {"user_id": "u1", "session_id": "s1", "min_version": None, "expires_at": at(clock.now + 60)})
    assert_revoked(state, "u1", "s1", 7, clock.now - 10)
    state.check("u1", "s2", 7, clock.now - 10)
    state.check("u2", None, 1, clock.now - 10)


def test_a_user_entry_refuses_tokens_below_its_version():
    clock = Clock()
    state = loaded(clock, {"user_id": "u1", "session_id": None, "min_version": 5, "expires_at": at(clock.now + 60)})
    assert_revoked(state, "u1", "s1", 4, clock.now - 10)
    assert_revoked(state, "u1", None, None, clock.now - 10)  # a token without ``ver`` counts as version 0
    state.check("u1", "s1", 5, clock.now)
    state.check("u2", "s1", 1, clock.now)


def test_entries_only_ever_tighten_and_expire():
    clock = Clock()
    state = loaded(clock, {"user_id": "u1", "session_id": None, "min_version": 9, "expires_at": at(clock.now + 60)})
    state.learn({"user_id": "u1", "session_id": None, "min_version": 3, "expires_at": at(clock.now + 30)})
    assert_revoked(state, "u1", None, 8, clock.now)
    clock.now += 61
    state.check("u1", None, 8, clock.now)
    state.learn({"user_id": "u3", "session_id": "s3", "min_version": None, "expires_at": at(clock.now + 1)})
    assert len(state) == 1, "expired entries are dropped"


@pytest.mark.parametrize("entry", [
    {"session_id": "s1", "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "", "session_id": "s1", "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "u1", "session_id": None, "min_version": None, "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "u1", "min_version": True, "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "u1", "min_version": "7", "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "u1", "session_id": 5, "expires_at": "2030-01-01T00:00:00Z"},
    {"user_id": "u1", "session_id": "s1", "expires_at": "soon"},
    "not an entry",
])
def test_a_malformed_entry_is_left_out(entry):
    state = revocation.Revocations(Clock())
    assert state.learn(entry) is False
    assert len(state) == 0


def test_older_tokens_wait_for_the_first_answer_newer_ones_do_not(monkeypatch):
    monkeypatch.setattr(revocation, "LOAD_WAIT_SECONDS", 0.05)
    clock = Clock()
    state = revocation.Revocations(clock)
    state.check("u1", "s1", 1, int(clock.now))  # signed after the process started: its revocation comes by event
    with pytest.raises(Unavailable):
        state.check("u1", "s1", 1, int(clock.now) - 1)
    state.learn_all([])
    assert state.loaded
    state.check("u1", "s1", 1, int(clock.now) - 1)


def test_the_poller_asks_from_its_last_answer_less_a_margin_and_survives_failures():
    clock = Clock()
    state = revocation.Revocations(clock)
    asked = []
    answers = [RuntimeError("accounts is down"), {"items": [
        {"user_id": "u1", "session_id": "s1", "min_version": None, "expires_at": at(clock.now + 60)}],
        "as_of": "2027-01-15T08:00:30Z"}]

    def fetch(since):
        asked.append(since)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    poller = revocation.Poller(state, fetch)
    assert poller.poll() is False and not state.loaded
    assert poller.poll() is True and state.loaded
    assert asked == [None, None]
    assert poller.since == "2027-01-15T08:00:00Z"
    assert_revoked(state, "u1", "s1", 1, clock.now)


def revoked_event(data, signed=True):
    event = make_event(revocation.EVENT, data, actor="u1")
    return signing.sign(event) if signed else event


def test_only_a_signed_revocation_event_is_taken():
    data = {"user_id": "u1", "session_id": "s1", "min_version": None, "reason": "logout",
            "expires_at": "2030-01-01T00:00:00Z"}
    assert revocation.accepted_event(revoked_event(data)) == data
    assert revocation.accepted_event(revoked_event(data, signed=False)) is None
    forged = dict(revoked_event(data), data=dict(data, user_id="u2"))
    assert revocation.accepted_event(forged) is None
    assert revocation.accepted_event(signing.sign(make_event("accounts.user_deleted", {"user_id": "u1"}))) is None


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def issued(key, version=3, session_id="fam1", **extra):
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return TokenIssuer(pem).issue("u1", ["s1"], ["customers:read"], session_id=session_id, version=version, **extra)[0]


def test_the_verifier_refuses_a_revoked_token_even_when_it_remembers_it(key):
    state = loaded(time.time)
    verifier = TokenVerifier(public_pem(key), revocations=state)
    token = issued(key)
    assert verifier.verify(token).user_id == "u1"
    state.learn({"user_id": "u1", "session_id": "fam1", "min_version": None, "expires_at": at(time.time() + 60)})
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.code == "token_revoked"
    assert verifier.verify(issued(key, session_id="fam2")).user_id == "u1"


def test_the_verifier_keeps_the_password_change_claim(key):
    verifier = TokenVerifier(public_pem(key), revocations=loaded(time.time))
    assert verifier.verify(issued(key, must_change_password=True)).must_change_password is True


def test_a_user_revocation_spares_tokens_signed_after_it(key):
    state = loaded(time.time, {"user_id": "u1", "session_id": None, "min_version": 4,
                               "expires_at": at(time.time() + 60)})
    verifier = TokenVerifier(public_pem(key), revocations=state)
    with pytest.raises(Unauthorized, match="revoked"):
        verifier.verify(issued(key, version=3))
    assert verifier.verify(issued(key, version=4)).user_id == "u1"


@pytest.mark.parametrize("claims", [{"sid": 5}, {"sid": ""}, {"ver": "3"}, {"ver": True}, {"iat": "1800000000"}])
def test_revocation_claims_of_another_shape_are_refused(key, claims):
    now = int(time.time())
    body = {"sub": "u1", "sites": [], "perms": [], "iat": now, "exp": now + 900, "jti": "j", "typ": "access",
            **claims}
    with pytest.raises(Unauthorized, match="not valid"):
        TokenVerifier(public_pem(key)).verify(jwt.encode(body, key, algorithm="EdDSA"))
