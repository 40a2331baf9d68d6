"""The rules of a site's sales teams (``services/accounts/teams.py``) on the real database server:
who may read and write them, their members and leader, names unique per site whatever the case,
stale versions, the audit entries each change queues, and members leaving."""
import datetime

import pytest

from services.accounts import store, teams
from services.common.auth import Caller
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

AT = datetime.datetime(2027, 1, 4, tzinfo=datetime.timezone.utc)
MANAGER_A = Caller("u-boss-a", ["s-a"], ["targets:manage"])
MANAGER_B = Caller("u-boss-b", ["s-b"], ["targets:manage"])
SALES_A = Caller("u-ann", ["s-a"], ["customers:read"])
HQ = Caller("u-hq", ["s-hq"], ["targets:manage", "sites:all"])


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    for code, status in (("a", "active"), ("b", "active"), ("d", "disabled")):
        database.sites.insert_one({"_id": "s-%s" % code, "code": code.upper(), "code_key": code, "name": code,
                                   "timezone": "Asia/Shanghai", "status": status, "version": 1, "created_at": AT})
    for name, user_sites, status in (("ann", ["s-a"], "active"), ("bo", ["s-a", "s-b"], "active"),
                                     ("cy", ["s-a"], "disabled"), ("di", ["s-b"], "active"),
                                     ("ed", ["s-d"], "active")):
        database.users.insert_one({"_id": "u-" + name, "username": name, "username_key": name, "display_name": name,
                                   "sites": user_sites, "status": status, "created_at": AT})
    return database


def audit_entries(db, team_id):
    """The audit events queued in the team's outbox, oldest first."""
    return [event["data"] for event in db.teams.find_one({"_id": team_id}).get("_outbox", [])]


def refused_fields(call, *args):
    with pytest.raises(ValidationFailed) as failure:
        call(*args)
    return failure.value.fields


def test_a_manager_creates_a_team_of_active_users_of_the_site_and_its_creation_is_audited(db):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "  East   coast ",
                                             "member_ids": ["u-ann", "u-bo", "u-ann"], "leader_id": "u-bo"})
    assert {key: team[key] for key in ("site_id", "name", "member_ids", "leader_id", "version")} == {
        "site_id": "s-a", "name": "East coast", "member_ids": ["u-ann", "u-bo"], "leader_id": "u-bo", "version": 1}
    assert set(team) == {"id", "site_id", "name", "member_ids", "leader_id", "version", "created_at", "updated_at"}
    [entry] = audit_entries(db, team["id"])
    assert entry["entity_type"] == "team" and entry["action"] == "created"
    assert entry["changes"]["member_ids"] == {"before": None, "after": ["u-ann", "u-bo"]}
    assert teams.get_team(db, SALES_A, team["id"])["name"] == "East coast"
    empty = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "Nobody yet"})
    assert empty["member_ids"] == [] and empty["leader_id"] is None


@pytest.mark.parametrize("member", ["u-di", "u-cy", "u-nobody"], ids=["other-site", "disabled", "unknown"])
def test_a_member_who_is_not_an_active_user_of_the_site_is_refused_alike(db, member):
    fields = refused_fields(teams.create_team, db, MANAGER_A, {"site_id": "s-a", "name": "T",
                                                              "member_ids": ["u-ann", member]})
    assert fields == {"member_ids": ["Not an active user of this site: %s." % member]}
    assert db.teams.count_documents({}) == 0


def test_the_leader_is_one_of_the_members(db):
    fields = refused_fields(teams.create_team, db, MANAGER_A, {"site_id": "s-a", "name": "T", "member_ids": ["u-ann"],
                                                              "leader_id": "u-bo"})
    assert list(fields) == ["leader_id"]
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "T", "member_ids": ["u-ann"],
                                             "leader_id": "u-ann"})
    # Dropping the leader from the members without naming another leader is refused too.
    fields = refused_fields(teams.update_team, db, MANAGER_A, team["id"], {"member_ids": ["u-bo"], "version": 1})
    assert list(fields) == ["leader_id"]
    changed = teams.update_team(db, MANAGER_A, team["id"], {"member_ids": ["u-bo"], "leader_id": None, "version": 1})
    assert (changed["member_ids"], changed["leader_id"], changed["version"]) == (["u-bo"], None, 2)


