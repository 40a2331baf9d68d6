"""Per-site settings of customer upkeep: tier thresholds, follow-up cadence per tier, review period.

Defaults (a site that never saved settings uses them):

- VIP: 12-month amount >= 1 000 000, or >= 500 000 for a customer of 3 years or more;
- key: 12-month amount >= 200 000, or 12 orders or more in 12 months; general otherwise;
- follow-up every 30 days (VIP), 60 (key), 90 (general);
- review (定期核对) due 90 days after the last verification;
- the chance an open opportunity is won, by stage, weighting the pipeline forecast: identified 10 %,
  contacted 20 %, needs analysis 40 %, proposal 60 %, negotiation 80 %.

Reading them needs ``customers:read``; changing them needs ``settings:write`` (managers and
admins) on one of the caller's sites, an active one (422 ``site_id`` for a disabled site).
"""
from services.common import sites
from services.common.envelope import changes_between, jsonable
from services.common.errors import ValidationFailed, stale_version
from services.common.schemas import load
from services.customers import contract, events, store

DEFAULTS = {
    "tier_thresholds": {"vip_amount": 1000000.0, "vip_loyal_amount": 500000.0, "vip_loyal_years": 3.0,
                        "key_amount": 200000.0, "key_orders": 12},
    "followup_days": {"vip": 30, "key": 60, "general": 90},
    "review_days": 90,
    "stage_probabilities": {"identified": 10, "contacted": 20, "needs_analysis": 40, "proposal": 60, "negotiation": 80},
}
SECTIONS = ("tier_thresholds", "followup_days", "stage_probabilities")
RECOMPUTED_BY = ("tier_thresholds", "followup_days", "review_days")


def effective(stored):
    """The settings a site works with: its stored values over the defaults."""
    stored = stored or {}
    result = {section: dict(DEFAULTS[section], **(stored.get(section) or {})) for section in SECTIONS}
    result["review_days"] = stored.get("review_days") or DEFAULTS["review_days"]
    result["version"] = stored.get("version", 0)
    return result


def for_site(db, site_id):
    return effective(store.find_settings(db, site_id))


def out(site_id, settings):
    return jsonable(dict(settings, site_id=site_id))


def get_settings(db, caller, site_id):
    caller.require("customers:read")
    caller.require_site(site_id)
    return out(site_id, for_site(db, site_id))


def update_settings(db, caller, site_id, data):
    caller.require("settings:write")
    caller.require_site(site_id)
    sites.require(db, site_id)
    data = load(contract.SettingsUpdateSchema(), data)
    version = data.pop("version")
    before = for_site(db, site_id)
    after = dict(before)
    for section in SECTIONS:
        if section in data:
            after[section] = dict(before[section], **data[section])
    if "review_days" in data:
        after["review_days"] = data["review_days"]
    thresholds = after["tier_thresholds"]
    if thresholds["vip_amount"] < thresholds["key_amount"] or thresholds["vip_loyal_amount"] > thresholds["vip_amount"]:
        raise ValidationFailed("Thresholds must rise from key to VIP.", {"tier_thresholds": [
            "Need key_amount <= vip_amount and vip_loyal_amount <= vip_amount."]})
    changes = {key: after[key] for key in SECTIONS + ("review_days",)}
    diff = changes_between({k: before[k] for k in changes}, changes)
    audit = events.audit("customer_settings", site_id, "updated", diff, site_id, caller.user_id)
    saved = store.save_settings(db, site_id, version, changes, audit)
    if saved is None:
        raise stale_version("settings", plural=True)
    if set(diff) & set(RECOMPUTED_BY):
        store.request_run(db, "recompute")
    return out(site_id, effective(saved))
