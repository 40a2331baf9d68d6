"""Sales targets: a value of a measure for a period, held by a site, a team or a user, broken down
over the holders inside it; and their attainment, worked out from the records as they are now.

Who sees what: ``targets:manage`` holders set the targets of their sites and see them all; anyone
else sees the targets they hold and those of their teams. A target of an amount (order amount,
payments) is shown only with ``orders:read``.

Attainment: ``actual`` (the measure of the holder over the period, ``performance``), ``percent``
(actual / value), ``remaining`` (what is left to reach the value, never below 0), ``run_rate_needed``
(remaining / the days left, today excluded; null once the period is over), ``projection`` (actual /
the days gone by, today included, times the days of the period; the actual itself once it is over).
"""
import uuid

from services.common import colleagues, remote, sites
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import NotFound, ValidationFailed, stale_version
from services.common.schemas import load
from services.customers import contract, events, performance, periods, store

MANAGE = "targets:manage"
AMOUNT_PERMISSION = "orders:read"
MEMBER_PERMISSION = "customers:read"
INTERNAL = ("_id", "created_at", "updated_at", "version", "deleted_at", "created_by")


def can_see(caller, target, own_teams):
    if target["measure"] in performance.AMOUNTS and not caller.can(AMOUNT_PERMISSION):
        return False
    if caller.can(MANAGE) and caller.has_site(target["site_id"]):
        return True
    return (target["holder_kind"] == "user" and target["holder_id"] == caller.user_id
            or target["holder_kind"] == "team" and target["holder_id"] in own_teams)


def _team(caller, team_id, field="holder_id"):
    try:
        return remote.call("accounts", "team", team_id, token=caller.token)
    except NotFound:
        raise ValidationFailed(fields={field: ["No such team."]})


def own_teams(caller):
    """The ids of the teams the caller belongs to."""
    answer = remote.call("accounts", "member_teams", caller.user_id, token=caller.token)
    return set(answer.get("items", answer) if isinstance(answer, dict) else answer)


def _check_holder(db, caller, site_id, kind, holder_id, parent):
    """The holder fits the site and the parent (422 naming the field); -> its name."""
    if kind == "site":
        if holder_id:
            raise ValidationFailed(fields={"holder_id": ["A site's target names no holder."]})
        if parent is not None:
            raise ValidationFailed(fields={"parent_id": ["A site's target breaks nothing down."]})
        return (sites.find(db, site_id) or {}).get("name")
    if not holder_id:
        raise ValidationFailed(fields={"holder_id": ["Name the team or user."]})
    if parent is not None and parent["holder_kind"] == "user":
        raise ValidationFailed(fields={"parent_id": ["A user's target does not break down."]})
    if kind == "team":
        team = _team(caller, holder_id)
        if team["site_id"] != site_id:
            raise ValidationFailed(fields={"holder_id": ["The team is not of this site."]})
        if parent is not None and parent["holder_kind"] != "site":
            raise ValidationFailed(fields={"parent_id": ["A team's target breaks down only a site's."]})
        return team["name"]
    user = colleagues.check_user(caller, holder_id, site_id, MEMBER_PERMISSION, "holder_id")
    if parent is not None and parent["holder_kind"] == "team":
        if holder_id not in _team(caller, parent["holder_id"], "parent_id").get("member_ids", ()):
            raise ValidationFailed(fields={"holder_id": ["Not a member of the parent's team."]})
    return (user or {}).get("display_name")


def _visible(db, caller, target_id, teams=None):
    target = store.find_target(db, target_id) if isinstance(target_id, str) else None
    if target is None or not caller.has_site(target["site_id"]) or not can_see(
            caller, target, teams if teams is not None else set()):
        raise NotFound("No such target.")
    return target


def create_target(db, caller, data):
    caller.require(MANAGE)
    data = load(contract.TargetSchema(), data)
    parent = None
    if data.get("parent_id"):
        try:
            parent = _visible(db, caller, data["parent_id"])
        except NotFound:
            raise ValidationFailed(fields={"parent_id": ["No such target."]})
        for key in ("site_id", "period", "measure"):
            if data.get(key, parent[key]) != parent[key]:
                raise ValidationFailed(fields={key: ["A breakdown keeps its parent's site, period and measure."]})
            data[key] = parent[key]
    missing = [key for key in ("site_id", "period", "measure") if not data.get(key)]
    if missing:
        raise ValidationFailed(fields={key: ["Missing data for required field."] for key in missing})
    site_id = data["site_id"]
    if not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    period = periods.parse(data["period"])
    holder_name = _check_holder(db, caller, site_id, data["holder_kind"], data.get("holder_id"), parent)
    now = utcnow()
    target = {"_id": uuid.uuid4().hex, "site_id": site_id, "period": period.key, "measure": data["measure"],
              "value": data["value"], "holder_kind": data["holder_kind"], "holder_id": data.get("holder_id"),
              "holder_name": holder_name, "parent_id": parent["_id"] if parent else None, "version": 1,
              "created_at": now, "updated_at": now, "deleted_at": None, "created_by": caller.user_id}
    store.insert_target(db, target, events.audit("target", target["_id"], "created",
                                                 changes_between({}, target, INTERNAL), site_id, caller.user_id))
    return Attainments(db, caller).out(target)


