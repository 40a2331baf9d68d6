"""The signing key, access tokens (EdDSA JWT) and opaque refresh / password-reset tokens."""
import hashlib
import os
import secrets
import tempfile
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import (
    ACCESS_TYPE, ALGORITHM, LANGUAGE_CLAIM, PASSWORD_CHANGE_CLAIM, SESSION_CLAIM, VERSION_CLAIM,
)


def _public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _raw_public(pem):
    return serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write_atomically(path, data, mode):
    """Write ``data`` to a temp file next to ``path`` and return the temp file's path."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-key-")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)
    return tmp


def ensure_keypair(private_path, public_path):
    """Create an Ed25519 key pair in PEM unless the private key exists; -> (private_pem, public_pem).

    The private key is the source of truth: the public file is written from it when missing or
    when the private key was just created; an existing pair that does not match is an error.
    Safe when several processes start at once.
    """
    for path in (private_path, public_path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    created = False
    if not os.path.exists(private_path):
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        tmp = _write_atomically(private_path, pem, 0o600)
        try:
            os.link(tmp, private_path)
            created = True
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(private_path, "rb") as f:
        private_pem = f.read()
    public_pem = _public_pem(serialization.load_pem_private_key(private_pem, password=None))
    if os.path.exists(public_path) and not created:
        with open(public_path, "rb") as f:
            existing = f.read()
        if _raw_public(existing) != _raw_public(public_pem):
            raise ValueError("%s does not match the private key %s." % (public_path, private_path))
    else:
        os.replace(_write_atomically(public_path, public_pem, 0o644), public_path)
    return private_pem, public_pem


class TokenIssuer:
    """Signs access tokens with the accounts service's private key."""

    def __init__(self, private_key_pem, ttl_seconds=900):
        if isinstance(private_key_pem, str):
            private_key_pem = private_key_pem.encode()
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("The token signing key must be an Ed25519 key.")
        self._key = key
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id, sites, perms, now=None, must_change_password=False, session_id=None, version=None,
              language=None):
        """-> (token, expires_in seconds). ``now`` (epoch seconds) is for tests. A user who must
        change their password gets a token the services accept only for that (``auth``).
        ``session_id`` (claim ``sid``: the refresh-token family) and ``version`` (claim ``ver``: the
        user record's version) let accounts revoke the token early (``revocations``); ``language``
        (claim ``lang``) is the user's language setting, the language of the texts answered to them."""
        iat = int(time.time() if now is None else now)
        claims = {
            "sub": str(user_id),
            "sites": list(sites),
            "perms": sorted(perms),
            "iat": iat,
            "exp": iat + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TYPE,
        }
        if must_change_password:
            claims[PASSWORD_CHANGE_CLAIM] = True
        if session_id is not None:
            claims[SESSION_CLAIM] = session_id
        if version is not None:
            claims[VERSION_CLAIM] = version
        if language:
            claims[LANGUAGE_CLAIM] = language
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), self.ttl_seconds


def new_opaque_token():
    """A random token for refresh and password reset; store only its hash."""
    return secrets.token_urlsafe(32)


def hash_opaque_token(token):
    return hashlib.sha256(token.encode()).hexdigest()
