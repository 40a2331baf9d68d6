"""Each route calls the right RPC with the right arguments and keeps every field of the answer."""
import pytest

from services.common.errors import Conflict, NotFound, TooManyAttempts, Unauthorized, Unavailable

USER = {
    "id": "u1", "username": "ana", "email": "ana@example.com", "display_name": "Ana", "phone": None,
    "position": "Buyer", "language": "zh-CN", "sites": ["s1"], "roles": ["sales"], "grants": [],
    "revocations": [], "permissions": ["customers:read"], "status": "active", "locked_until": None,
    "must_change_password": False, "created_at": "2024-05-01T08:00:00+00:00",
    "updated_at": "2024-05-02T08:00:00+00:00", "last_login_at": None, "version": 3,
}
SESSION = {"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 900, "user": USER}
LOGIN = {"id": "l1", "user_id": "u1", "at": "2024-05-01T08:00:00+00:00", "success": False,
         "reason": "invalid_credentials", "client_addr": "10.0.0.1", "user_agent": "curl/8",
         "device": {"browser": "unknown", "os": "unknown", "device": "unknown", "summary": "unknown"}}
PERMISSIONS = {"user_id": "u1", "roles": ["sales"], "grants": ["audit:read"], "revocations": [],
               "effective": ["audit:read", "customers:read"], "version": 4}
SITE = {"id": "s1", "code": "SH", "name": "Shanghai", "address": None, "timezone": "Asia/Shanghai",
        "created_at": "2024-05-01T08:00:00+00:00", "updated_at": "2024-05-01T08:00:00+00:00", "version": 1}
ROLES = {"roles": [{"name": "viewer", "permissions": ["customers:read"]}],
         "permissions": [{"name": "customers:read", "description": "See customers."}]}
AUDIT = {"id": "a1", "at": "2024-05-01T08:00:00+00:00", "actor": "u1", "site_id": None, "entity_type": "user",
         "entity_id": "u2", "action": "update", "changes": {"phone": {"before": None, "after": "1"}},
         "source": "accounts", "event_id": "e1"}


def page(item):
    return {"items": [item], "next_cursor": "c2", "total": 7, "total_is_lower_bound": False}


def test_login(client, fake_rpc):
    fake_rpc.replies["login"] = SESSION
    response = client.post("/api/v1/auth/login", json={"identifier": "ana", "password": "secret"},
                           headers={"User-Agent": "Mozilla/5.0 test"})
    assert response.status_code == 200
    assert response.get_json() == SESSION
    assert fake_rpc.last["args"] == ("ana", "secret")
    assert fake_rpc.last["kwargs"] == {"client_addr": "127.0.0.1", "user_agent": "Mozilla/5.0 test"}


def test_login_locked_is_429_with_retry_after(client, fake_rpc):
    fake_rpc.replies["login"] = TooManyAttempts(extra={"retry_after": 120})
    response = client.post("/api/v1/auth/login", json={"identifier": "ana", "password": "secret"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "120"


def test_login_refused_is_401(client, fake_rpc):
    fake_rpc.replies["login"] = Unauthorized("Wrong username or password.", code="invalid_credentials")
    response = client.post("/api/v1/auth/login", json={"identifier": "ana", "password": "secret"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_refresh_and_logout(client, fake_rpc):
    fake_rpc.replies["refresh"] = SESSION
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "r1"})
    assert response.get_json() == SESSION
    assert fake_rpc.last["args"] == ("r1",)
    response = client.post("/api/v1/auth/logout", json={"refresh_token": "r2"})
    assert response.status_code == 204
    assert response.data == b""
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("logout", ("r2",))


def test_password_reset_is_always_accepted(client, fake_rpc):
    fake_rpc.replies["request_password_reset"] = None
    response = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted"}
    assert fake_rpc.last["args"] == ("nobody@example.com",)


def test_password_reset_confirm(client, fake_rpc):
    response = client.post("/api/v1/auth/password-reset/confirm", json={"token": "t", "new_password": "n" * 14})
    assert response.status_code == 204
    assert fake_rpc.last["args"] == ("t", "n" * 14)


def test_change_password(client, fake_rpc, auth):
    response = client.post("/api/v1/me/password", json={"current_password": "old", "new_password": "new"},
                           headers=auth)
    assert response.status_code == 204
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("change_password", ("old", "new"))


def test_list_users_passes_set_filters_only(client, fake_rpc, auth):
    fake_rpc.replies["list_users"] = page(USER)
    response = client.get("/api/v1/users?site_id=s1&status=active&limit=10", headers=auth)
    assert response.get_json() == page(USER)
    assert fake_rpc.last["args"] == ({"site_id": "s1", "status": "active"},)
    assert fake_rpc.last["kwargs"] == {"limit": 10, "cursor": None}


def test_create_user_passes_the_body(client, fake_rpc, auth):
    fake_rpc.replies["create_user"] = USER
    body = {"username": "ana", "email": "ana@example.com", "password": "p" * 14, "display_name": "Ana",
            "sites": ["s1"], "roles": ["sales"], "language": "en"}
    response = client.post("/api/v1/users", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json() == USER
    assert fake_rpc.last["args"] == (body,)


def test_user_item_routes(client, fake_rpc, auth):
    fake_rpc.replies.update(get_user=USER, update_user=USER, unlock_user=USER)
    assert client.get("/api/v1/users/u1", headers=auth).get_json() == USER
    assert fake_rpc.last["args"] == ("u1",)
    response = client.patch("/api/v1/users/u1", json={"phone": "123", "version": 3}, headers=auth)
    assert response.get_json() == USER
    assert fake_rpc.last["args"] == ("u1", {"phone": "123", "version": 3})
    assert client.post("/api/v1/users/u1/unlock", headers=auth).get_json() == USER
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("unlock_user", ("u1",))


def test_delete_user(client, fake_rpc, auth):
    response = client.delete("/api/v1/users/u1?confirm=ana", headers=auth)
    assert response.status_code == 204
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("delete_user", ("u1", "ana"))


def test_logins(client, fake_rpc, auth):
    fake_rpc.replies["list_logins"] = page(LOGIN)
    response = client.get("/api/v1/users/u1/logins?limit=5&cursor=c1.sig", headers=auth)
    assert response.get_json() == page(LOGIN)
    assert fake_rpc.last["args"] == ("u1",)
    assert fake_rpc.last["kwargs"] == {"limit": 5, "cursor": "c1.sig"}


def test_permissions(client, fake_rpc, auth):
    fake_rpc.replies.update(get_permissions=PERMISSIONS, set_permissions=PERMISSIONS)
    assert client.get("/api/v1/users/u1/permissions", headers=auth).get_json() == PERMISSIONS
    body = {"grants": ["audit:read"], "revocations": [], "version": 4}
    assert client.put("/api/v1/users/u1/permissions", json=body, headers=auth).get_json() == PERMISSIONS
    assert fake_rpc.last["args"] == ("u1", body)


def test_sites_and_roles(client, fake_rpc, auth):
    fake_rpc.replies.update(list_sites={"items": [SITE]}, create_site=SITE, list_roles=ROLES)
    assert client.get("/api/v1/sites", headers=auth).get_json() == {
        "items": [SITE], "next_cursor": None, "total": 1, "total_is_lower_bound": False}
    body = {"code": "SH", "name": "Shanghai", "timezone": "Asia/Shanghai"}
    response = client.post("/api/v1/sites", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json() == SITE
    assert fake_rpc.last["args"] == (body,)
    assert client.get("/api/v1/roles", headers=auth).get_json() == ROLES


def test_audit_filters_times_as_utc_text(client, fake_rpc, auth):
    fake_rpc.replies["list_audit"] = page(AUDIT)
    response = client.get("/api/v1/audit?entity_type=user&since=2024-05-01T10:00:00%2B02:00", headers=auth)
    assert response.get_json() == page(AUDIT)
    assert fake_rpc.last["args"] == ({"entity_type": "user", "since": "2024-05-01T08:00:00+00:00"},)


@pytest.mark.parametrize("error, status", [
    (NotFound(), 404), (Conflict("Stale version."), 409), (Unavailable(), 503),
])
def test_service_errors_map_to_statuses(client, fake_rpc, auth, error, status):
    fake_rpc.replies["get_user"] = error
    response = client.get("/api/v1/users/u1", headers=auth)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == error.code
