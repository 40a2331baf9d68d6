"""Factory sites through the gateway, on the real stack: renamed, disabled and deleted by
headquarters; every service's replica follows, a fresh one at once; a site is deleted only when
disabled and empty, 409 naming what still belongs to it."""
import pytest

from tests.support import events
from tests.support.api import eventually
from tests.support.customers import create_customer, create_site, create_user, signed_in, unique
from tests.support.servers import service_database

REPLICAS = ("customers", "feedback", "notifications")


@pytest.fixture(scope="module")
def databases(test_env):
    return lambda service: service_database(test_env, service)


@pytest.fixture
def site_events(test_env):
    with events.tap(test_env["AMQP_URI"], "accounts") as tap:
        yield tap


def replica_entry(databases, service, site_id):
    return dict(databases(service).site_directory.find_one({"_id": site_id}) or {}, service=service)


REPLICA_LAG = 60  # seconds: the events queue behind whatever else each service is handling


def error(response):
    return response.json()["error"]


def test_a_site_is_renamed_disabled_and_enabled_and_every_replica_follows(admin_api, databases, site_events):
    site = create_site(admin_api, "Ren")
    renamed = admin_api.patch("/sites/%s" % site["id"], {"name": "Plant Renamed", "version": site["version"]})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["version"], renamed.json()["status"]) == ("Plant Renamed", 2,
                                                                                             "active")
    stale = admin_api.patch("/sites/%s" % site["id"], {"name": "Plant Stale", "version": site["version"]})
    assert stale.status_code == 409 and error(stale)["code"] == "stale_version"

    disabled = admin_api.patch("/sites/%s" % site["id"], {"status": "disabled", "version": 2})
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    event = site_events.received("accounts.site_disabled", site_id=site["id"])[0]
    assert event["data"] == {"site_id": site["id"], "code": site["code"], "name": "Plant Renamed",
                             "timezone": "Asia/Shanghai", "status": "disabled", "version": 3}
    for service in REPLICAS:
        eventually(lambda: replica_entry(databases, service, site["id"]),
                   lambda entry: entry.get("status") == "disabled" and entry.get("version") == 3, timeout=REPLICA_LAG)
    listed = {s["id"]: s for s in admin_api.get("/sites").json()["items"]}
    assert listed[site["id"]]["status"] == "disabled"

    enabled = admin_api.patch("/sites/%s" % site["id"], {"status": "active", "version": 3})
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    assert site_events.received("accounts.site_updated", site_id=site["id"], status="active", version=4)
    for service in REPLICAS:
        eventually(lambda: replica_entry(databases, service, site["id"]), lambda entry: entry.get("version") == 4,
                   timeout=REPLICA_LAG)


def test_bad_changes_are_named_and_only_headquarters_admins_change_sites(stack, admin_api):
    site = create_site(admin_api, "Bad")
    path = "/sites/%s" % site["id"]
    for body, field in (({"status": "closed", "version": 1}, "status"), ({"name": "", "version": 1}, "name"),
                        ({"timezone": "Mars/Olympus", "version": 1}, "timezone"), ({"name": "X"}, "version"),
                        ({"code": "NEW", "version": 1}, "code")):
        response = admin_api.patch(path, body)
        assert response.status_code == 422, (body, response.text)
        assert field in error(response)["fields"], (body, response.text)
    assert admin_api.patch("/sites/no-such-site", {"name": "X", "version": 1}).status_code == 404
    manager = signed_in(stack, create_user(admin_api, [site["id"]], ["manager"]))
    assert manager.patch(path, {"status": "disabled", "version": 1}).status_code == 403
    assert manager.delete(path, params={"confirm": site["code"]}).status_code == 403


def test_users_are_given_only_active_sites_and_keep_a_disabled_one_they_have(admin_api):
    kept, retired = create_site(admin_api, "Keep"), create_site(admin_api, "Ret")
    user = create_user(admin_api, [kept["id"], retired["id"]], ["sales"])
    assert admin_api.patch("/sites/%s" % retired["id"], {"status": "disabled", "version": 1}).status_code == 200
    username = unique("u.")
    refused = admin_api.post("/users", {"username": username, "email": "%s@factory.test" % username,
                                        "password": "Harbour-lantern-quartz-41", "display_name": "New Hand",
                                        "sites": [retired["id"]], "roles": ["sales"]})
    assert refused.status_code == 422 and "sites" in error(refused)["fields"]
    unknown = admin_api.patch("/users/%s" % user["id"], {"sites": [kept["id"], "no-such-site"],
                                                        "version": user["version"]})
    assert unknown.status_code == 422 and "sites" in error(unknown)["fields"]
    changed = admin_api.patch("/users/%s" % user["id"], {"display_name": "Still Here", "sites": [retired["id"]],
                                                        "version": user["version"]})
    assert changed.status_code == 200, changed.text


