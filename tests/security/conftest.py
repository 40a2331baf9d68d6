"""Each service's own database, for attack tests that check what a service stored (or did not)."""
import pytest

from tests.support.servers import service_database


@pytest.fixture(scope="module")
def service_databases(test_env):
    return lambda service: service_database(test_env, service)


@pytest.fixture(scope="module")
def accounts_db(service_databases):
    return service_databases("accounts")


@pytest.fixture(scope="module")
def customers_db(service_databases):
    return service_databases("customers")


@pytest.fixture(scope="module")
def notifications_db(service_databases):
    return service_databases("notifications")
