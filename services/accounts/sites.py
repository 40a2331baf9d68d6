"""Use cases of the factory sites: create, change, disable, delete, and the directory every other
service keeps a replica of (``services.common.sites``).

A site is retired in two steps: disabled (nothing new can be recorded for it anywhere; its records
stay readable), then deleted once nothing belongs to it: no user works there, it has no team and no
service holds a record of it (409 ``site_in_use`` naming how many). A deleted site stays as a tombstone
(``status: deleted``, its code freed) so the replicas learn it and a late event cannot revive it.
"""
import uuid

from services.accounts import contract, events, store
from services.common import remote
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load
from services.common.sites import ACTIVE, DELETED, DISABLED

SITE = contract.SiteSchema()
AUDITED = ("code", "name", "address", "timezone", "status")
# The services that store records of a site, asked before it is deleted (``site_usage``).
RECORD_HOLDERS = ("customers", "feedback", "notifications")
DIRECTORY_LIMIT = 100


def new_site(data):
    now = utcnow()
    data = dict({"address": None}, **data)
    return dict(data, _id=uuid.uuid4().hex, code_key=data["code"].lower(), status=ACTIVE, created_at=now,
                updated_at=now, version=1)


def directory_entry(site):
    return {"site_id": site["_id"], "code": site["code"], "name": site["name"], "timezone": site["timezone"],
            "status": site.get("status") or ACTIVE, "version": site["version"]}


def _event(name, site, actor):
    return events.event(name, directory_entry(site), site["_id"], actor)


def _audit(site, action, before, actor):
    after = {k: site.get(k) for k in AUDITED}
    return events.audit("site", site["_id"], action, changes_between(before, after), site["_id"], actor)


def _require_admin(caller):
    caller.require("sites:admin")
    caller.require("sites:all")


def _live(db, site_id):
    site = store.find_site(db, site_id) if isinstance(site_id, str) else None
    if site is None or site.get("status") == DELETED:
        raise NotFound("No such site.")
    return site


def create_site(db, caller, data):
    """A new factory site: sites:admin, held company-wide (sites:all)."""
    _require_admin(caller)
    site = new_site(load(contract.SiteCreateSchema(), data))
    store.insert_site(db, site, _event("site_created", site, caller.user_id),
                      _audit(site, "created", {}, caller.user_id))
    return SITE.dump(site)


def update_site(db, caller, site_id, data):
    """Rename, move to another time zone, disable or enable a site (``data.version`` required)."""
    _require_admin(caller)
    before = _live(db, site_id)
    data = load(contract.SiteUpdateSchema(), data)
    version = data.pop("version")
    changes = {k: v for k, v in data.items() if before.get(k, ACTIVE if k == "status" else None) != v}
    if not changes:
        if before["version"] != version:
            raise stale_version("site")
        return SITE.dump(before)
    disabling = changes.get("status") == DISABLED
    after = dict(before, **changes, version=before["version"] + 1)
    site = store.update_site(db, site_id, version, changes,
                             _event("site_disabled" if disabling else "site_updated", after, caller.user_id),
                             _audit(after, "disabled" if disabling else "updated",
                                    {k: before.get(k) for k in AUDITED}, caller.user_id))
    if site is None:
        raise stale_version("site")
    return SITE.dump(site)


def usage(db, caller, site):
    """``{holder: count}`` of what still belongs to ``site``: its users and teams here, the records of every
    other service (asked as the caller; a service that does not answer is 503, never a pass)."""
    counts = {"users": store.count_site_users(db, site["_id"]), "teams": store.count_site_teams(db, site["_id"])}
    for service in RECORD_HOLDERS:
        answer = remote.call(service, "site_usage", site["_id"], token=caller.token)
        counts.update({"%s.%s" % (service, name): n for name, n in answer["counts"].items()})
    return {name: n for name, n in counts.items() if n}


def delete_site(db, caller, site_id, confirm):
    """Delete a disabled site nothing belongs to any more; ``confirm`` must equal its code."""
    _require_admin(caller)
    site = _live(db, site_id)
    if confirm != site["code"]:
        raise ValidationFailed("Type the site's code to confirm.", {"confirm": ["Must equal the site's code."]})
    if site.get("status", ACTIVE) != DISABLED:
        raise Conflict("Disable the site first: nothing new may be recorded for a site being deleted.",
                       {"status": ["The site is active."]}, code="site_active")
    counts = usage(db, caller, site)
    if counts:
        total = sum(counts.values())
        raise Conflict("%d record(s) still belong to this site: move them to another site first." % total,
                       {"site_id": ["%d record(s) still belong to this site." % total]}, code="site_in_use",
                       extra={"total": total, "counts": counts})
    changes = {"status": DELETED, "code_key": "deleted:%s" % site["_id"]}
    after = dict(site, **changes, version=site["version"] + 1)
    if store.update_site(db, site["_id"], site["version"], changes, _event("site_deleted", after, caller.user_id),
                         _audit(after, "deleted", {k: site.get(k) for k in AUDITED}, caller.user_id)) is None:
        raise stale_version("site")
    return {}


def list_sites(db, caller):
    return {"items": [SITE.dump(site) for site in store.list_sites(db, caller.site_scope(), but_status=DELETED)]}


def site_directory(db, site_ids=None):
    """Every site (tombstones too) or those of ``site_ids``: codes, names, status and versions,
    nothing secret, so any service may ask without a user's token."""
    if site_ids is not None and (not isinstance(site_ids, list) or len(site_ids) > DIRECTORY_LIMIT
                                 or not all(isinstance(i, str) for i in site_ids)):
        raise ValidationFailed(fields={"site_ids": ["A list of at most %d ids." % DIRECTORY_LIMIT]})
    return {"items": [directory_entry(site) for site in store.list_sites(db, site_ids)]}
