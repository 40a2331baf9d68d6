"""Which client address sign-in throttling counts: the peer's, or X-Forwarded-For behind trusted proxies."""
import pytest

from gateway.app import create_app


def post_through_a_proxy(path, body):
    """A request from the proxy at 10.0.0.2 on behalf of the client 203.0.113.9."""
    create_app({"TESTING": True}).test_client().post(
        "/api/v1" + path, json=body, headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"})


@pytest.mark.parametrize("setting, expected", [(None, "10.0.0.2"), ("0", "10.0.0.2"), ("1", "203.0.113.9")])
def test_the_forwarded_address_counts_only_behind_trusted_proxies(key_file, fake_rpc, monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv("CRM_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("CRM_TRUSTED_PROXIES", setting)
    post_through_a_proxy("/auth/login", {"identifier": "someone", "password": "Some-password-123"})
    assert fake_rpc.last["method"] == "login" and fake_rpc.last["kwargs"]["client_addr"] == expected
    post_through_a_proxy("/auth/password-reset", {"email": "a@factory.test"})
    assert fake_rpc.last["method"] == "request_password_reset" and fake_rpc.last["kwargs"]["client_addr"] == expected
