"""The signing key: only accounts holds it; everyone else verifies with the public key."""
import os

from nameko.extensions import DependencyProvider

from services.accounts.tokens import TokenIssuer, ensure_keypair
from services.common import auth, config

ACCESS_TOKEN_SECONDS = 15 * 60


def private_key_path():
    return config.get("JWT_PRIVATE_KEY_FILE") or os.path.join(config.get("CRM_VAR_DIR"), "keys", "jwt_private.pem")


class TokenSigner(DependencyProvider):
    """Creates the key pair if missing (local runs) and gives workers a ``TokenIssuer``."""

    def setup(self):
        private_pem, _ = ensure_keypair(private_key_path(), auth.public_key_path())
        self.issuer = TokenIssuer(private_pem, ttl_seconds=ACCESS_TOKEN_SECONDS)

    def get_dependency(self, worker_ctx):
        return self.issuer
