"""The caller of an entrypoint, from the signed token in the nameko context data.

Context data travels in message headers anyone on the broker can set, so only the token's
signature is trusted: never a bare user id header. A revoked token is refused too
(``revocation``): each service process keeps the revocations in memory, learnt from accounts.
"""
import logging
import os

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import auth, config, revocation
from services.common.errors import CrmError, Forbidden, Unauthorized, Unavailable

log = logging.getLogger(__name__)


class RequestContext:
    def __init__(self, data, verify, password_change_allowed=False, revocations=None):
        self.data = data
        self._verify = verify
        self._caller = None
        self._password_change_allowed = password_change_allowed
        self.revocations = revocations

    @property
    def token(self):
        return self.data.get("authorization")

    @property
    def caller(self):
        """The verified caller; Unauthorized when there is no valid token."""
        if self._caller is None:
            if not self.token:
                raise Unauthorized("A valid access token is required.")
            caller = self._verify(self.token)
            if caller.must_change_password and not self._password_change_allowed:
                raise Forbidden("Change your password first.", code="password_change_required")
            self._caller = caller
        return self._caller

    @property
    def client_addr(self):
        return self.data.get("client_addr")

    @property
    def request_id(self):
        return self.data.get("request_id")


class CallerContext(DependencyProvider):
    """Gives each worker a ``RequestContext``; the public key is loaded once it exists.

    A token that says its user must change their password is refused (Forbidden
    ``password_change_required``) except by the entrypoints named in ``password_change_methods``.

    A revoked token is refused (Unauthorized ``token_revoked``): the process learns revocations
    from the broadcast event (``revocation.learn_revocation``) and from the accounts RPC
    ``revocations_since``, asked at start and every ``revocation.CATCH_UP_SECONDS`` after.
    """

    def __init__(self, password_change_methods=()):
        self.password_change_methods = frozenset(password_change_methods)

    def setup(self):
        self.verifier = None
        self.revocations = revocation.Revocations()
        self._proxy = self._cluster = self._watcher = None

    def start(self):
        self._watcher = self.container.spawn_managed_thread(self._watch)

    def stop(self):
        if self._watcher is not None:
            self._watcher.kill()
        self._close()

    kill = stop

    def _watch(self):
        poller = revocation.Poller(self.revocations, self._fetch)
        while True:
            eventlet.sleep(revocation.CATCH_UP_SECONDS if poller.poll() else 1)

    def _fetch(self, since):
        """accounts' answer to ``revocations_since``, over one standalone proxy kept between calls."""
        if self._cluster is None:
            self._proxy = ClusterRpcProxy(self.container.config, timeout=config.get_float("RPC_TIMEOUT"))
            self._cluster = self._proxy.start()
        try:
            return self._cluster.accounts.revocations_since(since)
        except (UnknownService, RemoteError, CrmError):  # accounts is not up, or answered: the proxy is fine
            raise
        except Exception:
            self._close()
            raise

    def _close(self):
        proxy, self._proxy, self._cluster = self._proxy, None, None
        if proxy is not None:
            try:
                proxy.stop()
            except Exception:
                log.debug("stopping the revocations proxy", exc_info=True)

    def _verify(self, token):
        if self.verifier is None:
            if not os.path.exists(auth.public_key_path()):
                raise Unavailable("Token verification keys are not available yet.")
            self.verifier = auth.verifier_from_config(self.revocations)
        return self.verifier.verify(token)

    def get_dependency(self, worker_ctx):
        allowed = worker_ctx.entrypoint.method_name in self.password_change_methods
        return RequestContext(worker_ctx.data or {}, self._verify, allowed, self.revocations)
