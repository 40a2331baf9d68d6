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


def _fernet(purpose=PURPOSE):
    return Fernet(keyring.fernet_key(purpose))


def new():
    return "whsec_" + secrets.token_urlsafe(32)


def seal(secret, purpose=PURPOSE):
    """``secret`` encrypted under the key of ``purpose`` (also an automation rule's grant: ``automations``)."""
    return _fernet(purpose).encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(sealed, purpose=PURPOSE):
    """The plaintext of ``seal(secret, purpose)``; raises Unreadable."""
    try:
        return _fernet(purpose).decrypt(sealed.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise Unreadable("a sealed %s secret cannot be decrypted" % purpose)


def secret_of(webhook):
    """The plaintext secret of a stored hook; raises Unreadable."""
    if webhook.get("sealed_secret"):
        return unseal(webhook["sealed_secret"])
    if webhook.get("secret"):
        return webhook["secret"]
    raise Unreadable("webhook %s has no signing secret" % webhook["_id"])
