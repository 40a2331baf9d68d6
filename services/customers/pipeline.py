"""The sales forecast of a site for a period, against its order-amount target.

- ``actual``: the order amount of the period so far (``performance``: counted orders dated in it);
- ``pipeline``: the open opportunities expected to close in the period, each stage's expected
  amounts weighted by the site's chance of winning at that stage (settings ``stage_probabilities``);
  an open opportunity without an expected close date or amount adds nothing;
- ``expected_reorders``: the customers whose next order the reorder forecast expects from today to
  the period's end, with its expected amount (an order expected earlier and not placed is overdue,
  not counted);
- ``forecast``: actual + weighted pipeline + expected reorders; ``gap``: target - forecast.
Needs ``orders:read`` and the site."""
import datetime

from services.common.schemas import load
from services.customers import contract, performance, settings, store
from services.customers.contract import OPEN_STAGES
from services.customers.scorecards import period_of, site_of
from services.customers.targets import AMOUNT_PERMISSION, Attainments

KEY = "expected_order:%s"


def _days(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def pipeline(db, caller, query):
    caller.require(AMOUNT_PERMISSION)
    query = load(contract.PipelineQuerySchema(), query or {})
    site_id = site_of(caller, query.get("site_id"))
    period = period_of(db, caller, site_id, query.get("period"))
    today = Attainments(db, caller).site_today(site_id)
    chances = settings.for_site(db, site_id)["stage_probabilities"]
    found = {row["_id"]: row for row in store.open_opportunities_closing(
        db, site_id, period.since.isoformat(), period.until.isoformat(), OPEN_STAGES)}
    stages = []
    for stage in OPEN_STAGES:
        row = found.get(stage) or {}
        amount = round(row.get("amount") or 0, 2)
        stages.append({"stage": stage, "count": row.get("count", 0), "amount": amount,
                       "probability": chances[stage], "weighted": round(amount * chances[stage] / 100, 2)})
    tallies = performance.Tallies()
    performance.count_orders_and_payments(db, tallies, site_id, period)
    actual = round(tallies.of([performance.SITE])["order_amount"], 2)
    first = max(today, period.since)
    due = store.customers_due(db, site_id, [KEY % day.isoformat() for day in _days(first, period.until)]) \
        if first <= period.until else []
    reorders = {"customers": len(due), "amount": round(sum((c.get("forecast") or {}).get("amount") or 0
                                                            for c in due), 2)}
    weighted = round(sum(s["weighted"] for s in stages), 2)
    forecast = round(actual + weighted + reorders["amount"], 2)
    target = next((t for t in store.site_targets(db, site_id, period.key)
                   if t["measure"] == "order_amount" and t["holder_kind"] == "site"), None)
    return dict(period.out(), site_id=site_id, stages=stages, pipeline=weighted, expected_reorders=reorders,
                actual=actual, forecast=forecast, target=target["value"] if target else None,
                target_id=target["_id"] if target else None,
                gap=round(target["value"] - forecast, 2) if target else None, as_of=today.isoformat())

