"""Sales teams through the gateway, on the real broker and database servers: creating, listing,
changing and deleting a team, the conflicts (a name taken, a stale version), the members a team
may have, who may read and write teams, and members who leave their site, are disabled or deleted."""
import types

import pytest

from tests.support.api import eventually
from tests.support.customers import create_site, create_user, signed_in, unique


@pytest.fixture(scope="module")
def crew(stack, admin_api):
    """Sites A and B; a manager and two sales users in A, a manager and a sales user in B, all signed in."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {name: create_user(admin_api, [site["id"]], [role]) for name, site, role in (
        ("manager_a", site_a, "manager"), ("sales_a", site_a, "sales"), ("sales_a2", site_a, "sales"),
        ("manager_b", site_b, "manager"), ("sales_b", site_b, "sales"))}
    return types.SimpleNamespace(site_a=site_a["id"], site_b=site_b["id"], ids={n: u["id"] for n, u in users.items()},
                                 **{name: signed_in(stack, user) for name, user in users.items()})


def created(response, status=201):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def new_team(crew, name=None, members=("sales_a", "sales_a2"), leader="sales_a"):
    body = {"site_id": crew.site_a, "name": name or unique("East "), "member_ids": [crew.ids[m] for m in members]}
    if leader:
        body["leader_id"] = crew.ids[leader]
    return created(crew.manager_a.post("/teams", body))


def error_of(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


def audit_actions(api, team_id, count):
    entries = eventually(lambda: api.get("/audit", params={"entity_type": "team", "entity_id": team_id}).json()[
        "items"], lambda items: len(items) >= count, timeout=20)
    return [entry["action"] for entry in reversed(entries)]


def test_a_manager_creates_lists_changes_and_deletes_a_team_and_each_change_is_audited(crew):
    team = new_team(crew)
    assert team["site_id"] == crew.site_a and team["version"] == 1
    assert team["member_ids"] == [crew.ids["sales_a"], crew.ids["sales_a2"]]
    assert team["leader_id"] == crew.ids["sales_a"]

    listed = created(crew.sales_a.get("/teams", params={"site_id": crew.site_a}), 200)["items"]
    assert team["id"] in [item["id"] for item in listed]
    assert team["id"] in [item["id"] for item in created(crew.sales_a.get("/teams"), 200)["items"]]
    assert created(crew.sales_a2.get("/teams/%s" % team["id"]), 200) == team

    changed = created(crew.manager_a.patch("/teams/%s" % team["id"], {
        "name": team["name"] + " 2", "member_ids": [crew.ids["sales_a2"]], "leader_id": crew.ids["sales_a2"],
        "version": team["version"]}), 200)
    assert (changed["version"], changed["member_ids"], changed["leader_id"]) == (
        2, [crew.ids["sales_a2"]], crew.ids["sales_a2"])
    assert changed["name"] == team["name"] + " 2"

    stale = error_of(crew.manager_a.patch("/teams/%s" % team["id"], {"name": "Late", "version": 1}), 409)
    assert stale["code"] == "stale_version" and list(stale["fields"]) == ["version"]

    created(crew.manager_a.delete("/teams/%s" % team["id"]), 204)
    assert crew.manager_a.get("/teams/%s" % team["id"]).status_code == 404
    assert team["id"] not in [item["id"] for item in crew.manager_a.get("/teams").json()["items"]]
    assert audit_actions(crew.manager_a, team["id"], 3) == ["created", "updated", "deleted"]


def test_a_name_is_taken_in_its_site_whatever_its_case(crew):
    name = unique("West ")
    new_team(crew, name)
    taken = error_of(crew.manager_a.post("/teams", {"site_id": crew.site_a, "name": name.upper()}), 409)
    assert list(taken["fields"]) == ["name"]
    other = created(crew.manager_b.post("/teams", {"site_id": crew.site_b, "name": name}))
    assert other["site_id"] == crew.site_b


def test_members_are_active_users_of_the_site_and_the_leader_one_of_them(crew, admin_api):
    leaving = create_user(admin_api, [crew.site_a], ["sales"])
    created(admin_api.patch("/users/%s" % leaving["id"], {"status": "disabled", "version": leaving["version"]}), 200)
    for outsider in (crew.ids["sales_b"], "no-such-user", leaving["id"]):
        refused = error_of(crew.manager_a.post("/teams", {
            "site_id": crew.site_a, "name": unique("T "), "member_ids": [crew.ids["sales_a"], outsider]}), 422)
        assert list(refused["fields"]) == ["member_ids"], refused
        assert outsider in refused["fields"]["member_ids"][0]
    refused = error_of(crew.manager_a.post("/teams", {
        "site_id": crew.site_a, "name": unique("T "), "member_ids": [crew.ids["sales_a"]],
        "leader_id": crew.ids["sales_a2"]}), 422)
    assert list(refused["fields"]) == ["leader_id"]
    team = new_team(crew)
    refused = error_of(crew.manager_a.patch("/teams/%s" % team["id"], {
        "member_ids": [crew.ids["sales_a"], crew.ids["sales_b"]], "version": team["version"]}), 422)
    assert list(refused["fields"]) == ["member_ids"]
    for body, field in (({"site_id": crew.site_a}, "name"), ({"site_id": crew.site_a, "name": ""}, "name"),
                        ({"site_id": crew.site_a, "name": "T", "member_ids": "x"}, "member_ids"),
                        ({"site_id": crew.site_a, "name": "T", "colour": "red"}, "colour")):
        assert field in error_of(crew.manager_a.post("/teams", body), 422)["fields"]
    assert "version" in error_of(crew.manager_a.patch("/teams/%s" % team["id"], {"name": "T"}), 422)["fields"]


def test_a_sales_user_reads_teams_but_cannot_write_them(crew):
    team = new_team(crew)
    assert crew.sales_a.post("/teams", {"site_id": crew.site_a, "name": unique("Mine ")}).status_code == 403
    assert crew.sales_a.patch("/teams/%s" % team["id"], {"name": "Mine", "version": 1}).status_code == 403
    assert crew.sales_a.delete("/teams/%s" % team["id"]).status_code == 403
    assert created(crew.sales_a.get("/teams/%s" % team["id"]), 200)["version"] == 1


def test_a_manager_of_another_site_finds_no_team_of_this_site(crew):
    team = new_team(crew)
    own = created(crew.manager_b.post("/teams", {"site_id": crew.site_b, "name": unique("North ")}))
    path = "/teams/%s" % team["id"]
    assert crew.manager_b.get(path).status_code == 404
    assert crew.manager_b.patch(path, {"name": "Ours", "version": 1}).status_code == 404
    assert crew.manager_b.delete(path).status_code == 404
    assert crew.manager_b.get("/teams", params={"site_id": crew.site_a}).status_code == 404
    assert crew.manager_b.post("/teams", {"site_id": crew.site_a, "name": unique("Ours ")}).status_code == 404
    listed = created(crew.manager_b.get("/teams"), 200)["items"]
    assert own["id"] in [item["id"] for item in listed] and {item["site_id"] for item in listed} == {crew.site_b}
    assert created(crew.manager_a.get(path), 200)["version"] == 1


def test_a_member_taken_off_the_site_disabled_or_deleted_leaves_the_team(crew, admin_api):
    mover, quitter, gone = (create_user(admin_api, [crew.site_a, crew.site_b], ["sales"]),
                            create_user(admin_api, [crew.site_a], ["sales"]),
                            create_user(admin_api, [crew.site_a], ["sales"]))
    team = created(crew.manager_a.post("/teams", {
        "site_id": crew.site_a, "name": unique("Movers "), "leader_id": mover["id"],
        "member_ids": [crew.ids["sales_a"], mover["id"], quitter["id"], gone["id"]]}))
    other = created(crew.manager_b.post("/teams", {"site_id": crew.site_b, "name": unique("Stay "),
                                                   "member_ids": [mover["id"]]}))

    created(admin_api.patch("/users/%s" % mover["id"], {"sites": [crew.site_b], "version": mover["version"]}), 200)
    after = created(crew.manager_a.get("/teams/%s" % team["id"]), 200)
    assert after["member_ids"] == [crew.ids["sales_a"], quitter["id"], gone["id"]] and after["leader_id"] is None
    assert created(crew.manager_b.get("/teams/%s" % other["id"]), 200)["member_ids"] == [mover["id"]]

    created(admin_api.patch("/users/%s" % quitter["id"], {"status": "disabled", "version": quitter["version"]}), 200)
    created(admin_api.delete("/users/%s" % gone["id"], params={"confirm": gone["username"]}), 204)
    after = created(crew.manager_a.get("/teams/%s" % team["id"]), 200)
    assert after["member_ids"] == [crew.ids["sales_a"]] and after["version"] == 4
    assert audit_actions(crew.manager_a, team["id"], 4) == ["created", "updated", "updated", "updated"]


def test_a_site_keeps_its_teams_until_they_are_deleted_and_is_deleted_after(crew, admin_api):
    site = create_site(admin_api, "T")
    team = created(admin_api.post("/teams", {"site_id": site["id"], "name": unique("Last ")}))
    site = created(admin_api.patch("/sites/%s" % site["id"], {"status": "disabled", "version": site["version"]}), 200)
    refused = error_of(admin_api.patch("/teams/%s" % team["id"], {"name": "Renamed", "version": 1}), 422)
    assert refused["code"] == "site_disabled"
    in_use = error_of(admin_api.delete("/sites/%s" % site["id"], params={"confirm": site["code"]}), 409)
    assert in_use["code"] == "site_in_use" and in_use["counts"] == {"teams": 1}
    created(admin_api.delete("/teams/%s" % team["id"]), 204)
    created(admin_api.delete("/sites/%s" % site["id"], params={"confirm": site["code"]}), 204)
