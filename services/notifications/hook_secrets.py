"""Webhook signing secrets: made at creation, kept encrypted, opened only to sign a delivery.

A hook stores ``sealed_secret``, the secret encrypted with Fernet under a key derived from
``CRM_SECRET_KEY`` (``keyring.fernet_key("webhook-secrets")``). A hook stored before that had a
plaintext ``secret``: the service seals those at start (``store.seal_plaintext_secrets``).
"""
import secrets

from cryptography.fernet import Fernet, InvalidToken

from services.common import keyring

PURPOSE = "webhook-secrets"


class Unreadable(Exception):
    """The sealed secret does not open with this deployment's key (``CRM_SECRET_KEY`` changed?)."""


def _fernet():
    return Fernet(keyring.fernet_key(PURPOSE))


def new():
    return "whsec_" + secrets.token_urlsafe(32)


def seal(secret):
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def secret_of(webhook):
    """The plaintext secret of a stored hook; raises Unreadable."""
    if webhook.get("sealed_secret"):
        try:
            return _fernet().decrypt(webhook["sealed_secret"].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise Unreadable("the signing secret of webhook %s cannot be decrypted" % webhook["_id"])
    if webhook.get("secret"):
        return webhook["secret"]
    raise Unreadable("webhook %s has no signing secret" % webhook["_id"])
