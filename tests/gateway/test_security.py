import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway import security
from tests.gateway.conftest import sign


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_no_token_is_401(client, fake_rpc):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert fake_rpc.calls == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token-without-scheme"])
def test_malformed_header_is_401(client, fake_rpc, header):
    assert_error(client.get("/api/v1/me", headers={"Authorization": header}), 401, "unauthorized")
    assert fake_rpc.calls == []


def test_token_of_another_key_is_401(client, fake_rpc):
    forged = sign(Ed25519PrivateKey.generate())
    response = client.get("/api/v1/users", headers={"Authorization": "Bearer " + forged})
    assert_error(response, 401, "unauthorized")
    assert fake_rpc.calls == []


def test_expired_token_is_401(client, signing_key):
    expired = sign(signing_key, iat=1_000_000, exp=1_000_900)
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer " + expired}), 401, "unauthorized")


def test_refresh_typed_token_is_401(client, signing_key):
    other = sign(signing_key, typ="refresh")
    assert_error(client.get("/api/v1/roles", headers={"Authorization": "Bearer " + other}), 401, "unauthorized")


def test_token_is_checked_before_the_body(client, fake_rpc):
    response = client.post("/api/v1/users", json={"nonsense": 1})
    assert_error(response, 401, "unauthorized")


def test_valid_token_reaches_the_service_with_context(client, fake_rpc, token, auth):
    fake_rpc.replies["me"] = {"id": "u1", "username": "ana"}
    response = client.get("/api/v1/me", headers={**auth, "X-Request-ID": "req-42"})
    assert response.status_code == 200
    assert response.get_json() == {"id": "u1", "username": "ana"}
    assert response.headers["X-Request-ID"] == "req-42"
    call = fake_rpc.last
    assert (call["service"], call["method"]) == ("accounts", "me")
    assert call["context"] == {"authorization": token, "request_id": "req-42", "client_addr": "127.0.0.1"}


def test_generated_request_id_is_forwarded(client, fake_rpc, auth):
    response = client.get("/api/v1/roles", headers=auth)
    assert fake_rpc.last["context"]["request_id"] == response.headers["X-Request-ID"]
    assert len(response.headers["X-Request-ID"]) == 32


def test_public_route_forwards_no_token(client, fake_rpc):
    client.post("/api/v1/auth/refresh", json={"refresh_token": "r1"})
    assert fake_rpc.last["context"]["authorization"] is None


def test_missing_key_file_is_503_until_it_exists(client, fake_rpc, key_file, auth):
    pem = key_file.read_bytes()
    key_file.unlink()
    security.reset_verifier()
    response = client.get("/api/v1/me", headers=auth)
    assert_error(response, 503, "service_unavailable")
    assert fake_rpc.calls == []
    key_file.write_bytes(pem)
    assert client.get("/api/v1/me", headers=auth).status_code == 200


def test_key_is_loaded_once(client, key_file, auth):
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    key_file.unlink()
    assert client.get("/api/v1/me", headers=auth).status_code == 200
