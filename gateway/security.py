"""The caller's bearer token: read from the request, verified locally, forwarded on every RPC.

The gateway holds only the public key (docs/architecture.md §2): it turns away a missing or bad token early,
and each service verifies the forwarded token again before acting on it. A revoked token is
refused too (401 ``token_revoked``), from memory: once ``watch_revocations`` was called (the
gunicorn entry does), each worker process keeps a thread that asks accounts for new revocations
every ``POLL_SECONDS`` (``services.common.revocation``).
"""
import logging
import os
import threading
import time
from functools import wraps

from flask import g, request

from gateway.extensions import ErrorSchema, rpc
from services.common import auth, revocation
from services.common.errors import Unauthorized

log = logging.getLogger(__name__)

SCHEME = "bearerAuth"
SECURITY = [{SCHEME: []}]

POLL_SECONDS = 1.0

_lock = threading.RLock()
_verifier = None
_watch = {"wanted": False, "pid": None, "revocations": None}


def register_scheme(spec):
    """Declare the bearer scheme that protected operations refer to in the OpenAPI document."""
    spec.components.security_scheme(SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def current_token():
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def verifier():
    """The process's ``auth.KeyedVerifier`` (503 until the public key file exists)."""
    global _verifier
    with _lock:
        revocations = _revocations()
        if _verifier is None:
            _verifier = auth.KeyedVerifier(revocations)
        return _verifier


def watch_revocations():
    """Refuse revoked tokens in this process and in any process forked from it."""
    _watch["wanted"] = True
    _revocations()


def _revocations():
    """This process's ``Revocations``, its polling thread started on first use after a fork;
    None when revocations are not watched (an app made for tests)."""
    global _verifier
    if not _watch["wanted"]:
        return None
    if _watch["pid"] != os.getpid():
        with _lock:
            if _watch["pid"] != os.getpid():
                state = revocation.Revocations()
                poller = revocation.Poller(state, lambda since: rpc.call("accounts", "revocations_since", since))
                threading.Thread(target=_poll, args=(poller,), name="token-revocations", daemon=True).start()
                _watch.update(pid=os.getpid(), revocations=state)
                _verifier = None
    return _watch["revocations"]


def _poll(poller):
    while True:
        poller.poll()
        time.sleep(POLL_SECONDS)


def reset_verifier():
    """Forget the loaded key, so the next request reads it again."""
    global _verifier
    with _lock:
        _verifier = None


def current_caller():
    """The verified ``Caller`` of this request (kept in ``g.caller``); Unauthorized otherwise."""
    _revocations()
    if "caller" not in g:
        token = current_token()
        if token is None:
            raise Unauthorized("A valid access token is required.")
        g.caller = verifier().verify(token)
    return g.caller


def rpc_context():
    """The nameko context data every RPC from a route carries."""
    return {
        "authorization": current_token(),
        "request_id": g.get("request_id"),
        "client_addr": request.remote_addr,
    }


def authenticated(blp):
    """Decorator for a view of ``blp``: verify the token before anything else, and document it.

    Put it right under ``@blp.route`` (or first on a MethodView method) so a request without a
    valid token gets 401 before its arguments are parsed.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            current_caller()
            return func(*args, **kwargs)

        wrapper = blp.alt_response(
            401, schema=ErrorSchema,
            description="No token, or an invalid or expired one (`unauthorized`), or a revoked one "
                        "(`token_revoked`: after a logout, or a change of the user's status, password, "
                        "roles, permissions or sites; refresh, or sign in again)")(wrapper)
        wrapper = blp.alt_response(
            503, schema=ErrorSchema, description="A service, the broker or the token keys are unavailable")(wrapper)
        return blp.doc(security=SECURITY)(wrapper)

    return decorator
