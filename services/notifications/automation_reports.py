"""The automation and campaign reports (``automations:manage``): what the rules and campaigns of the
caller's sites did in a period, for the reports page and for scheduled reports.

- automations: each rule with its runs started in the period, by status (index
  ``(rule_id, created_at, _id)``: a rule's runs of the period, one read a rule);
- campaigns: each campaign that ended in the period with its counts of recipients (sent, failed,
  skipped and why), read from the campaigns of the caller's sites.
"""
import datetime

from services.common.clock import utcnow
from services.common.schemas import load
from services.notifications import contract, store

PERMISSION = "automations:manage"


def _period(caller, filters):
    caller.require(PERMISSION)
    filters = load(contract.ActivityReportFilterSchema(), filters or {})
    until = filters.get("until") or utcnow()
    since = filters.get("since") or until - datetime.timedelta(days=30)
    sites = caller.site_scope()
    if filters.get("site_id"):
        caller.require_site(filters["site_id"])
        sites = [filters["site_id"]]
    return sites, since, until


def automations(db, caller, filters=None):
    sites, since, until = _period(caller, filters)
    rows = []
    for rule in store.rules_of_sites(db, sites):
        counts = dict.fromkeys(contract.AUTOMATION_RUN_STATUSES, 0)
        for run in store.runs_between(db, rule["_id"], since, until):
            counts[run["status"]] = counts.get(run["status"], 0) + 1
        rows.append(dict({"rule_id": rule["_id"], "name": rule["name"], "site_id": rule.get("site_id"),
                          "enabled": bool(rule.get("enabled")), "runs": sum(counts.values())}, **counts))
    totals = {status: sum(row[status] for row in rows) for status in contract.AUTOMATION_RUN_STATUSES}
    return {"since": since.isoformat(), "until": until.isoformat(), "rules": rows,
            "totals": dict(totals, runs=sum(totals.values()))}


def campaigns(db, caller, filters=None):
    sites, since, until = _period(caller, filters)
    rows = []
    for campaign in store.campaigns_of_sites(db, sites):
        finished = campaign.get("finished_at")
        if finished is None or not since <= finished.replace(tzinfo=datetime.timezone.utc) <= until:
            continue
        counts = campaign.get("counts") or {}
        rows.append({"campaign_id": campaign["_id"], "name": campaign["name"], "site_id": campaign["site_id"],
                     "channel": campaign["channel"], "status": campaign["status"],
                     "sent": counts.get("sent", 0), "failed": counts.get("failed", 0),
                     "skipped": counts.get("skipped", 0), "opted_out": (campaign.get("skipped_by") or {}).get(
                         "opted_out", 0), "finished_at": finished.isoformat()})
    return {"since": since.isoformat(), "until": until.isoformat(), "campaigns": rows,
            "totals": {key: sum(row[key] for row in rows) for key in ("sent", "failed", "skipped", "opted_out")}}
