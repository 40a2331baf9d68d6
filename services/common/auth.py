"""Access-token verification and the permission and site checks every service applies.

Only ``accounts`` holds the private key; every other process verifies with the public key
(docs/architecture.md §2). A service re-verifies the token the gateway forwards and then asks the resulting
``Caller`` what it may do.
"""
import collections
import functools
import logging
import os
import threading
import time

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from services.common import config
from services.common.errors import Forbidden, NotFound, Unauthorized, Unavailable

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti")
ALL_SITES = "sites:all"
# Set in the token of a user who must change their password: only the methods a service names
# in ``CallerContext(password_change_methods=...)`` accept it (accounts: me, change_password).
PASSWORD_CHANGE_CLAIM = "pwc"
# Claims that let accounts end a token early (``services.common.revocation``): the refresh-token
# family it was signed for, and the version of the user record when it was signed.
SESSION_CLAIM = "sid"
VERSION_CLAIM = "ver"
# The user's language setting when the token was signed: the language of the texts answered to them.
LANGUAGE_CLAIM = "lang"

Identity = collections.namedtuple("Identity",
                                  "expires sub sites perms must_change_password issued session version language")


class Caller:
    """Who is calling, on which sites, with which permissions."""

    def __init__(self, user_id, sites=(), perms=(), token=None, is_service=False, must_change_password=False,
                 language=None):
        self.user_id = user_id
        self.language = language  # the user's language setting (zh-CN or en), None for a service
        self.sites = list(sites)
        self.perms = frozenset(perms)
        self.token = token
        self.is_service = is_service
        self.must_change_password = must_change_password

    @classmethod
    def service(cls, name):
        """A caller for work a service starts itself (timers, event handlers): allowed everything."""
        return cls("service:%s" % name, is_service=True)

    def __repr__(self):
        return "Caller(%r, sites=%r, perms=%r)" % (self.user_id, self.sites, sorted(self.perms))

    def can(self, perm):
        return self.is_service or perm in self.perms

    def require(self, perm):
        if not self.can(perm):
            raise Forbidden("You do not have the %s permission." % perm, extra={"permission": perm})

    @property
    def all_sites(self):
        return self.can(ALL_SITES)

    def has_site(self, site_id):
        return self.all_sites or site_id in self.sites

    def site_scope(self):
        """The caller's sites, or None for all-sites holders: what a store scopes its queries by
        (each store shapes the clause for its indexes)."""
        return None if self.all_sites else list(self.sites)

    def require_site(self, site_id):
        """A site the caller names (in a path or a filter) must be one of theirs: 404 otherwise."""
        if not isinstance(site_id, str) or not self.has_site(site_id):
            raise NotFound("No such site.")

    def check_site(self, site_id):
        """Raise NotFound (not Forbidden, so ids don't leak) when ``site_id`` is outside the caller's sites."""
        if not self.has_site(site_id):
            raise NotFound()


def load_public_key(path):
    """The PEM bytes of the public key file at ``path``."""
    with open(path, "rb") as f:
        return f.read()


class TokenVerifier:
    """Checks an access token's signature, expiry and claims and turns it into a ``Caller``.

    A token that passed is remembered (up to ``CACHE_SIZE`` of them): the next request with it
    checks only its expiry, not its signature again. With ``revocations`` (a
    ``revocation.Revocations``) every request also checks, in memory, that it was not revoked.
    """

    CACHE_SIZE = 4096

    def __init__(self, public_key_pem, leeway=10, revocations=None):
        if isinstance(public_key_pem, str):
            public_key_pem = public_key_pem.encode()
        key = load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("The token public key must be an Ed25519 key.")
        self._key = key
        self._leeway = leeway
        self._revocations = revocations
        self._identity = functools.lru_cache(maxsize=self.CACHE_SIZE)(self._check)

    def verify(self, token):
        if not token or not isinstance(token, str):
            raise Unauthorized("A valid token is required.")
        identity = self._identity(token)
        if identity.expires <= time.time() - self._leeway:
            raise Unauthorized("The token has expired.")
        if self._revocations is not None:
            self._revocations.check(identity.sub, identity.session, identity.version, identity.issued)
        return Caller(identity.sub, identity.sites, identity.perms, token=token,
                      must_change_password=identity.must_change_password, language=identity.language)

    def _check(self, token):
        """The ``Identity`` of a token with a valid signature and claims; Unauthorized otherwise."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired.")
        except jwt.PyJWTError:
            raise Unauthorized("The token is not valid.")
        if claims.get("typ") != ACCESS_TYPE:
            raise Unauthorized("The token is not an access token.")
        sub, sites, perms = claims["sub"], claims.get("sites", []), claims.get("perms", [])
        issued, session, version = claims["iat"], claims.get(SESSION_CLAIM), claims.get(VERSION_CLAIM)
        language = claims.get(LANGUAGE_CLAIM)
        if not (_is_str(sub) and _is_str_list(sites) and _is_str_list(perms) and _is_number(issued)
                and (session is None or _is_str(session)) and (version is None or _is_int(version))
                and (language is None or _is_str(language))):
            raise Unauthorized("The token is not valid.")
        return Identity(claims["exp"], sub, tuple(sites), tuple(perms), claims.get(PASSWORD_CHANGE_CLAIM) is True,
                        issued, session, version, language)


def _is_str(value):
    return isinstance(value, str) and value != ""


def _is_str_list(value):
    return isinstance(value, list) and all(_is_str(v) for v in value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return _is_int(value) or isinstance(value, float)


def public_key_path():
    """JWT_PUBLIC_KEY_FILE, or ``<CRM_VAR_DIR>/keys/jwt_public.pem`` when unset."""
    return config.get("JWT_PUBLIC_KEY_FILE") or os.path.join(config.get("CRM_VAR_DIR"), "keys", "jwt_public.pem")


def verifier_from_config(revocations=None):
    return TokenVerifier(load_public_key(public_key_path()), revocations=revocations)


class KeyedVerifier:
    """A process's token verifier, the gateway's and each service's: made once the public key file
    exists (Unavailable until then, so a process that starts before accounts wrote the key
    answers 503 and recovers by itself), then kept with its cache of verified tokens."""

    def __init__(self, revocations=None):
        self._revocations = revocations
        self._verifier = None
        self._lock = threading.Lock()

    def verify(self, token):
        return self._loaded().verify(token)

    def _loaded(self):
        if self._verifier is None:
            with self._lock:
                if self._verifier is None:
                    try:
                        self._verifier = verifier_from_config(self._revocations)
                    except (OSError, ValueError) as exc:
                        log.warning("token public key not usable yet: %s", exc)
                        raise Unavailable("Token verification keys are not available yet.")
        return self._verifier
