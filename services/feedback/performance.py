"""Staff measures: what each assignee did with a site's feedback in a period, and what each customer
said in its survey answers (the feedback side of staff scorecards).

A period is a run of whole days of the site's time zone (the replica of the sites keeps it; an
unknown zone counts in UTC): from the first moment of ``since`` there to the first moment of the
day after ``until``.

- assigned: the feedback items made in the period at the site, by their current assignee (an item
  in its site's queue, with no assignee, counts for nobody).
- resolved: the items first resolved in the period (status to ``resolved``; a resolution after a
  reopening is not another one, as for the SLA), by their assignee at that first resolution, or
  their current assignee for an item resolved before that was recorded.
- resolved_within_sla: of those, the ones that met their SLA (``sla.met_on_resolution``): the
  verdict kept at the resolution, so resolved on or before the due time then in force and never
  marked breached (a breach after a reopening counts against it); an item without a verdict met
  it when its first resolution came on or before its due time.
- median_hours_to_resolve: the median of (first resolution - creation) in hours over those items,
  rounded to 0.1; None without any. ``resolve_hours`` lists those hours (rounded to 0.01, ascending),
  so a team's or the site's median can be taken over its members' items.
- customers: the survey answers given in the period at the site, per customer. An answer's rating
  (1-5) and NPS (0-10) are its answers to the survey's first rating and first NPS question, as the
  satisfaction report counts them (``answers.scores``): ``csat_sum`` and ``csat_count`` add up the
  ratings; NPS answers are promoters (9-10), passives (7-8) or detractors (0-6). A customer whose
  answers hold neither score is left out.

Each source is one query a kind: the site's items by creation time, its items by first resolution,
its survey links by answer time, each a range of the period on an index led by the site. Items and
answers count at the site they are at now (they follow a customer who moves).
"""
import datetime
import statistics
from collections import defaultdict

from services.common import sites
from services.common.clock import day_bounds
from services.common.errors import NotFound
from services.common.schemas import load
from services.feedback import contract, sla, store

UTC = datetime.timezone.utc
MADE_FIELDS = {"assignee_id": 1}
RESOLVED_FIELDS = {"assignee_id": 1, "first_resolved_assignee_id": 1, "created_at": 1, "first_resolved_at": 1,
                   "due_at": 1, "sla_met": 1, "sla_breached_at": 1}
ANSWER_FIELDS = {"customer_id": 1, "rating": 1, "nps": 1}
RATING, NPS = (1, 5), (0, 10)


def _hours(item):
    return (item["first_resolved_at"] - item["created_at"]).total_seconds() / 3600


def _median(values):
    return round(statistics.median(values), 1) if values else None


def _score(value, bounds):
    """A whole score within ``bounds``, or None."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def assignee_measures(made, resolved):
    """``{user_id: {assigned, resolved, resolved_within_sla, median_hours_to_resolve, resolve_hours}}`` from the
    items made in the period (``made``) and those first resolved in it (``resolved``)."""
    counts = defaultdict(lambda: {"assigned": 0, "resolved": 0, "resolved_within_sla": 0})
    hours = defaultdict(list)
    for item in made:
        if item.get("assignee_id"):
            counts[item["assignee_id"]]["assigned"] += 1
    for item in resolved:
        user_id = item.get("first_resolved_assignee_id") or item.get("assignee_id")
        if not user_id:
            continue
        counts[user_id]["resolved"] += 1
        counts[user_id]["resolved_within_sla"] += bool(sla.met_on_resolution(item, item["first_resolved_at"]))
        hours[user_id].append(_hours(item))
    return {user_id: dict(measures, median_hours_to_resolve=_median(hours[user_id]),
                          resolve_hours=sorted(round(h, 2) for h in hours[user_id]))
            for user_id, measures in counts.items()}


def customer_measures(answers):
    """``{customer_id: {csat_sum, csat_count, promoters, passives, detractors}}`` from answered
    survey links (``customer_id``, ``rating``, ``nps``)."""
    found = {}
    for answer in answers:
        rating, nps = _score(answer.get("rating"), RATING), _score(answer.get("nps"), NPS)
        if (rating is None and nps is None) or not answer.get("customer_id"):
            continue
        measures = found.setdefault(answer["customer_id"], {"csat_sum": 0, "csat_count": 0, "promoters": 0,
                                                            "passives": 0, "detractors": 0})
        if rating is not None:
            measures["csat_sum"] += rating
            measures["csat_count"] += 1
        if nps is not None:
            bucket = "promoters" if nps >= 9 else "passives" if nps >= 7 else "detractors"
            measures[bucket] += 1
    return found


def compute(made, resolved, answers):
    """The measures from plain documents (see the module docstring for what each list holds)."""
    return {"assignees": assignee_measures(made, resolved), "customers": customer_measures(answers)}


def site_zone(db, site_id):
    """The site's time zone; NotFound for a site the replica (or accounts, asked) does not know."""
    if sites.status_of(db, site_id) in (None, sites.DELETED):
        raise NotFound("No such site.")
    return sites.zone_of(db, site_id)


def staff_measures(db, caller, site_id, since, until):
    """The measures of ``site_id`` over the days ``since`` through ``until`` (ISO dates) for a
    holder of ``feedback:read`` or ``targets:manage`` with the site among theirs."""
    if not caller.can("targets:manage"):
        caller.require("feedback:read")
    query = load(contract.StaffMeasuresQuerySchema(), {"site_id": site_id, "since": since, "until": until})
    caller.require_site(query["site_id"])
    site_id = query["site_id"]
    start, end = day_bounds(query["since"], query["until"], site_zone(db, site_id))
    return compute(store.feedback_made_between(db, site_id, start, end, MADE_FIELDS),
                   store.feedback_first_resolved_between(db, site_id, start, end, RESOLVED_FIELDS),
                   store.answers_between(db, site_id, start, end, ANSWER_FIELDS))
