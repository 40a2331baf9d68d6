"""Per-site settings of feedback handling: the categories offered and the SLA hours per severity.

Reading them needs ``feedback:read``; changing them needs ``settings:write`` (managers and
admins), never plain ``feedback:write``, and the site must be one of the caller's and active
(422 on ``site_id`` for a site accounts does not know or has disabled)."""
from services.common import sites
from services.common.envelope import changes_between, jsonable
from services.common.errors import stale_version
from services.common.schemas import load
from services.feedback import contract, events, sla, store


def effective(db, site_id):
    return sla.site_settings(store.find_settings(db, site_id))


def out(site_id, stored):
    shown = sla.site_settings(stored)
    shown["site_id"] = site_id
    return jsonable(shown)


def get_settings(db, caller, site_id):
    caller.require("feedback:read")
    caller.require_site(site_id)
    return out(site_id, store.find_settings(db, site_id))


def update_settings(db, caller, site_id, data):
    caller.require("settings:write")
    caller.require_site(site_id)
    data = load(contract.SettingsSchema(), data)
    sites.require(db, site_id)
    version = data.pop("version")
    before = effective(db, site_id)
    changes = {}
    if "categories" in data:
        changes["categories"] = data["categories"]
    if "sla_hours" in data:
        changes["sla_hours"] = dict(before["sla_hours"], **data["sla_hours"])
    diff = changes_between({k: before[k] for k in changes}, changes)
    audit = events.audit("feedback_settings", site_id, "updated", diff, site_id, caller.user_id)
    saved = store.save_settings(db, site_id, version, changes, audit)
    if saved is None:
        raise stale_version("settings", plural=True)
    return out(site_id, saved)
