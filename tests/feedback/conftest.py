"""The gateway app with a fake RPC layer, as the gateway's own route tests use it."""
from tests.gateway.conftest import app, auth, client, fake_rpc, key_file, signing_key, token  # noqa: F401
