"""A site-limited user administrator cannot escalate (issue 14, item 1; F1), through the gateway.

Two plant administrators of site A try: a manager granted ``users:admin`` (the review's
reproduction) and an admin whose ``sites:all`` was revoked. Each attempt must be refused, and
after a token refresh neither sees more than site A.
"""
import types

import pytest

from tests.support.api import Api
from tests.support.customers import PASSWORD, create_site, create_user, unique


def new_user_body(site_ids, roles, **extra):
    username = unique("dlg.")
    return {"username": username, "email": "%s@factory.test" % username, "password": PASSWORD,
            "display_name": username.title(), "sites": site_ids, "roles": roles, **extra}


def set_permissions(admin_api, user, grants=(), revocations=()):
    response = admin_api.put("/users/%s/permissions" % user["id"],
                             {"grants": list(grants), "revocations": list(revocations)})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    a, b = create_site(admin_api, "A"), create_site(admin_api, "B")
    manager = create_user(admin_api, [a["id"]], ["manager"])
    set_permissions(admin_api, manager, grants=["users:admin"])
    demoted = create_user(admin_api, [a["id"]], ["admin"])
    set_permissions(admin_api, demoted, revocations=["sites:all"])
    hq_admin = create_user(admin_api, [a["id"]], ["admin"])
    both_sites = create_user(admin_api, [a["id"], b["id"]], ["viewer"])
    colleague = create_user(admin_api, [a["id"]], ["viewer"])
    return types.SimpleNamespace(
        a=a, b=b, hq_admin=hq_admin, both_sites=both_sites, colleague=colleague,
        admins={"manager": (manager, Api(stack.url).login(manager["username"], PASSWORD)),
                "demoted": (demoted, Api(stack.url).login(demoted["username"], PASSWORD))})


ADMINS = ("manager", "demoted")


@pytest.mark.parametrize("who", ADMINS)
def test_cannot_create_a_company_wide_admin(plant, who):
    _, api = plant.admins[who]
    response = api.post("/users", new_user_body([plant.a["id"]], ["admin"]))
    assert response.status_code == 403 and "roles" in response.json()["error"]["fields"]
    assert api.post("/users", new_user_body([plant.a["id"]], ["viewer"])).status_code == 201


def test_grants_only_what_it_holds(plant):
    _, api = plant.admins["manager"]
    created = api.post("/users", new_user_body([plant.a["id"]], ["viewer"]))
    assert created.status_code == 201
    target = created.json()
    for grants in (["webhooks:admin"], ["sites:all"], ["sites:admin"]):
        response = api.put("/users/%s/permissions" % target["id"], {"grants": grants, "revocations": []})
        assert response.status_code == 403 and "grants" in response.json()["error"]["fields"], grants
    promote = api.patch("/users/%s" % target["id"], {"roles": ["admin"], "version": target["version"]})
    assert promote.status_code == 403
    ok = api.put("/users/%s/permissions" % target["id"], {"grants": ["reports:read"], "revocations": []})
    assert ok.status_code == 200 and "reports:read" in ok.json()["effective"]


@pytest.mark.parametrize("who", ADMINS)
def test_cannot_change_its_own_permissions_roles_or_sites(plant, who):
    me, api = plant.admins[who]
    own = api.put("/users/%s/permissions" % me["id"], {"grants": ["users:admin", "sites:all"], "revocations": []})
    assert own.status_code == 403
    version = api.get("/me").json()["version"]
    for change in ({"roles": ["admin"]}, {"sites": [plant.a["id"], plant.b["id"]]}):
        assert api.patch("/users/%s" % me["id"], dict(change, version=version)).status_code == 403, change


@pytest.mark.parametrize("who", ADMINS)
def test_cannot_add_users_to_foreign_sites(plant, who):
    _, api = plant.admins[who]
    created = api.post("/users", new_user_body([plant.b["id"]], ["viewer"]))
    assert created.status_code == 422 and "sites" in created.json()["error"]["fields"]
    target = plant.colleague
    current = api.get("/users/%s" % target["id"]).json()
    moved = api.patch("/users/%s" % target["id"], {"sites": [plant.a["id"], plant.b["id"]],
                                                   "version": current["version"]})
    assert moved.status_code == 422 and "sites" in moved.json()["error"]["fields"]


@pytest.mark.parametrize("who", ADMINS)
@pytest.mark.parametrize("target", ("hq_admin", "both_sites"))
def test_cannot_touch_company_wide_or_foreign_users_sharing_a_site(plant, admin_api, who, target):
    _, api = plant.admins[who]
    victim = getattr(plant, target)
    current = api.get("/users/%s" % victim["id"])
    assert current.status_code == 200
    version = current.json()["version"]
    attempts = [
        api.patch("/users/%s" % victim["id"], {"email": "taken.%s" % victim["email"], "version": version}),
        api.patch("/users/%s" % victim["id"], {"status": "disabled", "version": version}),
        api.put("/users/%s/permissions" % victim["id"], {"grants": [], "revocations": ["users:admin"]}),
        api.post("/users/%s/unlock" % victim["id"]),
        api.delete("/users/%s" % victim["id"], params={"confirm": victim["username"]}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    after = admin_api.get("/users/%s" % victim["id"]).json()
    assert after["status"] == "active" and after["email"] == victim["email"] and after["version"] == version


@pytest.mark.parametrize("who", ADMINS)
def test_no_attempt_widened_the_admins_sites(plant, who):
    me, api = plant.admins[who]
    api.refresh()
    assert [site["id"] for site in api.get("/sites").json()["items"]] == [plant.a["id"]]
    assert "sites:all" not in api.get("/me").json()["permissions"]


def test_a_company_wide_admin_still_may(plant, admin_api):
    victim = create_user(admin_api, [plant.a["id"], plant.b["id"]], ["viewer"])
    response = admin_api.patch("/users/%s" % victim["id"], {"status": "disabled", "version": victim["version"]})
    assert response.status_code == 200 and response.json()["status"] == "disabled"
    promoted = admin_api.post("/users", new_user_body([plant.a["id"], plant.b["id"]], ["admin"]))
    assert promoted.status_code == 201 and "sites:all" in promoted.json()["permissions"]
