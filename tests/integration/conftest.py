import pytest
from nameko.containers import ServiceContainer


@pytest.fixture
def nameko_config(test_env):
    return {"AMQP_URI": test_env["AMQP_URI"], "serializer": "json"}


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
    for container in containers:
        container.stop()
