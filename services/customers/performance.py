"""Staff performance over a period: each measure of a site's users, teams and the site itself,
counted from the records as they are now (so every write shows at once).

What counts, and for whom (README, "Staff performance" quotes these):
- ``order_amount`` and ``orders``: the site's orders dated in the period whose status is not draft
  or cancelled, for whom the order counts (``credits``: the customer's owner when it was recorded);
- ``payments``: the amounts of payments dated in the period, likewise;
- ``new_customers``: customers created in the period, for their owner now;
- ``opportunities_won`` / ``opportunities_lost``: opportunities decided in the period, for whom they
  count; ``win_rate``: won / (won + lost);
- ``interactions``: interactions that took place in the period, by kind, for whoever logged them;
- ``followups_on_time``: follow-ups due in the period marked done on or before their due day;
  ``followups_late``: done after it, or still open once it has passed; for their assignee (else
  whoever made them);
- ``tier_upgrades``: tier changes in the period to a higher tier, of the customers a user owns now;
  ``churned_customers``: their customers that became dormant in the period;
- the feedback measures, from the feedback service: feedback assigned (created in the period) and
  resolved (within its SLA or not, with the median hours to resolve), and the CSAT and NPS of the
  survey answers of the customers a user owns now.
Days are the site's (its time zone). A team's measures are the sums of its members'; the site's
count every record of the site, its owner or none. Amounts need ``orders:read``: without it they
are null.
"""
import collections
import datetime
import statistics

from services.common import config, remote, sites
from services.common.clock import utcnow
from services.common.errors import Forbidden, NotFound, Unavailable
from services.customers import lifecycle, store, tiering
from services.customers.contract import INTERACTION_KINDS

AMOUNTS = ("order_amount", "payments")
COUNTS = ("orders", "new_customers", "opportunities_won", "opportunities_lost", "followups_on_time",
          "followups_late", "tier_upgrades", "churned_customers", "feedback_assigned", "feedback_resolved",
          "feedback_resolved_within_sla")
SCORE_PARTS = ("csat_sum", "csat_count", "promoters", "passives", "detractors")
SITE = "*"
SERVICE_FEEDBACK = "feedback"


class Tallies:
    """The raw counts of one site and period: ``of(holder ids)`` sums them; ``SITE`` is the whole site."""

    def __init__(self):
        self.by_user = collections.defaultdict(collections.Counter)
        self.resolve_hours = collections.defaultdict(list)
        self.medians = {}
        self.incomplete = []

    def add(self, user_id, key, value=1):
        self.by_user[SITE][key] += value
        if user_id:
            self.by_user[user_id][key] += value

    def of(self, user_ids):
        total = collections.Counter()
        for user_id in user_ids:
            total.update(self.by_user.get(user_id, {}))
        return total

    def median_hours(self, user_ids):
        if len(user_ids) == 1 and user_ids[0] in self.medians:
            return self.medians[user_ids[0]]
        hours = [h for user_id in user_ids for h in self.resolve_hours.get(user_id, ())]
        return round(statistics.median(hours), 1) if hours else None


def _owner(row, owners):
    return row["_id"].get("owner") or owners.get(row["_id"].get("customer"))


def _current_owners(db, rows):
    """The owners now of the customers of ``rows`` that carry no stamp of whom they count for."""
    return store.customer_owners(db, {row["_id"]["customer"] for row in rows if not row["_id"].get("owner")})


def _local_day(moment, zone):
    """The day of ``moment`` (UTC, naive as stored, or aware) in ``zone``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(zone).date()


def count_orders_and_payments(db, tallies, site_id, period):
    first, last = period.since.isoformat(), period.until.isoformat()
    orders = store.credited_orders(db, site_id, first, last, lifecycle.NOT_COUNTED)
    payments = store.credited_payments(db, site_id, first, last)
    owners = _current_owners(db, orders + payments)
    for row in orders:
        tallies.add(_owner(row, owners), "order_amount", row["amount"] or 0)
        tallies.add(_owner(row, owners), "orders", row["orders"])
    for row in payments:
        tallies.add(_owner(row, owners), "payments", row["amount"] or 0)


def count_opportunities(db, tallies, site_id, start, end):
    rows = store.decided_opportunities(db, site_id, start, end)
    owners = _current_owners(db, rows)
    for row in rows:
        tallies.add(_owner(row, owners), "opportunities_%s" % row["_id"]["stage"], row["count"])


def count_interactions(db, tallies, site_id, start, end):
    for row in store.logged_interactions(db, site_id, start, end):
        if row["_id"].get("kind") in INTERACTION_KINDS:
            tallies.add(row["_id"].get("by"), "interactions.%s" % row["_id"]["kind"], row["count"])


def count_followups(db, tallies, site_id, period, zone, today):
    for task in store.followups_due(db, site_id, period.since.isoformat(), period.until.isoformat()):
        user_id = task.get("assignee_id") or task.get("created_by")
        due = lifecycle.as_date(task["due_date"])
        if task["status"] == "done":
            # Stored before the stamp: its last change; None: done in an imported history, when unknown.
            done = _local_day(task["done_at"] if "done_at" in task else task.get("updated_at"), zone)
            if done is not None:
                tallies.add(user_id, "followups_on_time" if done <= due else "followups_late")
        elif task["status"] == "open" and due < today:
            tallies.add(user_id, "followups_late")


def count_portfolio(db, tallies, site_id, period, start, end):
    """New customers, tier upgrades and churned customers, for the customers' owners now."""
    for customer in store.customers_created(db, site_id, start, end):
        tallies.add(customer.get("owner_id"), "new_customers")
    upgrades = [c for c in store.tier_changes(db, site_id, start, end)
                if tiering.RANK.get(c.get("new_tier"), 0) > tiering.RANK.get(c.get("old_tier"), 0) > 0]
    owners = store.customer_owners(db, {c["customer_id"] for c in upgrades})
    for change in upgrades:
        tallies.add(owners.get(change["customer_id"]), "tier_upgrades")
    first, last = period.since.isoformat(), period.until.isoformat()
    for customer in store.dormant_customers(db, site_id, period.months()):
        if first <= (customer.get("dormant_since") or "") <= last:
            tallies.add(customer.get("owner_id"), "churned_customers")


