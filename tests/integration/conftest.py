import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.messaging import QueueConsumer

from tests.conftest import RUN_ID
from tests.support import servers


@pytest.fixture(scope="session")
def integration_amqp_uri(test_env):
    """A vhost of its own, so the end-to-end stack's services never take these tests' messages."""
    vhost = "crm_it_%s" % RUN_ID
    servers.add_vhost(vhost)
    yield servers.amqp_uri_for(vhost)
    servers.delete_vhost(vhost)


@pytest.fixture(scope="session", autouse=True)
def consumers_stop_quickly():
    """nameko's consumers notice a stop only between one-second waits on the socket; these tests
    stop two or three containers each, so their consumers wait a tenth of that."""
    consume = QueueConsumer.consume

    def quick(self, limit=None, timeout=None, safety_interval=0.1, **kwargs):
        return consume(self, limit=limit, timeout=timeout, safety_interval=safety_interval, **kwargs)

    QueueConsumer.consume = quick
    yield
    QueueConsumer.consume = consume


@pytest.fixture
def nameko_config(integration_amqp_uri):
    return {"AMQP_URI": integration_amqp_uri, "serializer": "json"}


@pytest.fixture
def run_service(nameko_config, monkeypatch):
    """Run service classes in-process against the real broker and DB; each test its own databases."""
    import uuid

    monkeypatch.setenv("CRM_DB_PREFIX", "it_%s" % uuid.uuid4().hex[:8])
    containers = []

    def run(cls):
        container = ServiceContainer(cls, nameko_config)
        container.start()
        containers.append(container)
        return container

    yield run
    stopping = [eventlet.spawn(container.stop) for container in containers]
    for thread in stopping:
        thread.wait()


@pytest.fixture
def issue_token(test_env):
    """Sign access tokens with this run's key pair: ``issue_token(perms, sites, user_id)``."""
    import os

    from services.accounts.keys import private_key_path
    from services.accounts.tokens import TokenIssuer, ensure_keypair
    from services.common.auth import public_key_path

    private_pem, _ = ensure_keypair(private_key_path(), public_key_path())
    issuer = TokenIssuer(private_pem)

    def issue(perms, sites, user_id=None):
        return issuer.issue(user_id or "u-" + os.urandom(4).hex(), list(sites), list(perms))[0]

    return issue


@pytest.fixture
def rpc_as(nameko_config):
    """``with rpc_as(token) as cluster: cluster.customers.get_customer(...)``."""
    from nameko.standalone.rpc import ClusterRpcProxy

    def make(token=None):
        return ClusterRpcProxy(nameko_config, context_data={"authorization": token} if token else {}, timeout=15)

    return make


@pytest.fixture
def customers(run_service):
    """The customers service running in-process, knowing the test sites."""
    from services.customers.service import CustomersService
    from tests.support.sites import known_to_running_service

    container = run_service(CustomersService)
    known_to_running_service()
    return container
