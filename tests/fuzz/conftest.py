"""Users of their own for the fuzz tests: an admin and a viewer, each at a site of their own, so
nothing the fuzzing does to its users can touch the bootstrapped admin other tests sign in as."""
import types

import pytest

from tests.support.customers import create_site, create_user, signed_in


def member(stack, admin_api, role):
    site = create_site(admin_api, "Fz")
    user = create_user(admin_api, [site["id"]], [role])
    return types.SimpleNamespace(role=role, site=site, user=user, api=signed_in(stack, user))


@pytest.fixture(scope="session")
def fuzz_admin(stack, admin_api):
    return member(stack, admin_api, "admin")


@pytest.fixture(scope="session")
def fuzz_viewer(stack, admin_api):
    return member(stack, admin_api, "viewer")


@pytest.fixture(scope="session")
def bad_input_ctx(stack, admin_api):
    """An admin-role user at a site of its own, with one customer there to aim part, patch and
    feedback requests at."""
    from tests.support.customers import create_customer

    ctx = member(stack, admin_api, "admin")
    ctx.customer = create_customer(ctx.api, site_id=ctx.site["id"])
    return ctx
