"""Trust in events on a shared broker: each envelope is signed, and its secret fields are sealed.

Anyone with broker access can publish to an exchange or read a queue bound to it. So the relay
adds ``signature`` (HMAC-SHA256, key ``keyring.derived_key("events")``, over the canonical JSON
of every other envelope key), and consumers refuse an envelope whose signature is missing or
wrong before any handler runs. Fields that must not reach integrators (a live reset or survey
link, the address it is mailed to) travel in ``sealed``: Fernet (key
``keyring.fernet_key("event-secrets")``) of a JSON object, opened only by the services with
``secret_of``. Sealing happens when the event is made, so a re-send carries the same blob and the
same signature.
"""
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken

from services.common import keyring

SIGNATURE = "signature"
SEALED = "sealed"
SCHEME = "sha256="


def canonical(event):
    """The bytes a signature covers: every envelope key but ``signature``, as sorted compact JSON."""
    from services.common.envelope import jsonable

    body = {key: value for key, value in event.items() if key != SIGNATURE}
    return json.dumps(jsonable(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def signature_of(event):
    return SCHEME + hmac.new(keyring.derived_key("events"), canonical(event), hashlib.sha256).hexdigest()


def sign(event):
    """``event`` with its signature (the same for the same envelope: re-sends keep it)."""
    return dict(event, **{SIGNATURE: signature_of(event)})


def rejection(event):
    """Why ``event`` must not be handled (unsigned, forged or altered, unreadable secret), or None."""
    given = event.get(SIGNATURE)
    if not isinstance(given, str) or not given:
        return "unsigned"
    if not given.isascii():
        return "bad signature"
    try:
        expected = signature_of(event)
    except (TypeError, ValueError):
        return "not canonical JSON"
    if not hmac.compare_digest(given, expected):
        return "bad signature"
    if event.get(SEALED) is not None:
        try:
            secret_of(event)
        except (InvalidToken, TypeError, ValueError):
            return "sealed part unreadable"
    return None


def _fernet():
    return Fernet(keyring.fernet_key("event-secrets"))


def seal(secret):
    """The ciphertext (text) of the JSON object ``secret``."""
    return _fernet().encrypt(json.dumps(secret, sort_keys=True).encode("utf-8")).decode("ascii")


def secret_of(event):
    """The opened ``sealed`` part of a verified envelope (``{}`` when it has none)."""
    sealed = event.get(SEALED)
    if sealed is None:
        return {}
    if not isinstance(sealed, str):
        raise TypeError("sealed is not text")
    opened = json.loads(_fernet().decrypt(sealed.encode("ascii")))
    if not isinstance(opened, dict):
        raise ValueError("sealed is not an object")
    return opened
