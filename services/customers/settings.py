"""Per-site settings of customer upkeep: tier thresholds, follow-up cadence per tier, review period.

Defaults (a site that never saved settings uses them):

- VIP: 12-month amount >= 1 000 000, or >= 500 000 for a customer of 3 years or more;
- key: 12-month amount >= 200 000, or 12 orders or more in 12 months; general otherwise;
- follow-up every 30 days (VIP), 60 (key), 90 (general);
- review (定期核对) due 90 days after the last verification.

Reading them needs ``customers:read``; changing them needs ``settings:write`` (managers and
admins) on one of the caller's sites, an active one (422 ``site_id`` for a disabled site).
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common import sites
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.events import changes_between, jsonable
from services.common.schemas import load
from services.customers import events, store

DEFAULTS = {
    "tier_thresholds": {"vip_amount": 1000000.0, "vip_loyal_amount": 500000.0, "vip_loyal_years": 3.0,
                        "key_amount": 200000.0, "key_orders": 12},
    "followup_days": {"vip": 30, "key": 60, "general": 90},
    "review_days": 90,
}
SECTIONS = ("tier_thresholds", "followup_days")


def effective(stored):
    """The settings a site works with: its stored values over the defaults."""
    stored = stored or {}
    result = {section: dict(DEFAULTS[section], **(stored.get(section) or {})) for section in SECTIONS}
    result["review_days"] = stored.get("review_days") or DEFAULTS["review_days"]
    result["version"] = stored.get("version", 0)
    return result


def for_site(db, site_id):
    return effective(store.find_settings(db, site_id))


def _amount():
    return fields.Float(allow_nan=False, validate=validate.Range(min=0, max=10 ** 13))


def _days():
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))


class ThresholdsSchema(Schema):
    vip_amount = _amount()
    vip_loyal_amount = _amount()
    vip_loyal_years = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100))
    key_amount = _amount()
    key_orders = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))


class CadenceSchema(Schema):
    vip = _days()
    key = _days()
    general = _days()


class SettingsSchema(Schema):
    version = fields.Integer(required=True, strict=True, metadata={"description": "0 before the first change"})
    tier_thresholds = fields.Nested(ThresholdsSchema)
    followup_days = fields.Nested(CadenceSchema)
    review_days = _days()

    @validates_schema
    def not_empty(self, data, **kwargs):
        if len(data) == 1:
            raise ValidationError("Nothing to change.", "_body")


def out(site_id, settings):
    return jsonable(dict(settings, site_id=site_id))


def _visible_site(caller, site_id):
    if not isinstance(site_id, str) or not caller.has_site(site_id):
        raise NotFound("No such site.")


def get_settings(db, caller, site_id):
    caller.require("customers:read")
    _visible_site(caller, site_id)
    return out(site_id, for_site(db, site_id))


def update_settings(db, caller, site_id, data):
    caller.require("settings:write")
    _visible_site(caller, site_id)
    sites.require(db, site_id)
    data = load(SettingsSchema(), data)
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
        raise Conflict("The settings were changed by someone else; reload and try again.",
                       {"version": ["Stale version."]}, code="stale_version")
    if diff:
        store.request_run(db, "recompute")
    return out(site_id, effective(saved))
