"""Each service keeps its database on an embedded server of its own (as `make run` starts them):
after the stack has written through the gateway, every service's database is on its server alone."""
from pymongo import MongoClient

from deploy.processes import SERVICES
from tests.support.api import eventually
from tests.support.customers import create_customer, create_site


def system_databases(server, prefix):
    with MongoClient(server.uri, serverSelectionTimeoutMS=3000) as client:
        return sorted(name for name in client.list_database_names() if name.startswith(prefix + "_"))


def test_each_service_writes_its_database_on_its_own_server_only(admin_api, mongo_server, test_env):
    site = create_site(admin_api, "Srv")
    create_customer(admin_api, site_id=site["id"])
    prefix = test_env["CRM_DB_PREFIX"]
    processes = {mongo_server[service].process.pid for service in SERVICES}
    assert len(processes) == len(SERVICES)
    own_only = {service: ["%s_%s" % (prefix, service)] for service in SERVICES}
    eventually(lambda: {service: system_databases(mongo_server[service], prefix) for service in SERVICES},
               lambda found: found == own_only, timeout=30)
