"""The kit's indexes: the relay's sparse ``_pending`` index on ``outbox`` and on every collection
a service declares in ``outbox_collections``, made by the database dependency, not by each store."""
import importlib
from types import SimpleNamespace

import pytest

from deploy.processes import SERVICES
from services.common.mongo import MongoDatabase


def service_class(name):
    module_name, class_name = SERVICES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_declared_outbox_collection_gets_the_pending_index(name, db_factory):
    service_cls = service_class(name)
    provider = MongoDatabase(name)
    provider.container = SimpleNamespace(service_cls=service_cls)
    provider.setup()
    provider.client.close()
    provider.db = db_factory(name)
    provider.start()
    assert provider.indexes_ready
    assert service_cls.outbox_collections
    for collection in ("outbox",) + tuple(service_cls.outbox_collections):
        assert "_pending_1" in provider.db[collection].index_information(), collection