def test_names_are_unique_per_site_whatever_their_case_and_free_again_once_deleted(db):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East"})
    with pytest.raises(Conflict) as taken:
        teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "EAST"})
    assert list(taken.value.fields) == ["name"]
    assert teams.create_team(db, MANAGER_B, {"site_id": "s-b", "name": "east"})["site_id"] == "s-b"
    west = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "West"})
    with pytest.raises(Conflict) as renamed:
        teams.update_team(db, MANAGER_A, west["id"], {"name": "east ", "version": 1})
    assert list(renamed.value.fields) == ["name"]
    assert refused_fields(teams.create_team, db, MANAGER_A, {"site_id": "s-a", "name": "   "}) == {
        "name": ["Must not be blank."]}

    teams.delete_team(db, MANAGER_A, team["id"])
    assert teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East"})["id"] != team["id"]
    with pytest.raises(NotFound):
        teams.get_team(db, MANAGER_A, team["id"])
    deleted = audit_entries(db, team["id"])[-1]
    assert deleted["action"] == "deleted" and deleted["changes"]["name"] == {"before": "East", "after": None}


def test_a_stale_version_is_a_conflict_and_an_unchanged_one_writes_nothing(db):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East", "member_ids": ["u-ann"]})
    changed = teams.update_team(db, MANAGER_A, team["id"], {"name": "East 1", "member_ids": ["u-ann", "u-bo"],
                                                            "version": 1})
    assert changed["version"] == 2 and changed["member_ids"] == ["u-ann", "u-bo"]
    entry = audit_entries(db, team["id"])[-1]
    assert entry["action"] == "updated" and set(entry["changes"]) == {"name", "member_ids"}
    with pytest.raises(Conflict) as stale:
        teams.update_team(db, MANAGER_A, team["id"], {"name": "East 2", "version": 1})
    assert stale.value.code == "stale_version"
    assert teams.update_team(db, MANAGER_A, team["id"], {"name": "East 1", "version": 2})["version"] == 2
    assert len(audit_entries(db, team["id"])) == 2


def test_a_member_who_already_belongs_stays_though_only_new_ones_are_checked(db):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East", "member_ids": ["u-ann"]})
    db.users.update_one({"_id": "u-ann"}, {"$set": {"status": "disabled"}})  # a change still being applied
    renamed = teams.update_team(db, MANAGER_A, team["id"], {"name": "East 1", "member_ids": ["u-ann", "u-bo"],
                                                            "version": 1})
    assert renamed["member_ids"] == ["u-ann", "u-bo"]


def test_writes_take_targets_manage_at_the_site_and_another_sites_team_is_not_found(db):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East"})
    with pytest.raises(Forbidden):
        teams.create_team(db, SALES_A, {"site_id": "s-a", "name": "Mine"})
    with pytest.raises(Forbidden):
        teams.update_team(db, SALES_A, team["id"], {"name": "Mine", "version": 1})
    with pytest.raises(Forbidden):
        teams.delete_team(db, SALES_A, team["id"])
    for call, args in ((teams.get_team, (team["id"],)), (teams.update_team, (team["id"], {"name": "X", "version": 1})),
                       (teams.delete_team, (team["id"],)),
                       (teams.create_team, ({"site_id": "s-a", "name": "Theirs"},)),
                       (teams.list_teams, ("s-a",))):
        with pytest.raises(NotFound):
            call(db, MANAGER_B, *args)
    assert teams.get_team(db, HQ, team["id"])["id"] == team["id"]
    assert teams.get_team(db, SALES_A, team["id"])["version"] == 1