def test_only_a_disabled_site_nothing_belongs_to_is_deleted(stack, admin_api, databases, site_events):
    site, other = create_site(admin_api, "Del"), create_site(admin_api, "To")
    path = "/sites/%s" % site["id"]
    worker = create_user(admin_api, [site["id"]], ["sales"])
    customer = create_customer(admin_api, site_id=site["id"])

    active = admin_api.delete(path, params={"confirm": site["code"]})
    assert active.status_code == 409 and error(active)["code"] == "site_active"
    assert admin_api.patch(path, {"status": "disabled", "version": 1}).status_code == 200
    wrong = admin_api.delete(path, params={"confirm": "NOT-IT"})
    assert wrong.status_code == 422 and "confirm" in error(wrong)["fields"]

    in_use = admin_api.delete(path, params={"confirm": site["code"]})
    assert in_use.status_code == 409, in_use.text
    body = error(in_use)
    assert body["code"] == "site_in_use" and body["total"] == 2
    assert body["counts"] == {"users": 1, "customers.customers": 1}

    assert admin_api.delete("/users/%s" % worker["id"], params={"confirm": worker["username"]}).status_code == 204
    moved = admin_api.patch("/customers/%s" % customer["id"], {"site_id": other["id"],
                                                              "version": customer["version"]})
    assert moved.status_code == 200, moved.text
    eventually(lambda: admin_api.delete(path, params={"confirm": site["code"]}), lambda r: r.status_code == 204,
               timeout=30)

    assert site["id"] not in {s["id"] for s in admin_api.get("/sites").json()["items"]}
    assert site_events.received("accounts.site_deleted", site_id=site["id"], status="deleted")
    eventually(lambda: replica_entry(databases, "customers", site["id"]),
               lambda entry: entry.get("status") == "deleted", timeout=REPLICA_LAG)
    refused = admin_api.post("/customers", {"legal_name": "Ghost Works %s" % unique(), "site_id": site["id"]})
    assert refused.status_code == 422 and "site_id" in error(refused)["fields"]
    assert admin_api.delete(path, params={"confirm": site["code"]}).status_code == 404
    again = admin_api.post("/sites", {"code": site["code"], "name": "Plant Reborn", "timezone": "Asia/Shanghai"})
    assert again.status_code == 201 and again.json()["id"] != site["id"]


def test_an_unknown_site_is_refused_on_create(admin_api):
    refused = admin_api.post("/customers", {"legal_name": "Nowhere Works %s" % unique(), "site_id": "no-such-site"})
    assert refused.status_code == 422, refused.text
    assert error(refused)["fields"] == {"site_id": ["No such site."]}


def test_every_replica_knows_the_first_site_which_no_event_announced(admin_api, databases):
    """Headquarters is created with the first admin, before any service listens: only the snapshot
    each service takes at start can have taught it."""
    hq = next(s for s in admin_api.get("/sites").json()["items"] if s["code"] == "HQ")
    for service in REPLICAS:
        eventually(lambda: replica_entry(databases, service, hq["id"]), lambda entry: entry.get("status") == "active",
                   timeout=REPLICA_LAG)


def test_a_replica_started_empty_is_filled_from_the_snapshot_at_once(stack, admin_api, databases):
    site = create_site(admin_api, "Snap")
    eventually(lambda: replica_entry(databases, "feedback", site["id"]), lambda entry: "version" in entry,
               timeout=REPLICA_LAG)
    stack.kill("feedback")
    try:
        databases("feedback").site_directory.delete_many({})
    finally:
        stack.start("feedback")
    eventually(lambda: {e["_id"] for e in databases("feedback").site_directory.find({}, {"_id": 1})},
               lambda known: site["id"] in known and len(known) >= 2, timeout=30)
    stack.wait_ready()
