"""Each service's own database, for attack tests that check what a service stored (or did not)."""
import pytest
from pymongo import MongoClient


@pytest.fixture(scope="module")
def service_databases(test_env):
    client = MongoClient(test_env["MONGO_URI"])
    yield lambda service: client["%s_%s" % (test_env["CRM_DB_PREFIX"], service)]
    client.close()


@pytest.fixture(scope="module")
def accounts_db(service_databases):
    return service_databases("accounts")


@pytest.fixture(scope="module")
def customers_db(service_databases):
    return service_databases("customers")


@pytest.fixture(scope="module")
def notifications_db(service_databases):
    return service_databases("notifications")
