"""Fixtures of the fault tests: a fresh admin session, a site of their own and a writer in it."""
import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.support.api import Api
from tests.support.customers import create_site, create_user, signed_in


@pytest.fixture
def admin(stack):
    """The first admin, signed in now (a session-wide token may have expired by the time these run)."""
    return Api(stack.url).login("admin", ADMIN_PASSWORD)


@pytest.fixture
def site(admin):
    return create_site(admin, "X")


@pytest.fixture
def writer(stack, admin, site):
    """A sales user of ``site``, signed in."""
    return signed_in(stack, create_user(admin, [site["id"]], ["sales"]))