def update_target(db, caller, target_id, data):
    caller.require(MANAGE)
    target = _visible(db, caller, target_id)
    data = load(contract.TargetUpdateSchema(), data)
    changes = {"value": data["value"]}
    diff = changes_between(target, dict(target, **changes), INTERNAL)
    updated = store.update_target(db, target["_id"], data["version"], changes,
                                  events.audit("target", target["_id"], "updated", diff, target["site_id"],
                                               caller.user_id))
    if updated is None:
        raise stale_version("target")
    return Attainments(db, caller).out(updated)


def delete_target(db, caller, target_id):
    """Delete a target and what breaks it down."""
    caller.require(MANAGE)
    target = _visible(db, caller, target_id)
    doomed = [target]
    for found in doomed:
        doomed.extend(store.target_children(db, found["_id"]))
    now = utcnow()
    for found in reversed(doomed):
        store.update_target(db, found["_id"], None, {"deleted_at": now},
                            events.audit("target", found["_id"], "deleted", {}, found["site_id"], caller.user_id))
    return {}


def get_target(db, caller, target_id):
    teams = set() if caller.can(MANAGE) else own_teams(caller)
    target = _visible(db, caller, target_id, teams)
    attainments = Attainments(db, caller)
    children = [c for c in store.target_children(db, target["_id"]) if can_see(caller, c, teams)]
    shown = attainments.out(target)
    shown["children"] = [attainments.out(c) for c in sorted(children, key=lambda c: (c["holder_kind"],
                                                                                     c.get("holder_name") or ""))]
    shown["unassigned"] = round(target["value"] - sum(c["value"] for c in children), 2)
    return shown


def list_targets(db, caller, filters):
    filters = load(contract.TargetFilterSchema(), filters or {})
    if filters.get("site_id"):
        caller.require_site(filters["site_id"])
        site_ids = [filters["site_id"]]
    elif caller.all_sites:
        raise ValidationFailed(fields={"site_id": ["Name the site."]})
    else:
        site_ids = list(caller.sites)
    teams = set() if caller.can(MANAGE) else own_teams(caller)
    attainments = Attainments(db, caller)
    found = []
    for site_id in site_ids:
        period = filters.get("period") or attainments.current_quarter(site_id)
        found += [t for t in store.site_targets(db, site_id, periods.parse(period).key)
                  if can_see(caller, t, teams) and all(t.get(key) == filters[key] for key in (
                      "measure", "holder_kind", "holder_id") if filters.get(key))]
    order = {kind: index for index, kind in enumerate(contract.TARGET_HOLDERS)}
    found.sort(key=lambda t: (t["site_id"], contract.TARGET_MEASURES.index(t["measure"]), order[t["holder_kind"]],
                              t.get("holder_name") or "", t["_id"]))
    return {"items": [attainments.out(t) for t in found]}


class Attainments:
    """The attainment of targets, the measures of each site and period worked out once."""

    def __init__(self, db, caller, today=None):
        self.db, self.caller, self.today = db, caller, today
        self.tallies, self.members = {}, {}

    def site_today(self, site_id):
        return self.today or utcnow().astimezone(sites.zone_of(self.db, site_id)).date()

    def current_quarter(self, site_id):
        return periods.containing(self.site_today(site_id), "quarter").key

    def holders(self, target):
        if target["holder_kind"] == "site":
            return [performance.SITE]
        if target["holder_kind"] == "user":
            return [target["holder_id"]]
        if target["holder_id"] not in self.members:
            try:
                team = remote.call("accounts", "team", target["holder_id"], token=self.caller.token)
            except NotFound:
                team = {}
            self.members[target["holder_id"]] = list(team.get("member_ids") or ())
        return self.members[target["holder_id"]]

    def attainment(self, target, period):
        key = (target["site_id"], period.key)
        if key not in self.tallies:
            self.tallies[key] = performance.tally(self.db, self.caller, target["site_id"], period,
                                                  self.site_today(target["site_id"]), feedback=False)
        found = performance.measures(self.tallies[key], self.holders(target), self.caller.can(AMOUNT_PERMISSION))
        return progress(performance.value_of(found, target["measure"]), target["value"], period,
                        self.site_today(target["site_id"]))

    def out(self, target):
        period = periods.parse(target["period"])
        return dict({key: target.get(key) for key in ("site_id", "measure", "value", "holder_kind", "holder_id",
                                                      "holder_name", "parent_id", "version")},
                    id=target["_id"], created_at=target["created_at"].isoformat(),
                    updated_at=target["updated_at"].isoformat(), attainment=self.attainment(target, period),
                    **period.out())


def progress(actual, value, period, today):
    """The attainment of ``value`` by ``actual`` on ``today`` (see the module's docstring)."""
    elapsed, total = period.elapsed(today), period.days
    shown = {"actual": actual, "days_elapsed": elapsed, "days_total": total, "percent": None, "remaining": None,
             "run_rate_needed": None, "projection": None}
    if actual is None:
        return shown
    remaining = max(value - actual, 0)
    left = total - elapsed
    shown.update(percent=round(actual / value, 4), remaining=round(remaining, 2),
                 run_rate_needed=round(remaining / left, 2) if left > 0 else None,
                 projection=round(actual if left <= 0 else actual / elapsed * total, 2) if elapsed else None)
    return shown
