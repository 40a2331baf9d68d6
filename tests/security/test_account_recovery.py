"""Account takeover paths through the gateway (issue 14, items 5, 7 and 17 part; F7, F13, F14,
F16 part, F20, F23): e-mail change, reset links, throttled password checks, forced password
change and the refresh session's lifetime."""
import datetime
import hashlib
import re

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.accounts import lockout
from services.common import config
from services.common.errors import Forbidden
from tests.security.test_login_throttling import client
from tests.support.api import Api, eventually
from tests.support.customers import PASSWORD, create_site, create_user, signed_in

NEW_PASSWORD = "Tundra-cobalt-whistle-58"
LINK = re.compile(r"http://crm\.test/reset-password\?token=(\S+)")


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "R")


def reset_links(smtp_server, email, count):
    mails = eventually(lambda: [m for m in smtp_server.to(email) if LINK.search(m.get_content())],
                       lambda found: len(found) >= count, timeout=30)
    return [LINK.search(m.get_content()).group(1) for m in mails]


def test_changing_ones_email_needs_the_current_password_and_tells_the_old_address(
        stack, admin_api, site, smtp_server):
    user = create_user(admin_api, [site["id"]], ["sales"])
    api = signed_in(stack, user)
    new_email = "moved.%s" % user["email"]
    missing = api.patch("/users/%s" % user["id"], {"email": new_email, "version": user["version"]})
    assert missing.status_code == 422 and "current_password" in missing.json()["error"]["fields"]
    wrong = api.patch("/users/%s" % user["id"], {"email": new_email, "current_password": "Not-my-password-1",
                                                 "version": user["version"]})
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    assert api.get("/me").json()["email"] == user["email"]

    changed = api.patch("/users/%s" % user["id"], {"email": new_email, "current_password": PASSWORD,
                                                   "version": user["version"]})
    assert changed.status_code == 200 and changed.json()["email"] == new_email
    [notice] = eventually(lambda: [m for m in smtp_server.to(user["email"]) if new_email in m.get_content()],
                          bool, timeout=30)
    assert user["email"] in str(notice["To"]).lower() and new_email not in str(notice["To"]).lower()


def test_a_newer_reset_request_and_a_password_change_void_earlier_links(stack, admin_api, site, smtp_server):
    user = create_user(admin_api, [site["id"]], ["viewer"])
    anyone = client(stack, "127.0.0.80")
    for _ in range(2):
        assert anyone.post("/auth/password-reset", {"email": user["email"]}).status_code == 202
    first, second = reset_links(smtp_server, user["email"], 2)[:2]
    replaced = anyone.post("/auth/password-reset/confirm", {"token": first, "new_password": NEW_PASSWORD})
    assert replaced.status_code == 400 and replaced.json()["error"]["code"] == "reset_token_invalid"

    assert anyone.post("/auth/password-reset", {"email": user["email"]}).status_code == 202
    third = reset_links(smtp_server, user["email"], 3)[2]
    own = signed_in(stack, user)
    assert own.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 204
    for link in (second, third):
        stale = anyone.post("/auth/password-reset/confirm", {"token": link, "new_password": "Other-long-phrase-77"})
        assert stale.status_code == 400 and stale.json()["error"]["code"] == "reset_token_invalid"
    assert Api(stack.url).login(user["username"], NEW_PASSWORD)


def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(stack, admin_api, site, smtp_server):
    user = create_user(admin_api, [site["id"]], ["viewer"])
    anyone = client(stack, "127.0.0.81")
    answers = {}
    for email in (user["email"], "nobody.%s" % user["email"]):
        answers[email] = [anyone.post("/auth/password-reset", {"email": email})
                          for _ in range(lockout.RESET_EMAIL.free + 1)]
    known, unknown = answers.values()
    expected = [202] * lockout.RESET_EMAIL.free + [429]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == expected
    assert known[-1].json()["error"]["code"] == unknown[-1].json()["error"]["code"] == "too_many_attempts"
    assert known[-1].json()["error"]["message"] == unknown[-1].json()["error"]["message"]
    assert 1 <= int(known[-1].headers["Retry-After"]) <= lockout.RESET_EMAIL.first
    assert len(reset_links(smtp_server, user["email"], lockout.RESET_EMAIL.free)) == lockout.RESET_EMAIL.free


