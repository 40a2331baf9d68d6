"""The satisfaction report: scores, response rate, common problems, SLA compliance, monthly trend.

Sources, all within the period and the caller's sites: feedback items by creation time, survey
links by sending time (response rate: how many of them were answered), survey answers by answer
time. CSAT counts the ratings of survey answers and of feedback given with a rating outside a
survey (items made from a low survey score would count twice otherwise).
"""
import statistics
from collections import Counter, defaultdict

from services.common import sites as directory
from services.common.schemas import load
from services.feedback import contract, store

TOP = 5
ITEM_FIELDS = {"category": 1, "severity": 1, "type": 1, "channel": 1, "rating": 1, "sla_met": 1, "created_at": 1,
               "first_resolved_at": 1}
RESPONSE_FIELDS = {"rating": 1, "nps": 1, "answered_at": 1}


def satisfaction(db, caller, filters):
    caller.require("reports:read")
    filters = load(contract.ReportFilterSchema(), filters or {})
    site_id = filters.get("site_id")
    if site_id:
        caller.require_site(site_id)
    sites = [site_id] if site_id else caller.site_scope()
    since, until = filters.get("since"), filters.get("until")
    feedback = store.feedback_made(db, sites, since, until, ITEM_FIELDS)
    linked = sorted(directory.known_ids(db)) if sites is None else sites
    sent = store.links_in_period(db, "created_at", linked, since, until, {"used_at": 1})
    responses = store.links_in_period(db, "answered_at", linked, since, until, RESPONSE_FIELDS)
    report = compute(feedback, sent, responses)
    report["filters"] = {"site_id": site_id, "since": filters.get("since") and filters["since"].isoformat(),
                         "until": filters.get("until") and filters["until"].isoformat()}
    return report


def _ratio(part, whole, digits=4):
    return round(part / whole, digits) if whole else None


def _mean(values):
    return round(statistics.fmean(values), 2) if values else None


def nps(scores):
    """``{score, promoters, passives, detractors, count}``; score = % promoters (9-10) - % detractors (0-6)."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    score = round(100 * (promoters - detractors) / len(scores), 1) if scores else None
    return {"score": score, "promoters": promoters, "passives": len(scores) - promoters - detractors,
            "detractors": detractors, "count": len(scores)}


def csat(ratings):
    return {"average": _mean(ratings), "satisfied_share": _ratio(sum(1 for r in ratings if r >= 4), len(ratings)),
            "count": len(ratings)}


def _month(moment):
    return moment.strftime("%Y-%m")


def _ratings(feedback, responses):
    from_items = [(i["created_at"], i["rating"]) for i in feedback if i.get("rating") and i.get("channel") != "survey"]
    from_answers = [(r["answered_at"], r["rating"]) for r in responses if r.get("rating") is not None]
    return from_items + from_answers


def trend(feedback, responses):
    months = defaultdict(lambda: {"feedback": 0, "complaints": 0, "ratings": [], "nps": [], "responses": 0})
    for item in feedback:
        month = months[_month(item["created_at"])]
        month["feedback"] += 1
        month["complaints"] += item["type"] == "complaint"
    for at, rating in _ratings(feedback, responses):
        months[_month(at)]["ratings"].append(rating)
    for response in responses:
        month = months[_month(response["answered_at"])]
        month["responses"] += 1
        if response.get("nps") is not None:
            month["nps"].append(response["nps"])
    return [{"month": key, "feedback": m["feedback"], "complaints": m["complaints"], "responses": m["responses"],
             "csat_average": _mean(m["ratings"]), "nps": nps(m["nps"])["score"]} for key, m in sorted(months.items())]


def compute(feedback, sent, responses):
    """The report from plain documents (see the module docstring for what each list holds)."""
    complaints = Counter(i["category"] for i in feedback if i["type"] == "complaint")
    met = sum(1 for i in feedback if i.get("sla_met") is True)
    missed = sum(1 for i in feedback if i.get("sla_met") is False)
    hours = [(i["first_resolved_at"] - i["created_at"]).total_seconds() / 3600
             for i in feedback if i.get("first_resolved_at")]
    answered = sum(1 for link in sent if link.get("used_at"))
    return {
        "feedback": {"total": len(feedback),
                     "by_category": dict(Counter(i["category"] for i in feedback)),
                     "by_severity": dict(Counter(i["severity"] for i in feedback)),
                     "by_type": dict(Counter(i["type"] for i in feedback)),
                     "by_channel": dict(Counter(i["channel"] for i in feedback))},
        "top_categories": [{"category": c, "complaints": n, "share": _ratio(n, sum(complaints.values()))}
                           for c, n in sorted(complaints.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]],
        "csat": csat([rating for _, rating in _ratings(feedback, responses)]),
        "nps": nps([r["nps"] for r in responses if r.get("nps") is not None]),
        "response_rate": {"sent": len(sent), "answered": answered, "rate": _ratio(answered, len(sent))},
        "sla": {"met": met, "missed": missed, "compliance": _ratio(met, met + missed)},
        "median_hours_to_resolve": round(statistics.median(hours), 2) if hours else None,
        "trend": trend(feedback, responses),
    }
