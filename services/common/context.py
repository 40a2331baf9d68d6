"""The caller of an entrypoint, from the signed token in the nameko context data.

Context data travels in message headers anyone on the broker can set, so only the token's
signature is trusted: never a bare user id header. A revoked token is refused too
(``revocation``): each service process keeps the revocations in memory, learnt from accounts.
"""

import eventlet
from nameko.extensions import DependencyProvider

from services.common import auth, config, remote, revocation
from services.common.errors import Forbidden, Unauthorized


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
        self.revocations = revocation.Revocations()
        self.verifier = auth.KeyedVerifier(self.revocations)
        self.client = remote.Client(self.container.config["AMQP_URI"], size=1)
        self._watcher = None

    def start(self):
        self._watcher = self.container.spawn_managed_thread(self._watch)

    def stop(self):
        if self._watcher is not None:
            self._watcher.kill()
        self.client.close()

    kill = stop

    def _watch(self):
        poller = revocation.Poller(self.revocations, self._fetch)
        while True:
            eventlet.sleep(revocation.CATCH_UP_SECONDS if poller.poll() else 1)

    def _fetch(self, since):
        """accounts' answer to ``revocations_since``, over a proxy kept between calls."""
        return self.client.call("accounts", "revocations_since", since, timeout=config.get_float("RPC_TIMEOUT"))


    def get_dependency(self, worker_ctx):
        allowed = worker_ctx.entrypoint.method_name in self.password_change_methods
        return RequestContext(worker_ctx.data or {}, self.verifier.verify, allowed, self.revocations)
