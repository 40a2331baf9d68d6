"""Each service starts against the real broker and DB, creates its indexes and answers ``health``."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.processes import SERVICES
from services.common.mongo import MongoDatabase


def load(path):
    module_name, class_name = path.split(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_answers_health_and_ensures_indexes(name, run_service, nameko_config):
    container = run_service(load(SERVICES[name]))
    with ClusterRpcProxy(nameko_config, timeout=10) as cluster:
        answer = getattr(cluster, name).health()
    assert answer["service"] == name and answer["db"] is True and answer["version"]
    provider = next(dep for dep in container.dependencies if isinstance(dep, MongoDatabase))
    assert provider.indexes_ready
    for collection in ("outbox",) + tuple(container.service_cls.outbox_collections):
        assert "_pending_1" in provider.db[collection].index_information(), collection
