"""The caller of an entrypoint, from the signed token in the nameko context data.

Context data travels in message headers anyone on the broker can set, so only the token's
signature is trusted: never a bare user id header.
"""
import os

from nameko.extensions import DependencyProvider

from services.common import auth
from services.common.errors import Unauthorized, Unavailable


class RequestContext:
    def __init__(self, data, verify):
        self.data = data
        self._verify = verify
        self._caller = None

    @property
    def token(self):
        return self.data.get("authorization")

    @property
    def caller(self):
        """The verified caller; Unauthorized when there is no valid token."""
        if self._caller is None:
            if not self.token:
                raise Unauthorized("A valid access token is required.")
            self._caller = self._verify(self.token)
        return self._caller

    @property
    def client_addr(self):
        return self.data.get("client_addr")

    @property
    def request_id(self):
        return self.data.get("request_id")


class CallerContext(DependencyProvider):
    """Gives each worker a ``RequestContext``; the public key is loaded once it exists."""

    def setup(self):
        self.verifier = None

    def _verify(self, token):
        if self.verifier is None:
            if not os.path.exists(auth.public_key_path()):
                raise Unavailable("Token verification keys are not available yet.")
            self.verifier = auth.verifier_from_config()
        return self.verifier.verify(token)

    def get_dependency(self, worker_ctx):
        return RequestContext(worker_ctx.data or {}, self._verify)
