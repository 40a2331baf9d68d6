"""The services' shared secret and the keys derived from it, one per purpose.

Cursors are signed, events are signed and their secret fields sealed, webhook secrets are
encrypted at rest: each with its own key, derived (HMAC-SHA256) from ``CRM_SECRET_KEY``. Every
process of one deployment must share that value. Unset, a local run keeps a generated one in
``CRM_VAR_DIR/keys/secret.key`` (owner-only), so the processes of one checkout agree.
"""
import base64
import functools
import hashlib
import hmac
import os
import secrets

from services.common import config


def _key_file():
    return os.path.join(config.get("CRM_VAR_DIR"), "keys", "secret.key")


def _stored_secret(path):
    """The secret in ``path``, created (0600, atomically) when missing; safe for concurrent starts."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        tmp = "%s.%d.tmp" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return f.read().strip()


@functools.lru_cache(maxsize=None)
def _master(value):
    return hashlib.sha256(value.encode("utf-8")).digest()


@functools.lru_cache(maxsize=8)
def _file_master(path, version):
    return _master(_stored_secret(path))


def _file_version(path):
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino


def master_secret():
    """The hashed secret: read once per value of ``CRM_SECRET_KEY`` (or version of the key file),
    since every event handled and every cursor checked asks for a key derived from it."""
    value = config.get("CRM_SECRET_KEY")
    if value:
        return _master(value)
    path = _key_file()
    version = _file_version(path)
    if version is None:
        _stored_secret(path)
        version = _file_version(path)
    return _file_master(path, version)


@functools.lru_cache(maxsize=64)
def _derived(master, purpose):
    return hmac.new(master, purpose.encode("utf-8"), hashlib.sha256).digest()


def derived_key(purpose):
    """32 bytes for ``purpose`` (e.g. ``"cursor"``, ``"events"``), the same in every process."""
    return _derived(master_secret(), purpose)


def fernet_key(purpose):
    """A Fernet key (urlsafe base64 of 32 bytes) for ``purpose``."""
    return base64.urlsafe_b64encode(derived_key(purpose))
