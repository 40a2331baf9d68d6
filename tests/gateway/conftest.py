"""A gateway app with a fake RPC layer and a token key pair of its own."""
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway import security
from gateway.app import create_app
from gateway.extensions import rpc


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(private_key, **overrides):
    now = int(time.time())
    claims = {"sub": "u1", "sites": ["s1"], "perms": ["users:admin"], "iat": now, "exp": now + 900,
              "jti": "j1", "typ": "access"}
    claims.update(overrides)
    return jwt.encode(claims, private_key, algorithm="EdDSA")


class FakeRpc:
    """Records each call; answers from ``replies`` (a value, or an exception to raise)."""

    def __init__(self):
        self.calls = []
        self.replies = {}

    def __call__(self, service, method, *args, context=None, **kwargs):
        self.calls.append({"service": service, "method": method, "args": args, "kwargs": kwargs,
                           "context": context})
        reply = self.replies.get(method, {})
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def last(self):
        return self.calls[-1]


@pytest.fixture
def signing_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def key_file(tmp_path, monkeypatch, signing_key):
    path = tmp_path / "jwt_public.pem"
    path.write_bytes(public_pem(signing_key))
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(path))
    security.reset_verifier()
    yield path
    security.reset_verifier()


@pytest.fixture
def fake_rpc(monkeypatch):
    fake = FakeRpc()
    monkeypatch.setattr(rpc, "call", fake)
    return fake


@pytest.fixture
def app(key_file, fake_rpc):
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(signing_key):
    return sign(signing_key)


@pytest.fixture
def auth(token):
    return {"Authorization": "Bearer %s" % token}
