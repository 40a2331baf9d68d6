"""Users of their own for the fuzz tests: an admin and a viewer of a site of their own, so nothing
the fuzzing does to its users can touch the bootstrapped admin other tests sign in as. The site
holds one record of each main kind, so the links of the API's document (a list's first item, a
created record) lead the stateful fuzzing to real records."""
import types

import pytest

from tests.support.customers import add_part, create_customer, create_site, create_user, order, signed_in, unique


def member(stack, admin_api, site, role):
    user = create_user(admin_api, [site["id"]], [role])
    return types.SimpleNamespace(role=role, site=site, user=user, api=signed_in(stack, user))


@pytest.fixture(scope="session")
def fuzz_site(stack, admin_api):
    site = create_site(admin_api, "Fz")
    customer = create_customer(admin_api, site_id=site["id"])
    add_part(admin_api, customer["id"], "contacts",
             {"name": "Fuzz Contact", "email": "%s@buyer.example" % unique("fz.")})
    add_part(admin_api, customer["id"], "orders", order())
    feedback = admin_api.post("/feedback", {"customer_id": customer["id"], "channel": "phone", "type": "complaint",
                                            "category": "quality", "text": "Seeded for the fuzzing."})
    assert feedback.status_code == 201, feedback.text
    survey = admin_api.post("/surveys", {"title": unique("Fuzz "), "language": "en", "site_id": site["id"],
                                         "questions": [{"kind": "rating", "text": "How satisfied are you?"}]})
    assert survey.status_code == 201, survey.text
    return site


@pytest.fixture(scope="session")
def fuzz_admin(stack, admin_api, fuzz_site):
    """An admin of the fuzz site only (``sites:all`` revoked): the links lead it to records and users
    of that site, never to those of other tests."""
    user = create_user(admin_api, [fuzz_site["id"]], ["admin"])
    limited = admin_api.put("/users/%s/permissions" % user["id"], {"grants": [], "revocations": ["sites:all"]})
    assert limited.status_code == 200 and "sites:all" not in limited.json()["effective"], limited.text
    return types.SimpleNamespace(role="admin", site=fuzz_site, user=user, api=signed_in(stack, user))


@pytest.fixture(scope="session")
def fuzz_viewer(stack, admin_api, fuzz_site):
    return member(stack, admin_api, fuzz_site, "viewer")


@pytest.fixture(scope="session")
def bad_input_ctx(stack, admin_api):
    """An admin-role user at a site of its own, with one customer there to aim part, patch and
    feedback requests at."""
    ctx = member(stack, admin_api, create_site(admin_api, "Fz"), "admin")
    ctx.customer = create_customer(ctx.api, site_id=ctx.site["id"])
    return ctx
