"""accounts' compare-and-swap writes (a refresh token spent once, a stale user or site version
losing) under parallel callers, and the expiry sweep that replaced the TTL indexes."""
import datetime

import pytest

from services.accounts import store
from services.common.clock import utcnow
from services.common.errors import Conflict
from tests.common.concurrency import race


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    return database


def refresh_token(token_id, expires_at, **fields):
    return dict({"_id": token_id, "family_id": "f-" + token_id, "user_id": "u1", "created_at": utcnow(),
                 "expires_at": expires_at, "used_at": None, "revoked": False}, **fields)


def test_a_refresh_token_spent_by_parallel_callers_is_spent_once(db):
    now = utcnow()
    store.insert_refresh_token(db, refresh_token("t1", now + datetime.timedelta(days=1)))
    spent = [record for record in race(8, lambda _: store.spend_refresh_token(db, "t1", utcnow())) if record]
    assert len(spent) == 1 and spent[0]["family_id"] == "f-t1" and spent[0]["used_at"] is not None
    assert store.spend_refresh_token(db, "t1", utcnow()) is None


def test_an_expired_revoked_or_unknown_refresh_token_is_not_spent_even_before_the_sweep(db):
    now = utcnow()
    store.insert_refresh_token(db, refresh_token("old", now - datetime.timedelta(seconds=1)))
    store.insert_refresh_token(db, refresh_token("revoked", now + datetime.timedelta(days=1), revoked=True))
    assert store.spend_refresh_token(db, "old", now) is None
    assert store.spend_refresh_token(db, "revoked", now) is None
    assert store.spend_refresh_token(db, "unknown", now) is None
    assert store.find_refresh_token(db, "old")["used_at"] is None


def test_of_parallel_updates_of_one_user_version_exactly_one_wins(db):
    db.users.insert_one({"_id": "u1", "username_key": "ann", "email_key": "ann@factory.test", "version": 3})
    saved = race(6, lambda number: store.update_user(db, "u1", 3, {"display_name": "Ann %d" % number}))
    won = [user for user in saved if user is not None]
    assert len(won) == 1 and won[0]["version"] == 4
    assert db.users.find_one({"_id": "u1"})["display_name"] == won[0]["display_name"]
    assert store.update_user(db, "u1", 3, {"display_name": "stale"}) is None


def test_a_user_update_taking_a_used_username_is_a_conflict(db):
    db.users.insert_many([{"_id": "u1", "username_key": "ann", "version": 1},
                          {"_id": "u2", "username_key": "bob", "version": 1}])
    with pytest.raises(Conflict):
        store.update_user(db, "u2", 1, {"username_key": "ann"})


def test_of_parallel_updates_of_one_site_version_exactly_one_wins(db):
    db.sites.insert_one({"_id": "s1", "code_key": "sh", "name": "Shanghai", "version": 1})
    saved = race(6, lambda number: store.update_site(db, "s1", 1, {"name": "Plant %d" % number}))
    won = [site for site in saved if site is not None]
    assert len(won) == 1 and won[0]["version"] == 2 and "_outbox" not in won[0]


def test_the_sweep_deletes_only_what_expired(db):
    now = utcnow()
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    store.insert_refresh_token(db, refresh_token("gone", now - hour))
    store.insert_refresh_token(db, refresh_token("live", now + hour))
    db.reset_tokens.insert_many([{"_id": "r-week", "user_id": "u1", "expires_at": now - 8 * day},
                                 {"_id": "r-recent", "user_id": "u1", "expires_at": now - day}])
    db.session_revocations.insert_many([{"_id": "sr-gone", "at": now - day, "expires_at": now - hour},
                                        {"_id": "sr-live", "at": now, "expires_at": now + hour}])
    db.throttle.insert_many([{"_id": "k-gone", "rev": 1, "expires_at": now - hour},
                             {"_id": "k-live", "rev": 1, "expires_at": now + hour}])
    assert store.sweep_expired(db, now) == {"refresh_tokens": 1, "reset_tokens": 1, "session_revocations": 1,
                                            "throttle": 1}
    assert [t["_id"] for t in db.refresh_tokens.find()] == ["live"]
    assert [t["_id"] for t in db.reset_tokens.find()] == ["r-recent"]
    assert [t["_id"] for t in db.session_revocations.find()] == ["sr-live"]
    assert [t["_id"] for t in db.throttle.find()] == ["k-live"]


def test_ensure_indexes_replaces_the_ttl_indexes_of_an_earlier_release(db_factory):
    database = db_factory("accounts")
    database.refresh_tokens.create_index("expires_at", expireAfterSeconds=0)
    database.reset_tokens.create_index("expires_at", expireAfterSeconds=7 * 24 * 3600)
    database.session_revocations.create_index("expires_at", expireAfterSeconds=0)
    database.throttle.create_index("expires_at", expireAfterSeconds=0)
    store.ensure_indexes(database)
    for name in database.list_collection_names():
        indexes = database[name].index_information().values()
        assert not any("expireAfterSeconds" in index for index in indexes), name
    for name in store.EXPIRING:
        assert [("expires_at", 1)] in [index["key"] for index in database[name].index_information().values()]
