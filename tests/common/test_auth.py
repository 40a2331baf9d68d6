import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from services.common import auth
from services.common.auth import Caller, TokenVerifier
from services.common.errors import Forbidden, NotFound, Unauthorized


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def verifier(key):
    return TokenVerifier(public_pem(key))


def claims(**overrides):
    now = int(time.time())
    body = {"sub": "u1", "sites": ["s1", "s2"], "perms": ["customers:read"],
            "iat": now, "exp": now + 900, "jti": "j1", "typ": "access"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sign(key, **overrides):
    return jwt.encode(claims(**overrides), key, algorithm="EdDSA")


def test_verify_valid_token(key, verifier):
    token = sign(key)
    caller = verifier.verify(token)
    assert caller.user_id == "u1"
    assert caller.sites == ["s1", "s2"]
    assert caller.perms == {"customers:read"}
    assert caller.token == token


def test_verify_accepts_str_pem(key):
    assert TokenVerifier(public_pem(key).decode()).verify(sign(key)).user_id == "u1"


@pytest.mark.parametrize("token", [None, "", 42])
def test_missing_token(verifier, token):
    with pytest.raises(Unauthorized):
        verifier.verify(token)


def test_expired_token(key, verifier):
    past = int(time.time()) - 3600
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(sign(key, iat=past, exp=past + 900))


def test_remembered_token_still_expires(key, monkeypatch):
    verifier = TokenVerifier(public_pem(key))
    token = sign(key, exp=int(time.time()) + 60)
    assert verifier.verify(token).user_id == "u1"
    later = time.time() + 60 + 11
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_remembered_token_gives_a_fresh_caller(key, verifier):
    token = sign(key)
    first = verifier.verify(token)
    first.sites.append("s9")
    assert verifier.verify(token).sites == ["s1", "s2"]


def test_token_signed_by_another_key(verifier):
    with pytest.raises(Unauthorized):
        verifier.verify(sign(Ed25519PrivateKey.generate()))


def test_token_with_other_algorithm_rejected(verifier):
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(claims(), "secret-secret-secret-secret-secret", algorithm="HS256"))


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "eyJhbGciOiJFZERTQSJ9..", "x" * 50])
def test_malformed_token(verifier, token):
    with pytest.raises(Unauthorized):
        verifier.verify(token)


def test_tampered_token(key, verifier):
    header, payload, signature = sign(key).split(".")
    other_payload = sign(key, sub="admin").split(".")[1]
    with pytest.raises(Unauthorized):
        verifier.verify(".".join([header, other_payload, signature]))


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "jti"])
def test_missing_claim(key, verifier, claim):
    body = claims()
    del body[claim]
    with pytest.raises(Unauthorized):
        verifier.verify(jwt.encode(body, key, algorithm="EdDSA"))


@pytest.mark.parametrize("typ", [None, "refresh"])
def test_wrong_token_type(key, verifier, typ):
    with pytest.raises(Unauthorized):
        verifier.verify(sign(key, typ=typ))


@pytest.mark.parametrize("overrides", [{"sites": "s1"}, {"perms": [1]}, {"sites": [None]}])
def test_bad_claim_shapes(key, verifier, overrides):
    with pytest.raises(Unauthorized):
        verifier.verify(sign(key, **overrides))


def test_verifier_rejects_non_ed25519_key():
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValueError):
        TokenVerifier(public_pem(rsa))


def test_load_public_key_and_verifier_from_config(key, tmp_path, monkeypatch):
    path = tmp_path / "pub.pem"
    path.write_bytes(public_pem(key))
    assert auth.load_public_key(str(path)) == public_pem(key)
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(path))
    assert auth.verifier_from_config().verify(sign(key)).user_id == "u1"


def test_verifier_from_config_defaults_to_var_dir(key, tmp_path, monkeypatch):
    os.makedirs(tmp_path / "keys")
    (tmp_path / "keys" / "jwt_public.pem").write_bytes(public_pem(key))
    monkeypatch.delenv("JWT_PUBLIC_KEY_FILE", raising=False)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path))
    assert auth.public_key_path() == os.path.join(str(tmp_path), "keys", "jwt_public.pem")
    assert auth.verifier_from_config().verify(sign(key)).user_id == "u1"


def test_caller_permissions():
    caller = Caller("u1", ["s1"], {"customers:read"})
    assert caller.can("customers:read")
    assert not caller.can("customers:write")
    caller.require("customers:read")
    with pytest.raises(Forbidden) as err:
        caller.require("customers:write")
    assert "customers:write" in err.value.message


def test_site_scope_for_site_bound_caller():
    caller = Caller("u1", ["s1", "s2"], {"customers:read"})
    assert not caller.all_sites
    assert caller.site_scope() == ["s1", "s2"]
    caller.check_site("s2")
    with pytest.raises(NotFound):
        caller.check_site("s3")


def test_caller_without_sites_sees_nothing():
    caller = Caller("u1", [], {"customers:read"})
    assert caller.site_scope() == []
    with pytest.raises(NotFound):
        caller.check_site("s1")


def test_site_scope_for_all_sites_caller():
    caller = Caller("hq", [], {"customers:read", "sites:all"})
    assert caller.all_sites
    assert caller.site_scope() is None
    caller.check_site("anywhere")


def test_service_caller_can_do_everything():
    caller = Caller.service("notifications")
    assert caller.user_id == "service:notifications"
    assert caller.can("users:admin") and caller.all_sites
    caller.require("audit:read")
    caller.check_site("s9")
    assert caller.site_scope() is None
