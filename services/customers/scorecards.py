"""Scorecards, leaderboards and their download: the ``performance`` measures of a user, a team or
every user of a site over a period.

Who sees what: anyone sees their own scorecard and their teams'; ``targets:manage`` holders see
every user's and team's of their sites, the site's leaderboard and its download. Amounts need
``orders:read`` (null without it; a leaderboard of an amount refuses without it)."""
from services.common import remote
from services.common.errors import NotFound, ValidationFailed
from services.common.schemas import load
from services.customers import contract, performance, periods
from services.customers.targets import AMOUNT_PERMISSION, MANAGE, Attainments

READ = "customers:read"
INTERACTION_COLUMNS = tuple("interactions_%s" % kind for kind in contract.INTERACTION_KINDS)
EXPORT_COLUMNS = ("user_id", "display_name") + tuple(
    column for measure in contract.PERFORMANCE_MEASURES
    for column in ((measure,) + INTERACTION_COLUMNS if measure == "interactions" else (measure,)))
AMOUNT_KIND = "amount"
LESS_IS_BETTER = ("opportunities_lost", "followups_late", "median_hours_to_resolve", "churned_customers")
FEEDBACK_MEASURES = ("feedback_assigned", "feedback_resolved", "feedback_resolved_within_sla",
                     "median_hours_to_resolve", "csat", "nps")


def site_of(caller, site_id):
    """The site asked about: one of the caller's (404), or their only one."""
    if site_id:
        caller.require_site(site_id)
        return site_id
    if caller.all_sites or len(caller.sites) != 1:
        raise ValidationFailed(fields={"site_id": ["Name the site."]})
    return caller.sites[0]


def period_of(db, caller, site_id, key):
    return periods.parse(key) if key else periods.parse(Attainments(db, caller).current_quarter(site_id))


def _team(caller, team_id, site_id):
    try:
        team = remote.call("accounts", "team", team_id, token=caller.token)
    except NotFound:
        team = None
    if not team or team.get("site_id") != site_id:
        raise NotFound("No such team.")
    if not caller.can(MANAGE) and caller.user_id not in (team.get("member_ids") or ()):
        raise NotFound("No such team.")
    return team


def _user(caller, user_id, site_id):
    """A user of the site (404 otherwise); anyone but oneself needs ``targets:manage``."""
    if user_id != caller.user_id:
        caller.require(MANAGE)
    answer = remote.call("accounts", "user_directory", [user_id], token=caller.token)
    user = next((u for u in answer.get("items", []) if u["id"] == user_id), None)
    if user is None or site_id not in user.get("sites", ()):
        raise NotFound("No such user.")
    return user


def scorecard(db, caller, query):
    caller.require(READ)
    query = load(contract.ScorecardQuerySchema(), query or {})
    if query.get("user_id") and query.get("team_id"):
        raise ValidationFailed(fields={"team_id": ["Either a user or a team."]})
    site_id = site_of(caller, query.get("site_id"))
    period = period_of(db, caller, site_id, query.get("period"))
    if query.get("team_id"):
        team = _team(caller, query["team_id"], site_id)
        holder = {"holder_kind": "team", "holder_id": team["id"], "holder_name": team.get("name")}
        members = list(team.get("member_ids") or ())
    else:
        user = _user(caller, query.get("user_id") or caller.user_id, site_id)
        holder = {"holder_kind": "user", "holder_id": user["id"], "holder_name": user.get("display_name")}
        members = [user["id"]]
    tallies = performance.tally(db, caller, site_id, period)
    return dict(period.out(), site_id=site_id, measures=performance.measures(
        tallies, members, caller.can(AMOUNT_PERMISSION)), incomplete=tallies.incomplete, **holder)


def staff(caller, site_id):
    """The active users of the site: ``[{id, display_name}]``."""
    return remote.call("accounts", "site_staff", site_id, token=caller.token).get("items", [])


def scalar(found, measure):
    return found["interactions"]["total"] if measure == "interactions" else found[measure]


def leaderboard(db, caller, query):
    caller.require(MANAGE)
    query = load(contract.LeaderboardQuerySchema(), query or {})
    measure = query["measure"]
    if measure in performance.AMOUNTS:
        caller.require(AMOUNT_PERMISSION)
    site_id = site_of(caller, query.get("site_id"))
    period = period_of(db, caller, site_id, query.get("period"))
    tallies = performance.tally(db, caller, site_id, period, feedback=measure in FEEDBACK_MEASURES)
    rows = [{"user_id": user["id"], "name": user.get("display_name"),
             "value": scalar(performance.measures(tallies, [user["id"]], True), measure)}
            for user in staff(caller, site_id)]
    return dict(period.out(), site_id=site_id, measure=measure, items=ranked(rows, measure))


def ranked(rows, measure):
    """``rows`` (``{user_id, name, value}``) best first: the highest value, or the lowest for a measure
    where less is better (``LESS_IS_BETTER``); no value last; equal values share a rank."""
    sign = 1 if measure in LESS_IS_BETTER else -1
    rows = sorted(rows, key=lambda row: (row["value"] is None, sign * (row["value"] or 0), row["name"] or "",
                                         row["user_id"]))
    rank, previous = 0, object()
    for index, row in enumerate(rows, 1):
        if row["value"] != previous:
            rank, previous = index, row["value"]
        row["rank"] = rank
    return rows


def export_rows(db, caller, query):
    """Every user's scorecard of a site as a download page ``{columns, kinds, rows, filename}``."""
    caller.require(MANAGE)
    query = load(contract.LeaderboardQuerySchema(), query or {})
    site_id = site_of(caller, query.get("site_id"))
    period = period_of(db, caller, site_id, query.get("period"))
    tallies = performance.tally(db, caller, site_id, period)
    see_amounts = caller.can(AMOUNT_PERMISSION)
    rows = []
    for user in sorted(staff(caller, site_id), key=lambda u: (u.get("display_name") or "", u["id"])):
        found = performance.measures(tallies, [user["id"]], see_amounts)
        counts = dict(found, **{column: found["interactions"][column.split("_", 1)[1]]
                                for column in INTERACTION_COLUMNS}, interactions=found["interactions"]["total"])
        rows.append([user["id"], user.get("display_name")] + [counts[column] for column in EXPORT_COLUMNS[2:]])
    kinds = ["text", "text"] + [AMOUNT_KIND if column in performance.AMOUNTS else None for column in EXPORT_COLUMNS[2:]]
    return {"columns": list(EXPORT_COLUMNS), "kinds": kinds, "rows": rows,
            "filename": "scorecards-%s-%s.xlsx" % (site_id, period.key)}