def test_the_current_password_check_is_throttled(stack, admin_api, site):
    user = create_user(admin_api, [site["id"]], ["viewer"])
    api = signed_in(stack, user)
    for _ in range(lockout.CURRENT_PASSWORD.free):
        wrong = api.post("/me/password", {"current_password": "Guess-guess-guess-1", "new_password": NEW_PASSWORD})
        assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    throttled = api.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= lockout.CURRENT_PASSWORD.first
    email = api.patch("/users/%s" % user["id"], {"email": "x.%s" % user["email"], "current_password": PASSWORD,
                                                 "version": user["version"]})
    assert email.status_code == 429
    assert admin_api.post("/users/%s/unlock" % user["id"]).status_code == 200
    assert api.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 204


def test_must_change_password_is_enforced_by_the_services(stack, admin_api, site, test_env):
    user = create_user(admin_api, [site["id"]], ["sales"])
    forced = admin_api.patch("/users/%s" % user["id"], {"must_change_password": True, "version": user["version"]})
    assert forced.status_code == 200 and forced.json()["must_change_password"] is True
    api = signed_in(stack, user)
    assert api.session["user"]["must_change_password"] is True
    refused = api.get("/customers")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    assert api.get("/users/%s" % user["id"]).status_code == 403
    with ClusterRpcProxy(config.nameko_config(), context_data={"authorization": api.token}, timeout=10) as cluster:
        for call in (lambda: cluster.customers.list_customers(), lambda: cluster.accounts.list_sites()):
            with pytest.raises(Forbidden) as direct:
                call()
            assert direct.value.code == "password_change_required"
    assert api.get("/me").status_code == 200
    assert api.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 204
    fresh = Api(stack.url).login(user["username"], NEW_PASSWORD)
    assert fresh.session["user"]["must_change_password"] is False
    assert fresh.get("/customers").status_code == 200


def test_a_reused_refresh_token_is_audited_as_a_security_event(stack, admin_api, site):
    user = create_user(admin_api, [site["id"]], ["viewer"])
    api = signed_in(stack, user)
    spent = api.session["refresh_token"]
    api.refresh()
    reused = Api(stack.url).post("/auth/refresh", {"refresh_token": spent})
    assert reused.status_code == 401
    assert Api(stack.url).post("/auth/refresh", {"refresh_token": api.session["refresh_token"]}).status_code == 401
    [entry] = eventually(
        lambda: admin_api.get("/audit", params={"entity_id": user["id"],
                                                "action": "refresh_token_reused"}).json()["items"], bool, timeout=20)
    assert entry["actor"] == "anonymous"
    eventually(lambda: stack.log_tail("accounts", 200_000), lambda log: "reuse of a spent refresh token of user %s"
               % user["id"] in log)


def test_a_session_ends_30_days_after_its_login_however_often_refreshed(stack, admin_api, site, accounts_db):
    user = create_user(admin_api, [site["id"]], ["viewer"])
    api = signed_in(stack, user)

    def record(token):
        return accounts_db.refresh_tokens.find_one({"_id": hashlib.sha256(token.encode()).hexdigest()})

    first = record(api.session["refresh_token"])
    api.refresh()
    rotated = record(api.session["refresh_token"])
    assert rotated["expires_at"] == first["expires_at"]
    assert rotated["family_started_at"] == first["family_started_at"]

    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30, minutes=1)
    accounts_db.refresh_tokens.update_one({"_id": rotated["_id"]}, {"$set": {"family_started_at": long_ago}})
    expired = Api(stack.url).post("/auth/refresh", {"refresh_token": api.session["refresh_token"]})
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "invalid_refresh_token"
