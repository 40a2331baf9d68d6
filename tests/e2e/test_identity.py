"""Identity and access through the gateway, on the real broker and DB (issue: identity)."""
import datetime
import os
import uuid

import jwt
import pytest

from services.common.signing import secret_of
from tests.conftest import ADMIN_EMAIL
from tests.support import events
from tests.support.api import Api, eventually

PASSWORD = "Granite-orchard-velvet-73"


def unique(prefix):
    return "%s%s" % (prefix, uuid.uuid4().hex[:6])


@pytest.fixture(scope="module")
def sites(admin_api):
    made = {}
    for label in ("A", "B"):
        response = admin_api.post("/sites", {"code": unique("P%s" % label), "name": "Plant %s" % label,
                                             "address": "1 Factory Road", "timezone": "Asia/Shanghai"})
        assert response.status_code == 201, response.text
        made[label] = response.json()
    return made


def create_user(admin_api, site_ids, roles, password=PASSWORD, **extra):
    username = extra.pop("username", unique("user."))
    body = {"username": username, "email": "%s@factory.test" % username, "password": password,
            "display_name": username.title(), "phone": "+86 21 5555 0101", "position": "Engineer",
            "sites": site_ids, "roles": roles, **extra}
    response = admin_api.post("/users", body)
    assert response.status_code == 201, response.text
    return response.json()


def signed_in(stack, user, password=PASSWORD, agent="crm-e2e-tests/1.0"):
    return Api(stack.url, user_agent=agent).login(user["username"], password)


@pytest.fixture
def account_events(test_env):
    """``events(type)``: events published on accounts.events while the test runs."""
    with events.tap(test_env["AMQP_URI"], "accounts") as tap:
        yield tap.events