def count_feedback(db, caller, tallies, site_id, period):
    """The feedback service's measures; a service down or a caller it refuses leaves them out
    (``incomplete``), never the rest of the scorecard. It is waited for half the RPC timeout, so the
    scorecard still answers its own caller in time."""
    try:
        found = remote.call(SERVICE_FEEDBACK, "staff_measures", site_id, period.since.isoformat(),
                            period.until.isoformat(), token=caller.token, timeout=config.get_float("RPC_TIMEOUT") / 2)
    except (Unavailable, Forbidden, NotFound):
        tallies.incomplete.append(SERVICE_FEEDBACK)
        return
    for user_id, measures in (found.get("assignees") or {}).items():
        tallies.add(user_id, "feedback_assigned", measures.get("assigned") or 0)
        tallies.add(user_id, "feedback_resolved", measures.get("resolved") or 0)
        tallies.add(user_id, "feedback_resolved_within_sla", measures.get("resolved_within_sla") or 0)
        tallies.medians[user_id] = measures.get("median_hours_to_resolve")
        tallies.resolve_hours[user_id] = list(measures.get("resolve_hours") or ())
    scores = found.get("customers") or {}
    owners = store.customer_owners(db, list(scores))
    for customer_id, parts in scores.items():
        for key in SCORE_PARTS:
            tallies.add(owners.get(customer_id), key, parts.get(key) or 0)
    tallies.resolve_hours[SITE] = [h for hours in list(tallies.resolve_hours.values()) for h in hours]


def tally(db, caller, site_id, period, today=None, feedback=True):
    """The ``Tallies`` of a site over ``period`` (``today``: the site's day now, for what is late)."""
    zone = sites.zone_of(db, site_id)
    start, end = period.bounds(zone)
    today = today or utcnow().astimezone(zone).date()
    tallies = Tallies()
    count_orders_and_payments(db, tallies, site_id, period)
    count_opportunities(db, tallies, site_id, start, end)
    count_interactions(db, tallies, site_id, start, end)
    count_followups(db, tallies, site_id, period, zone, today)
    count_portfolio(db, tallies, site_id, period, start, end)
    if feedback:
        count_feedback(db, caller, tallies, site_id, period)
    return tallies


def measures(tallies, user_ids, see_amounts):
    """The scorecard measures of the holders ``user_ids`` (``[SITE]``: the site)."""
    counts = tallies.of(user_ids)
    won, lost = counts["opportunities_won"], counts["opportunities_lost"]
    promoters, detractors = counts["promoters"], counts["detractors"]
    answered = promoters + counts["passives"] + detractors
    found = {key: (round(counts[key], 2) if see_amounts else None) for key in AMOUNTS}
    found.update({key: int(counts[key]) for key in COUNTS})
    found.update({
        "win_rate": round(won / (won + lost), 4) if won + lost else None,
        "interactions": dict({kind: int(counts["interactions.%s" % kind]) for kind in INTERACTION_KINDS},
                             total=int(sum(counts["interactions.%s" % kind] for kind in INTERACTION_KINDS))),
        "median_hours_to_resolve": tallies.median_hours(user_ids),
        "csat": round(counts["csat_sum"] / counts["csat_count"], 2) if counts["csat_count"] else None,
        "nps": round(100 * (promoters - detractors) / answered) if answered else None,
    })
    if SERVICE_FEEDBACK in tallies.incomplete:
        for key in ("feedback_assigned", "feedback_resolved", "feedback_resolved_within_sla"):
            found[key] = None
    return found


def value_of(found, measure):
    """A target's measure from a holder's ``measures``."""
    if measure == "interactions":
        return found["interactions"]["total"]
    return found[measure]
