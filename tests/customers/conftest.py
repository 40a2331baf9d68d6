"""The customers service's unit tests: each database starts with the replica of the sites these
tests name, all active (``services.common.sites``), so writes pass the site rule without asking
accounts. A test about disabled or unknown sites changes the replica itself."""
import pytest

from tests.support.sites import known_sites


@pytest.fixture
def db_factory(db_factory):
    def make(service):
        database = db_factory(service)
        known_sites(database)
        return database

    return make


@pytest.fixture
def db(db_factory):
    """A customers database made ready as the service makes it at start (``archive.prepare_database``);
    modules that test the steps before it have a ``db`` of their own."""
    from services.customers import archive

    database = db_factory("customers")
    archive.prepare_database(database)
    return database


@pytest.fixture(autouse=True)
def site_people(monkeypatch):
    """The users accounts would list for an import's site (``site_people``): none unless a test adds
    some to the list this fixture gives; accounts itself is not running in these tests."""
    from services.customers import import_jobs

    people = []
    monkeypatch.setattr(import_jobs, "_people", lambda caller, site_id: list(people))
    return people
