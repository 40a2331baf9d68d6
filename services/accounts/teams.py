"""A site's sales teams: a name unique in the site whatever its case, members who are active users
of the site, and a leader among them.

Any signed-in user of the site reads its teams; creating, changing and deleting one takes
``targets:manage`` at the site (another site's team or site is 404, as if it did not exist). Every
change is audited (entity ``team``). A user disabled, deleted or taken off a site leaves its teams
there (``leave_teams``, called where accounts makes those changes). A deleted team stays as a
tombstone (status ``deleted``, no members, its name free again) that no read returns.
"""
import uuid

from services.accounts import contract, events, store
from services.common import sites
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import NotFound, ValidationFailed, stale_version
from services.common.schemas import load

TEAM = contract.TeamSchema()
ACTIVE, DELETED = "active", "deleted"
AUDITED = ("site_id", "name", "member_ids", "leader_id")
MANAGE = "targets:manage"
# Writes without a version (a member leaving, a delete) that lose a race are tried again this often.
LEAVE_ATTEMPTS = 5


def name_key(name):
    """What two names of one site must not share: the name without surrounding or repeated spaces,
    case-folded."""
    return " ".join(name.split()).casefold()


def clean_name(name):
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(fields={"name": ["Must not be blank."]})
    return name


def unique_ids(ids):
    return list(dict.fromkeys(ids))


def new_team(site_id, name, member_ids, leader_id):
    now = utcnow()
    return {"_id": uuid.uuid4().hex, "site_id": site_id, "name": name, "name_key": name_key(name),
            "member_ids": member_ids, "leader_id": leader_id, "status": ACTIVE, "created_at": now,
            "updated_at": now, "version": 1}


def audited(team):
    return {field: team.get(field) for field in AUDITED}


def _audit(team, action, before, after, actor):
    return events.audit("team", team["_id"], action, changes_between(before, after), team["site_id"], actor)


def out(team):
    return TEAM.dump(team)


def visible(db, caller, team_id):
    """The live team ``team_id`` at one of the caller's sites; NotFound otherwise."""
    team = store.find_team(db, team_id) if isinstance(team_id, str) else None
    if team is None or team.get("status") == DELETED or not caller.has_site(team["site_id"]):
        raise NotFound("No such team.")
    return team


def check_site(db, site_id):
    """A team is made or changed only at an active site (422 ``site_id``)."""
    site = store.find_site(db, site_id)
    sites.refuse_unless_active(None if site is None else site.get("status") or sites.ACTIVE)


def check_people(db, site_id, member_ids, leader_id, kept=()):
    """Members are active users of the site (those in ``kept``, already members, are not asked
    again) and the leader one of them: 422 naming ``member_ids`` or ``leader_id``. An unknown id,
    another site's user and an inactive one are refused alike, so ids of other sites don't leak."""
    asked = [user_id for user_id in member_ids if user_id not in kept]
    found = {user["_id"] for user in store.active_users(db, {"_id": 1}, ids=asked, sites=[site_id])} if asked else set()
    refused = [user_id for user_id in asked if user_id not in found]
    if refused:
        raise ValidationFailed(fields={"member_ids": [
            "Not an active user of this site: %s." % ", ".join(refused)]})
    if leader_id is not None and leader_id not in member_ids:
        raise ValidationFailed(fields={"leader_id": ["Must be one of the team's members."]})


def get_team(db, caller, team_id):
    return out(visible(db, caller, team_id))


def list_teams(db, caller, site_id=None):
    """The teams of ``site_id`` (one of the caller's: 404 otherwise), or of every site of the caller,
    by site and name."""
    if site_id is not None:
        caller.require_site(site_id)
        scope = [site_id]
    else:
        scope = caller.site_scope()
    return {"items": [out(team) for team in store.list_teams(db, scope) if team.get("status") != DELETED]}


def member_teams(db, caller, user_id):
    """The ids of the teams ``user_id`` belongs to, at the caller's sites, by name."""
    if not isinstance(user_id, str):
        return []
    teams = [team for team in store.member_teams(db, user_id)
             if team.get("status") != DELETED and caller.has_site(team["site_id"])]
    return [team["_id"] for team in sorted(teams, key=lambda team: (team["name_key"], team["_id"]))]


def create_team(db, caller, data):
    data = load(contract.TeamCreateSchema(), data)
    caller.require_site(data["site_id"])
    caller.require(MANAGE)
    check_site(db, data["site_id"])
    name = clean_name(data["name"])
    member_ids = unique_ids(data["member_ids"])
    check_people(db, data["site_id"], member_ids, data["leader_id"])
    team = new_team(data["site_id"], name, member_ids, data["leader_id"])
    store.insert_team(db, team, _audit(team, "created", {}, audited(team), caller.user_id))
    return out(team)


def update_team(db, caller, team_id, data):
    """Rename a team, or set its members or leader (``data.version`` required; stale is 409)."""
    team = visible(db, caller, team_id)
    caller.require(MANAGE)
    data = load(contract.TeamUpdateSchema(), data)
    check_site(db, team["site_id"])
    version = data.pop("version")
    if "name" in data:
        data["name"] = clean_name(data["name"])
    if "member_ids" in data:
        data["member_ids"] = unique_ids(data["member_ids"])
    changes = {field: value for field, value in data.items() if team.get(field) != value}
    if not changes:
        if team["version"] != version:
            raise stale_version("team")
        return out(team)
    check_people(db, team["site_id"], changes.get("member_ids", team["member_ids"]),
                 changes.get("leader_id", team.get("leader_id")), kept=team["member_ids"])
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"])
    updated = store.update_team(db, team_id, version, changes, _audit(
        team, "updated", audited(team), audited(dict(team, **changes)), caller.user_id))
    if updated is None:
        raise stale_version("team")
    return out(updated)


def delete_team(db, caller, team_id):
    """Delete a team, also of a disabled site (a site is deleted only once it has no team)."""
    team = visible(db, caller, team_id)
    caller.require(MANAGE)
    changes = {"status": DELETED, "name_key": "deleted:%s" % team["_id"], "member_ids": [], "leader_id": None,
               "deleted_at": utcnow()}
    for _ in range(LEAVE_ATTEMPTS):  # a change meanwhile (a member leaving) is read again: no version is sent
        if store.update_team(db, team_id, team["version"], changes,
                             _audit(team, "deleted", audited(team), {}, caller.user_id)) is not None:
            return {}
        team = visible(db, caller, team_id)
    raise stale_version("team")


def leave_teams(db, user_id, site_ids=None, actor=None):
    """``user_id`` leaves its teams at ``site_ids`` (None: at every site: disabled or deleted), and
    leads none of them any more; each team's change audited. -> the ids of the teams left."""
    left = []
    for team in store.member_teams(db, user_id):
        for _ in range(LEAVE_ATTEMPTS):
            if team is None or user_id not in team.get("member_ids", ()) or team.get("status") == DELETED or (
                    site_ids is not None and team["site_id"] not in site_ids):
                break
            changes = {"member_ids": [member for member in team["member_ids"] if member != user_id]}
            if team.get("leader_id") == user_id:
                changes["leader_id"] = None
            if store.update_team(db, team["_id"], team["version"], changes, _audit(
                    team, "updated", audited(team), audited(dict(team, **changes)), actor)) is not None:
                left.append(team["_id"])
                break
            team = store.find_team(db, team["_id"])
    return left
