"""A password change ends older sessions and reset links by the user's own write: a crash before
the tidy-up writes that follow it (revoking the refresh tokens, voiding the links) loses nothing."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.accounts import events, sessions, store, users
from services.accounts.tokens import TokenIssuer
from services.common.errors import BadRequest, Unauthorized

PASSWORD = "Granite-harbour-violet-73"
NEW_PASSWORD = "Saffron-ledger-kestrel-19"


@pytest.fixture
def flows(db_factory):
    db = db_factory("accounts")
    store.ensure_indexes(db)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return sessions.Sessions(db, TokenIssuer(pem), store, events)


@pytest.fixture
def user(flows):
    account = users.new_user({"username": "wang.fang", "email": "wang.fang@factory.test", "password": PASSWORD,
                              "display_name": "Wang Fang", "sites": ["s1"], "roles": ["sales"]}, ["s1"])
    store.insert_user(flows.db, account)
    return account


def test_a_crash_after_the_password_write_leaves_no_old_session_or_reset_link_usable(flows, user, monkeypatch):
    stolen = flows.login("wang.fang", PASSWORD, "10.0.0.9", "thief")["refresh_token"]
    token, record = sessions.reset_token_record(user["_id"])
    store.insert_reset_token(flows.db, record)

    def crash(*args):
        raise OSError("the process died here")

    monkeypatch.setattr(flows.store, "revoke_user_sessions", crash)
    with pytest.raises(OSError):
        flows.set_password(store.find_user(flows.db, user["_id"]), NEW_PASSWORD, actor=user["_id"])
    monkeypatch.undo()

    with pytest.raises(Unauthorized):
        flows.refresh(stolen)
    with pytest.raises(BadRequest) as refused:
        flows.confirm_reset(token, "Another-strong-pass-phrase-88")
    assert refused.value.code == "reset_token_invalid"
    assert flows.refresh(flows.login("wang.fang", NEW_PASSWORD, "10.0.0.1", "owner")["refresh_token"])


def test_a_reset_link_made_in_the_millisecond_of_a_password_change_is_void_too(flows, user):
    """Times are kept to the millisecond: a link made then cannot be told from one made before."""
    token, record = sessions.reset_token_record(user["_id"])
    store.insert_reset_token(flows.db, record)
    stored = flows.db.reset_tokens.find_one({"_id": record["_id"]})["created_at"]
    flows.db.users.update_one({"_id": user["_id"]}, {"$set": {"resets_valid_from": stored}})
    with pytest.raises(BadRequest) as refused:
        flows.confirm_reset(token, "Another-strong-pass-phrase-88")
    assert refused.value.code == "reset_token_invalid"
