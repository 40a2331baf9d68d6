"""Bad input is a 422 naming the field, and never reaches a service."""
import pytest


def assert_invalid(response, field):
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error


@pytest.mark.parametrize("limit", ["0", "501", "1.5", "1e2", "1_0", "abc", "-1", ""])
def test_bad_limit(client, fake_rpc, auth, limit):
    assert_invalid(client.get("/api/v1/users?limit=%s" % limit, headers=auth), "limit")
    assert fake_rpc.calls == []


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/users/u1/logins", "/api/v1/audit"])
def test_limit_defaults_and_bounds(client, fake_rpc, auth, path):
    assert client.get(path, headers=auth).status_code == 200
    assert fake_rpc.last["kwargs"] == {"limit": 50, "cursor": None}
    assert client.get(path + "?limit=500&cursor=c2.sig", headers=auth).status_code == 200
    assert fake_rpc.last["kwargs"] == {"limit": 500, "cursor": "c2.sig"}


def test_unknown_query_parameter(client, fake_rpc, auth):
    assert_invalid(client.get("/api/v1/users?site=s1", headers=auth), "site")


def test_unknown_body_field(client, fake_rpc, auth):
    body = {"username": "ana", "email": "ana@example.com", "password": "x" * 16, "display_name": "Ana",
            "sites": ["s1"], "roles": ["sales"], "is_superuser": True}
    assert_invalid(client.post("/api/v1/users", json=body, headers=auth), "is_superuser")
    assert fake_rpc.calls == []


def test_unknown_field_on_a_public_route(client, fake_rpc):
    assert_invalid(client.post("/api/v1/auth/login", json={"identifier": "a", "password": "b", "otp": 1}), "otp")


@pytest.mark.parametrize("version", [None, "3", 1.5, True])
def test_update_needs_an_integer_version(client, fake_rpc, auth, version):
    body = {"display_name": "Ana"}
    if version is not None:
        body["version"] = version
    assert_invalid(client.patch("/api/v1/users/u1", json=body, headers=auth), "version")
    assert fake_rpc.calls == []


def test_delete_needs_confirm(client, fake_rpc, auth):
    assert_invalid(client.delete("/api/v1/users/u1", headers=auth), "confirm")
    assert fake_rpc.calls == []


@pytest.mark.parametrize("body, field", [
    ({"identifier": "", "password": "p"}, "identifier"),
    ({"identifier": "a" * 255, "password": "p"}, "identifier"),
    ({"identifier": "ana"}, "password"),
    ({"identifier": 5, "password": "p"}, "identifier"),
])
def test_bad_login_body(client, fake_rpc, body, field):
    assert_invalid(client.post("/api/v1/auth/login", json=body), field)


def test_bad_email_for_reset(client, fake_rpc):
    assert_invalid(client.post("/api/v1/auth/password-reset", json={"email": "not-an-address"}), "email")


def test_permissions_need_lists(client, fake_rpc, auth):
    assert_invalid(client.put("/api/v1/users/u1/permissions", json={"grants": "audit:read", "revocations": []},
                              headers=auth), "grants")


@pytest.mark.parametrize("query, field", [
    ("since=yesterday", "since"),
    ("since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z", "until"),
])
def test_bad_audit_query(client, fake_rpc, auth, query, field):
    assert_invalid(client.get("/api/v1/audit?" + query, headers=auth), field)


def test_body_that_is_not_an_object(client, fake_rpc):
    response = client.post("/api/v1/auth/refresh", json=["r1"])
    assert response.status_code == 422
    assert fake_rpc.calls == []
