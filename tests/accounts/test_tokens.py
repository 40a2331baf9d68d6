import os
import stat
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from services.accounts.tokens import TokenIssuer, ensure_keypair, hash_opaque_token, new_opaque_token
from services.common.auth import TokenVerifier
from services.common.context import RequestContext
from services.common.errors import Forbidden, Unauthorized


@pytest.fixture
def keys(tmp_path):
    private_path = str(tmp_path / "a" / "keys" / "jwt_private.pem")
    public_path = str(tmp_path / "b" / "jwt_public.pem")
    return private_path, public_path


def test_ensure_keypair_creates_files(keys):
    private_path, public_path = keys
    private_pem, public_pem = ensure_keypair(*keys)
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    assert open(public_path, "rb").read() == public_pem
    assert not [n for n in os.listdir(os.path.dirname(private_path)) if n.startswith(".tmp")]


def test_ensure_keypair_keeps_existing_keys(keys):
    first = ensure_keypair(*keys)
    assert ensure_keypair(*keys) == first


def test_ensure_keypair_rewrites_missing_public_key(keys):
    first = ensure_keypair(*keys)
    os.remove(keys[1])
    assert ensure_keypair(*keys) == first


def test_ensure_keypair_replaces_public_key_of_lost_private_key(keys):
    old_public = ensure_keypair(*keys)[1]
    os.remove(keys[0])
    private_pem, public_pem = ensure_keypair(*keys)
    assert public_pem != old_public
    assert open(keys[1], "rb").read() == public_pem


def test_ensure_keypair_rejects_mismatched_public_key(keys, tmp_path):
    ensure_keypair(*keys)
    other = ensure_keypair(str(tmp_path / "o1.pem"), str(tmp_path / "o2.pem"))[1]
    with open(keys[1], "wb") as f:
        f.write(other)
    with pytest.raises(ValueError):
        ensure_keypair(*keys)


def test_issued_token_round_trips(keys):
    private_pem, public_pem = ensure_keypair(*keys)
    token, expires_in = TokenIssuer(private_pem).issue("u1", ["s1"], {"orders:read", "customers:read"})
    assert expires_in == 900
    caller = TokenVerifier(public_pem).verify(token)
    assert (caller.user_id, caller.sites, caller.perms) == ("u1", ["s1"], {"orders:read", "customers:read"})
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["typ"] == "access" and body["exp"] - body["iat"] == 900 and body["jti"]
    assert body["perms"] == ["customers:read", "orders:read"]


def test_each_token_has_its_own_jti(keys):
    issuer = TokenIssuer(ensure_keypair(*keys)[0])
    jtis = {jwt.decode(issuer.issue("u1", [], [])[0], options={"verify_signature": False})["jti"]
            for _ in range(3)}
    assert len(jtis) == 3


def test_issued_token_expires(keys):
    private_pem, public_pem = ensure_keypair(*keys)
    token, _ = TokenIssuer(private_pem, ttl_seconds=60).issue("u1", [], [], now=time.time() - 120)
    with pytest.raises(Unauthorized, match="expired"):
        TokenVerifier(public_pem).verify(token)


def test_issuer_accepts_str_pem_and_rejects_other_keys(keys):
    private_pem = ensure_keypair(*keys)[0]
    assert TokenIssuer(private_pem.decode()).issue("u1", [], [])[0]
    with pytest.raises(ValueError):
        TokenIssuer(b"not a key")
    rsa = generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError):
        TokenIssuer(rsa)


def test_opaque_tokens():
    a, b = new_opaque_token(), new_opaque_token()
    assert a != b and len(a) >= 43
    assert hash_opaque_token(a) == hash_opaque_token(a)
    assert hash_opaque_token(a) != hash_opaque_token(b)
    assert len(hash_opaque_token(a)) == 64 and a not in hash_opaque_token(a)


def test_generated_key_is_ed25519(keys):
    key = serialization.load_pem_private_key(ensure_keypair(*keys)[0], password=None)
    assert isinstance(key, Ed25519PrivateKey)


def test_a_token_that_requires_a_password_change_is_accepted_only_where_allowed(keys):
    private_pem, public_pem = ensure_keypair(*keys)
    verifier = TokenVerifier(public_pem)
    forced, _ = TokenIssuer(private_pem).issue("u1", ["s1"], ["customers:read"], must_change_password=True)
    normal, _ = TokenIssuer(private_pem).issue("u1", ["s1"], ["customers:read"])
    assert verifier.verify(forced).must_change_password is True
    assert verifier.verify(normal).must_change_password is False
    with pytest.raises(Forbidden) as refused:
        RequestContext({"authorization": forced}, verifier.verify).caller
    assert refused.value.code == "password_change_required"
    allowed = RequestContext({"authorization": forced}, verifier.verify, password_change_allowed=True)
    assert allowed.caller.user_id == "u1"
    assert RequestContext({"authorization": normal}, verifier.verify).caller.user_id == "u1"
