"""Attacks on sign-in through the gateway (issue 14, item 6; F19, F16 part).

Each test speaks from its own loopback address (127.0.0.x, bound as the client's source address)
so that the gateway, which sees the real peer address, counts it apart from the rest of the run.
"""
import datetime
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests.adapters import HTTPAdapter

from services.accounts import lockout
from tests.support.api import Api, eventually
from tests.support.customers import PASSWORD, create_site, create_user

WRONG = "Wrong-password-000"


class SourceAddress(HTTPAdapter):
    """Connect from a given local address (any 127.0.0.0/8 address reaches the gateway)."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(stack, address):
    api = Api(stack.url)
    api.http.mount("http://", SourceAddress(address))
    return api


def login(api, identifier, password=WRONG):
    return api.post("/auth/login", {"identifier": identifier, "password": password})


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "T")


def ghost():
    return "ghost-%s" % uuid.uuid4().hex[:8]


def test_guesses_from_one_address_are_slowed_and_unknown_accounts_answer_alike(stack, admin_api, site):
    victim = create_user(admin_api, [site["id"]], ["viewer"])
    attacker = client(stack, "127.0.0.21")
    known = [login(attacker, victim["username"]) for _ in range(lockout.PAIR.free)]
    known.append(login(attacker, victim["username"], PASSWORD))
    unknown_name = ghost()
    unknown = [login(attacker, unknown_name) for _ in range(lockout.PAIR.free)]
    unknown.append(login(attacker, unknown_name, PASSWORD))

    expected = [401] * lockout.PAIR.free + [429]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == expected
    assert [r.json() for r in known[:-1]] == [r.json() for r in unknown[:-1]]
    assert known[-1].json()["error"]["code"] == unknown[-1].json()["error"]["code"] == "too_many_attempts"
    assert known[-1].json()["error"]["message"] == unknown[-1].json()["error"]["message"]
    for throttled in (known[-1], unknown[-1]):
        assert 1 <= int(throttled.headers["Retry-After"]) <= lockout.PAIR.first

    trail = eventually(
        lambda: admin_api.get("/audit", params={"entity_id": victim["id"], "action": "login_failed"}).json()["items"],
        lambda items: len(items) == lockout.PAIR.free, timeout=20)
    assert {entry["actor"] for entry in trail} == {"anonymous"}
    assert {entry["changes"]["client_addr"]["after"] for entry in trail} == {"127.0.0.21"}
    # The admins see the delay, and lift it.
    delayed = admin_api.get("/users/%s" % victim["id"]).json()
    assert delayed["locked_until"] and datetime.datetime.fromisoformat(
        delayed["locked_until"].replace("Z", "+00:00")) > datetime.datetime.now(datetime.timezone.utc)
    assert admin_api.post("/users/%s/unlock" % victim["id"]).json()["locked_until"] is None
    assert login(attacker, victim["username"], PASSWORD).status_code == 200


def test_an_attack_from_other_addresses_does_not_keep_the_user_out(stack, admin_api, site):
    victim = create_user(admin_api, [site["id"]], ["viewer"])
    own_desk = client(stack, "127.0.0.30")
    assert login(own_desk, victim["username"], PASSWORD).status_code == 200

    account_wide = []
    for number in range(31, 51):
        attacker = client(stack, "127.0.0.%d" % number)
        answer = login(attacker, victim["username"])
        if answer.status_code == 429:
            account_wide.append(int(answer.headers["Retry-After"]))
            break
        assert answer.status_code == 401
    assert account_wide and account_wide[0] <= lockout.ACCOUNT.cap, "the account-wide delay never started"

    assert login(own_desk, victim["username"], PASSWORD).status_code == 200
    assert admin_api.post("/users/%s/unlock" % victim["id"]).status_code == 200
    assert login(client(stack, "127.0.0.51"), victim["email"], PASSWORD).status_code == 200


@pytest.mark.parametrize("known", [True, False])
def test_parallel_guesses_cannot_exceed_the_limit(stack, admin_api, site, accounts_db, known):
    """Ten guesses at once: exactly five reach the password check (the login history says which:
    a request the gateway gave up on, 503, still ends in the history), the others are throttled."""
    identifier = create_user(admin_api, [site["id"]], ["viewer"])["username"] if known else ghost()
    attacker = client(stack, "127.0.0.%d" % (60 if known else 61))
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: login(attacker, identifier).status_code, range(10)))
    assert set(statuses) <= {401, 429, 503} and statuses.count(401) <= lockout.PAIR.free
    history = eventually(lambda: list(accounts_db.logins.find({"identifier": identifier}, {"reason": 1})),
                         lambda found: len(found) == 10, timeout=30)
    reasons = sorted(entry["reason"] for entry in history)
    assert reasons == ["invalid_credentials"] * lockout.PAIR.free + ["throttled"] * (10 - lockout.PAIR.free)
    assert login(attacker, identifier).status_code == 429


def test_one_script_behind_a_shared_address_slows_but_does_not_block_everyone(stack, admin_api, site):
    shared = "127.0.0.70"
    regular = create_user(admin_api, [site["id"]], ["viewer"])
    assert login(client(stack, shared), regular["username"], PASSWORD).status_code == 200
    newcomer = create_user(admin_api, [site["id"]], ["viewer"])

    script = client(stack, shared)
    slowed = None
    for _ in range(lockout.ADDRESS.free * 3):
        answer = login(script, ghost())
        if answer.status_code == 429:
            slowed = int(answer.headers["Retry-After"])
            break
        assert answer.status_code == 401
    assert slowed is not None and slowed <= lockout.ADDRESS.cap, "the address ceiling never slowed the script"

    assert login(client(stack, shared), regular["username"], PASSWORD).status_code == 200
    waits = []

    def newcomer_login():
        answer = login(client(stack, shared), newcomer["username"], PASSWORD)
        if answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
        return answer.status_code

    assert eventually(newcomer_login, lambda status: status == 200, timeout=30, interval=1) == 200
    assert all(wait <= lockout.ADDRESS.cap for wait in waits)