def test_a_team_is_made_and_changed_at_an_active_site_only_and_deleted_at_any(db):
    with pytest.raises(ValidationFailed) as failure:
        teams.create_team(db, HQ, {"site_id": "s-d", "name": "Closed"})
    assert list(failure.value.fields) == ["site_id"] and failure.value.code == "site_disabled"
    with pytest.raises(ValidationFailed) as failure:
        teams.create_team(db, HQ, {"site_id": "s-nowhere", "name": "Nowhere"})
    assert failure.value.code == "unknown_site"
    team = teams.create_team(db, HQ, {"site_id": "s-b", "name": "Closing"})
    db.sites.update_one({"_id": "s-b"}, {"$set": {"status": "disabled"}})
    with pytest.raises(ValidationFailed) as failure:
        teams.update_team(db, HQ, team["id"], {"name": "Closed", "version": 1})
    assert failure.value.code == "site_disabled"
    teams.delete_team(db, HQ, team["id"])
    assert store.count_site_teams(db, "s-b") == 0


def test_lists_hold_the_callers_sites_by_site_and_name(db):
    for caller, site, name in ((MANAGER_A, "s-a", "West"), (MANAGER_A, "s-a", "east"), (MANAGER_B, "s-b", "North")):
        teams.create_team(db, caller, {"site_id": site, "name": name})
    gone = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "Gone"})
    teams.delete_team(db, MANAGER_A, gone["id"])
    assert [team["name"] for team in teams.list_teams(db, SALES_A)["items"]] == ["east", "West"]
    assert [team["name"] for team in teams.list_teams(db, SALES_A, "s-a")["items"]] == ["east", "West"]
    assert [team["name"] for team in teams.list_teams(db, HQ)["items"]] == ["east", "West", "North"]
    assert [team["name"] for team in teams.list_teams(db, HQ, "s-b")["items"]] == ["North"]
    assert store.count_site_teams(db, "s-a") == 2


def test_a_user_leaves_the_teams_of_the_sites_they_leave_and_leads_none_of_them(db):
    east = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East", "member_ids": ["u-ann", "u-bo"],
                                             "leader_id": "u-bo"})
    north = teams.create_team(db, MANAGER_B, {"site_id": "s-b", "name": "North", "member_ids": ["u-bo", "u-di"]})
    assert teams.member_teams(db, HQ, "u-bo") == [east["id"], north["id"]]
    assert teams.member_teams(db, MANAGER_B, "u-bo") == [north["id"]]

    assert teams.leave_teams(db, "u-bo", {"s-a"}, actor="u-admin") == [east["id"]]
    after = teams.get_team(db, HQ, east["id"])
    assert (after["member_ids"], after["leader_id"], after["version"]) == (["u-ann"], None, 2)
    entry = audit_entries(db, east["id"])[-1]
    assert entry["action"] == "updated" and entry["changes"]["leader_id"] == {"before": "u-bo", "after": None}
    assert teams.member_teams(db, HQ, "u-bo") == [north["id"]]

    assert teams.leave_teams(db, "u-bo", actor="u-admin") == [north["id"]]
    assert teams.get_team(db, HQ, north["id"])["member_ids"] == ["u-di"]
    assert teams.member_teams(db, HQ, "u-bo") == [] and teams.leave_teams(db, "u-bo") == []


def test_a_member_leaving_while_the_team_changes_leaves_it_all_the_same(db, monkeypatch):
    team = teams.create_team(db, MANAGER_A, {"site_id": "s-a", "name": "East", "member_ids": ["u-ann", "u-bo"]})
    real_update = store.update_team
    raced = []

    def renamed_meanwhile(database, team_id, version, changes, *events):
        if not raced:
            raced.append(True)
            real_update(database, team_id, version, {"name": "East 1", "name_key": "east 1"})
        return real_update(database, team_id, version, changes, *events)

    monkeypatch.setattr(store, "update_team", renamed_meanwhile)
    assert teams.leave_teams(db, "u-ann") == [team["id"]]
    after = teams.get_team(db, MANAGER_A, team["id"])
    assert (after["name"], after["member_ids"], after["version"]) == ("East 1", ["u-bo"], 3)