def test_the_first_admin_was_bootstrapped(admin_api):
    me = admin_api.get("/me").json()
    assert me["username"] == "admin" and me["email"] == ADMIN_EMAIL
    assert {"users:admin", "sites:all", "audit:read"} <= set(me["permissions"])
    session = admin_api.session
    assert session["token_type"] == "Bearer" and session["expires_in"] == 900 and session["refresh_token"]
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    assert {"sub", "sites", "perms", "exp", "iat", "jti"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 900


def test_roles_by_job_sales_and_finance(admin_api, sites, stack):
    roles = {role["name"]: set(role["permissions"]) for role in admin_api.get("/roles").json()["roles"]}
    assert {"admin", "manager", "sales", "finance", "service", "viewer"} <= set(roles)
    assert {"customers:read", "customers:write"} <= roles["sales"]
    assert {"orders:read", "customers:read"} <= roles["finance"]
    assert not {"contacts:read", "interactions:read", "customers:write"} & roles["finance"]

    sales = create_user(admin_api, [sites["A"]["id"]], ["sales"])
    finance = create_user(admin_api, [sites["A"]["id"]], ["finance"])
    sales_token = jwt.decode(signed_in(stack, sales).token, options={"verify_signature": False})
    assert sales_token["sites"] == [sites["A"]["id"]]
    assert "customers:write" in sales_token["perms"]
    finance_me = signed_in(stack, finance).get("/me").json()
    assert "contacts:read" not in finance_me["permissions"]


def test_usernames_and_emails_are_unique_case_insensitively(admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    again = admin_api.post("/users", {"username": user["username"].upper(), "email": "other@factory.test",
                                      "password": PASSWORD, "display_name": "X", "sites": [sites["A"]["id"]],
                                      "roles": ["viewer"]})
    assert again.status_code == 409 and "username" in again.json()["error"]["fields"]
    same_mail = admin_api.post("/users", {"username": unique("u"), "email": user["email"].upper(),
                                          "password": PASSWORD, "display_name": "X", "sites": [sites["A"]["id"]],
                                          "roles": ["viewer"]})
    assert same_mail.status_code == 409 and "email" in same_mail.json()["error"]["fields"]


def test_bad_user_input_is_422_naming_the_field(admin_api, sites):
    weak = admin_api.post("/users", {"username": unique("weak"), "email": "weak@factory.test",
                                     "password": "password1234", "display_name": "W",
                                     "sites": [sites["A"]["id"]], "roles": ["viewer"]})
    assert weak.status_code == 422 and "password" in weak.json()["error"]["fields"]
    short = admin_api.post("/users", {"username": unique("s"), "email": "s@factory.test", "password": "Sh0rt!",
                                      "display_name": "S", "sites": [sites["A"]["id"]], "roles": ["viewer"]})
    assert short.status_code == 422 and list(short.json()["error"]["fields"]) == ["password"]
    bad = admin_api.post("/users", {"username": "x", "email": "not-mail", "password": PASSWORD,
                                    "display_name": "S", "sites": [sites["A"]["id"]], "roles": ["viewer"]})
    assert bad.status_code == 422 and {"username", "email"} <= set(bad.json()["error"]["fields"])
    role = admin_api.post("/users", {"username": unique("r"), "email": "r@factory.test", "password": PASSWORD,
                                     "display_name": "S", "sites": [sites["A"]["id"]], "roles": ["nobody"]})
    assert role.status_code == 422 and list(role.json()["error"]["fields"]) == ["roles"]
    no_site = admin_api.post("/users", {"username": unique("n"), "email": "n@factory.test", "password": PASSWORD,
                                        "display_name": "S", "sites": ["no-such-site"], "roles": ["viewer"]})
    assert no_site.status_code == 422 and "sites" in no_site.json()["error"]["fields"]


def test_a_user_without_users_admin_gets_403_on_post_users(stack, admin_api, sites):
    sales = signed_in(stack, create_user(admin_api, [sites["A"]["id"]], ["sales"]))
    response = sales.post("/users", {"username": unique("x"), "email": "x@factory.test", "password": PASSWORD,
                                     "display_name": "X", "sites": [sites["A"]["id"]], "roles": ["admin"]})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_users_edit_their_own_contact_details_but_nothing_else(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["sales"])
    api = signed_in(stack, user)
    changed = api.patch("/users/%s" % user["id"], {"phone": "+86 139 0000 0000", "position": "Key account manager",
                                                   "version": user["version"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+86 139 0000 0000" and changed.json()["version"] == user["version"] + 1
    escalate = api.patch("/users/%s" % user["id"], {"roles": ["admin"], "version": changed.json()["version"]})
    assert escalate.status_code == 403
    stale = api.patch("/users/%s" % user["id"], {"phone": "1", "version": user["version"]})
    assert stale.status_code == 409


def test_five_wrong_passwords_slow_the_account_from_that_address_even_for_the_right_one(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    api = Api(stack.url)
    for _ in range(5):
        wrong = api.post("/auth/login", {"identifier": user["username"], "password": "Wrong-password-000"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    locked = api.post("/auth/login", {"identifier": user["username"], "password": PASSWORD})
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    unknown = api.post("/auth/login", {"identifier": "nobody-here", "password": "Wrong-password-000"})
    assert unknown.status_code == 401 and unknown.json() == {"error": {
        "code": "invalid_credentials", "message": "Invalid credentials.", "message_code": "auth.invalid_credentials",
        "params": {}}}

    assert admin_api.post("/users/%s/unlock" % user["id"]).status_code == 200
    assert api.post("/auth/login", {"identifier": user["email"], "password": PASSWORD}).status_code == 200

    # The trail is written from events: each entry is waited for, not only the last one made.
    trail = eventually(lambda: admin_api.get("/audit", params={"entity_id": user["id"]}).json()["items"],
                       lambda items: {"locked", "unlocked"} <= {entry["action"] for entry in items}
                       and [entry["action"] for entry in items].count("login_failed") >= 5)
    actions = [entry["action"] for entry in trail]
    assert actions.count("login_failed") == 5 and "locked" in actions


def test_login_history_records_every_attempt_with_the_device(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    chrome = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
    Api(stack.url, user_agent=chrome).post("/auth/login", {"identifier": user["username"], "password": "Nope-nope-nope-1"})
    own = signed_in(stack, user, agent=chrome)
    history = own.get("/users/%s/logins" % user["id"]).json()
    assert history["total"] == 2
    newest, oldest = history["items"]
    assert newest["success"] is True and oldest["success"] is False and newest["at"] > oldest["at"]
    assert newest["device"]["summary"].startswith("Chrome 120") and "Windows" in newest["device"]["summary"]
    assert newest["client_addr"] == "127.0.0.1"
    assert admin_api.get("/users/%s/logins" % user["id"]).status_code == 200
    other = signed_in(stack, create_user(admin_api, [sites["A"]["id"]], ["viewer"]))
    assert other.get("/users/%s/logins" % user["id"]).status_code == 404


def test_password_reset_link_works_once(stack, admin_api, sites, account_events):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    api = Api(stack.url)
    assert api.post("/auth/password-reset", {"email": "nobody@nowhere.test"}).status_code == 202
    assert api.post("/auth/password-reset", {"email": user["email"].upper()}).status_code == 202

    requested = eventually(lambda: account_events("accounts.password_reset_requested"), bool)
    assert [secret_of(event)["email"] for event in requested] == [user["email"]]
    link = secret_of(requested[0])["reset_url"]
    assert link.startswith("http://crm.test/reset-password?token=")
    token = link.split("token=")[1]

    weak = api.post("/auth/password-reset/confirm", {"token": token, "new_password": "abc"})
    assert weak.status_code == 422 and "new_password" in weak.json()["error"]["fields"]
    new_password = "Saffron-lighthouse-crane-58"
    assert api.post("/auth/password-reset/confirm", {"token": token, "new_password": new_password}).status_code == 204
    reused = api.post("/auth/password-reset/confirm", {"token": token, "new_password": "Another-long-phrase-99"})
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "reset_token_used"
    bogus = api.post("/auth/password-reset/confirm", {"token": "not-a-token", "new_password": new_password})
    assert bogus.status_code == 400 and bogus.json()["error"]["code"] == "reset_token_invalid"

    assert api.post("/auth/login", {"identifier": user["username"], "password": PASSWORD}).status_code == 401
    assert signed_in(stack, user, new_password).get("/me").status_code == 200
    assert eventually(lambda: account_events("accounts.password_changed"), bool)


def test_an_expired_access_token_is_401(stack, admin_api, test_env):
    key_path = os.path.join(test_env["CRM_VAR_DIR"], "keys", "jwt_private.pem")
    with open(key_path, "rb") as handle:
        private_key = handle.read()
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    claims = jwt.decode(admin_api.token, options={"verify_signature": False})
    claims.update(iat=int(past.timestamp()), exp=int((past + datetime.timedelta(minutes=15)).timestamp()))
    expired = jwt.encode(claims, private_key, algorithm="EdDSA")
    response = Api(stack.url, token=expired).get("/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert Api(stack.url, token="garbage").get("/me").status_code == 401
    assert Api(stack.url).get("/me").status_code == 401


def test_refresh_token_reuse_revokes_the_whole_family(stack, admin_api, sites):
    api = signed_in(stack, create_user(admin_api, [sites["A"]["id"]], ["viewer"]))
    first = api.session["refresh_token"]
    api.refresh()
    second = api.session["refresh_token"]
    assert second != first
    reuse = api.post("/auth/refresh", {"refresh_token": first})
    assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "invalid_refresh_token"
    assert api.post("/auth/refresh", {"refresh_token": second}).status_code == 401


def test_logout_revokes_the_refresh_token(stack, admin_api, sites):
    api = signed_in(stack, create_user(admin_api, [sites["A"]["id"]], ["viewer"]))
    assert api.post("/auth/logout", {"refresh_token": api.session["refresh_token"]}).status_code == 204
    assert api.post("/auth/refresh", {"refresh_token": api.session["refresh_token"]}).status_code == 401


def test_a_permission_revoked_by_put_stops_working_after_refresh(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["sales"])
    api = signed_in(stack, user)
    assert api.get("/audit").status_code == 403

    granted = admin_api.put("/users/%s/permissions" % user["id"], {"grants": ["audit:read"], "revocations": []})
    assert granted.status_code == 200 and "audit:read" in granted.json()["effective"]
    assert api.refresh().get("/audit").status_code == 200

    shown = admin_api.get("/users/%s/permissions" % user["id"]).json()
    assert shown["grants"] == ["audit:read"]
    revoked = admin_api.put("/users/%s/permissions" % user["id"],
                            {"grants": [], "revocations": ["audit:read", "customers:write"]})
    assert "customers:write" not in revoked.json()["effective"]
    assert api.refresh().get("/audit").status_code == 403
    claims = jwt.decode(api.token, options={"verify_signature": False})
    assert "customers:write" not in claims["perms"]


def test_a_disabled_user_can_neither_log_in_nor_refresh(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    api = signed_in(stack, user)
    disabled = admin_api.patch("/users/%s" % user["id"], {"status": "disabled", "version": user["version"]})
    assert disabled.status_code == 200
    assert api.post("/auth/refresh", {"refresh_token": api.session["refresh_token"]}).status_code == 401
    assert Api(stack.url).post("/auth/login", {"identifier": user["username"], "password": PASSWORD}).status_code == 401


def test_deleting_a_user_needs_confirmation_and_erases_personal_data(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    api = signed_in(stack, user)
    assert admin_api.delete("/users/%s" % user["id"]).status_code == 422
    assert admin_api.delete("/users/%s" % user["id"], params={"confirm": "wrong"}).status_code == 422
    assert admin_api.delete("/users/%s" % user["id"], params={"confirm": user["username"]}).status_code == 204

    erased = admin_api.get("/users/%s" % user["id"]).json()
    assert erased["status"] == "deleted" and erased["email"] is None and erased["phone"] is None
    assert user["username"] not in str(erased)
    assert api.post("/auth/refresh", {"refresh_token": api.session["refresh_token"]}).status_code == 401
    assert Api(stack.url).post("/auth/login", {"identifier": user["email"], "password": PASSWORD}).status_code == 401
    trail = eventually(
        lambda: admin_api.get("/audit", params={"entity_type": "user", "entity_id": user["id"]}).json()["items"],
        lambda items: {"created", "deleted"} <= {entry["action"] for entry in items})
    assert user["email"] not in str(trail) and user["username"] not in str(trail)


def test_sites_are_scoped_and_users_listed_by_filter(stack, admin_api, sites):
    in_b = create_user(admin_api, [sites["B"]["id"]], ["viewer"])
    listed = admin_api.get("/users", params={"site_id": sites["B"]["id"], "limit": 500}).json()
    assert in_b["id"] in [u["id"] for u in listed["items"]]
    assert all(sites["B"]["id"] in u["sites"] for u in listed["items"])
    by_role = admin_api.get("/users", params={"role": "viewer", "limit": 2}).json()
    assert len(by_role["items"]) <= 2 and by_role["total"] >= 1
    if by_role["next_cursor"]:
        more = admin_api.get("/users", params={"role": "viewer", "limit": 2, "cursor": by_role["next_cursor"]}).json()
        assert not {u["id"] for u in more["items"]} & {u["id"] for u in by_role["items"]}
    b_user = signed_in(stack, in_b)
    assert [s["id"] for s in b_user.get("/sites").json()["items"]] == [sites["B"]["id"]]


def test_the_audit_trail_shows_who_changed_what(admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["viewer"])
    admin_api.put("/users/%s/permissions" % user["id"], {"grants": ["reports:read"], "revocations": []})
    me = admin_api.get("/me").json()

    def trail():
        return admin_api.get("/audit", params={"entity_id": user["id"]}).json()["items"]

    entries = eventually(trail, lambda items: {"created", "changed"} <= {e["action"] for e in items})
    changed = next(e for e in entries if e["action"] == "changed")
    assert changed["actor"] == me["id"] and changed["entity_type"] == "permissions"
    assert changed["changes"]["grants"] == {"before": [], "after": ["reports:read"]}
    assert changed["site_id"] == sites["A"]["id"] and changed["source"] == "accounts"
    created = next(e for e in entries if e["action"] == "created")
    assert "password_hash" not in created["changes"] and PASSWORD not in str(created["changes"])
    assert created["changes"]["roles"] == {"before": None, "after": ["viewer"]}
    by_actor = admin_api.get("/audit", params={"actor": me["id"], "action": "changed", "limit": 500}).json()
    assert changed["id"] in [e["id"] for e in by_actor["items"]]
    later = admin_api.get("/audit", params={"entity_id": user["id"], "since": changed["at"]}).json()["items"]
    assert [e["id"] for e in later] == [changed["id"]]
    earlier = admin_api.get("/audit", params={"entity_id": user["id"], "until": created["at"]}).json()["items"]
    assert changed["id"] not in [e["id"] for e in earlier]


def test_the_user_directory_names_colleagues_at_your_sites_only(stack, admin_api, sites):
    prefix = unique("dir")
    colleague = create_user(admin_api, [sites["A"]["id"]], ["service"], username=prefix + ".li")
    elsewhere = create_user(admin_api, [sites["B"]["id"]], ["sales"], username=prefix + ".wang")
    gone = create_user(admin_api, [sites["A"]["id"]], ["sales"], username=prefix + ".zhao")
    assert admin_api.patch("/users/%s" % gone["id"], {"status": "disabled", "version": gone["version"]}).status_code == 200
    sales = signed_in(stack, create_user(admin_api, [sites["A"]["id"]], ["sales"], username=prefix + ".chen"))

    response = sales.get("/users/directory", params={"q": prefix})
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert [e["username"] for e in entries] == [prefix + ".chen", prefix + ".li"]
    assert set(entries[1]) == {"id", "username", "display_name", "position", "sites"}
    assert entries[1]["id"] == colleague["id"] and entries[1]["sites"] == [sites["A"]["id"]]
    assert sales.get("/users/directory", params={"q": prefix, "site_id": sites["B"]["id"]}).json()["items"] == []
    everyone = admin_api.get("/users/directory", params={"q": prefix}).json()["items"]
    assert {e["id"] for e in everyone} >= {colleague["id"], elsewhere["id"]} and gone["id"] not in {
        e["id"] for e in everyone}
    named = sales.get("/users/directory", params={"ids": [colleague["id"], elsewhere["id"], gone["id"]]})
    assert [e["id"] for e in named.json()["items"]] == [colleague["id"]]
    assert sales.get("/users/directory", params={"limit": 0}).status_code == 422
    assert Api(stack.url).get("/users/directory").status_code == 401


def test_creating_a_site_takes_sites_admin_company_wide(stack, admin_api, sites):
    user = create_user(admin_api, [sites["A"]["id"]], ["manager"])
    body = {"code": unique("S"), "name": "Plant S", "timezone": "Asia/Shanghai"}
    assert signed_in(stack, user).post("/sites", body).status_code == 403
    granted = admin_api.put("/users/%s/permissions" % user["id"], {"grants": ["sites:admin"], "revocations": []})
    assert granted.status_code == 200, granted.text
    assert signed_in(stack, user).post("/sites", body).status_code == 403
    both = admin_api.put("/users/%s/permissions" % user["id"], {"grants": ["sites:admin", "sites:all"],
                                                                 "revocations": [], "version": granted.json()["version"]})
    assert both.status_code == 200, both.text
    assert signed_in(stack, user).post("/sites", body).status_code == 201
