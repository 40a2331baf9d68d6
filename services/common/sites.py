"""The factory sites a service checks its writes against: its own replica of accounts' sites.

accounts owns the sites. Every service that stores a ``site_id`` keeps the collection
``site_directory`` in its own database, one document per site (``code``, ``name``, ``timezone``,
``status``, ``version``), from

- the events ``accounts.site_created``, ``site_updated``, ``site_disabled`` and ``site_deleted``
  (``SiteDirectoryMixin``), each carrying the whole site and its version;
- the public RPC ``accounts.site_directory``: at start and every ``SYNC_SECONDS`` (a fresh
  replica is right at once, and an event a broker outage lost is made up for), and for a site the
  replica has never heard of (one created a moment ago, whose event is still on its way).

A newer version always wins, so events and snapshots may arrive in any order; accounts keeps a
deleted site as a tombstone (``status: deleted``) so a late event cannot bring it back.

``require(db, site_id)`` is the rule every write applies: an unknown, disabled or deleted site is
422 naming the field; accounts unreachable while the site is unknown here is 503, never a pass.
"""
import datetime
import logging
import time
import zoneinfo

from pymongo.errors import DuplicateKeyError

from services.common import remote
from services.common.consumer import subscribe
from services.common.errors import CrmError, ValidationFailed
from services.common.timers import timer

log = logging.getLogger(__name__)

ACTIVE, DISABLED, DELETED = "active", "disabled", "deleted"
STATUSES = (ACTIVE, DISABLED)
FIELDS = ("site_id", "code", "name", "timezone", "status", "version")
EVENTS = ("site_created", "site_updated", "site_disabled", "site_deleted")
SYNC_SECONDS = 300
SAVE_ATTEMPTS = 8
RETRY_SECONDS = 5
COLLECTION = "site_directory"

class SaveFailed(RuntimeError):
    """A site's version could not be written (workers kept racing on it)."""


PROBLEMS = {
    None: "No such site.",
    DISABLED: "This site is disabled: nothing new can be recorded for it.",
    DELETED: "No such site (it was deleted).",
}


def entry(data):
    """The replica's document for a site as accounts describes it (event data or snapshot item)."""
    return {"_id": data["site_id"], "code": data.get("code"), "name": data.get("name"),
            "timezone": data.get("timezone"), "status": data.get("status") or ACTIVE,
            "version": int(data.get("version") or 0)}


def save(db, data):
    """Keep ``data`` unless the replica already holds this version of the site or a newer one.

    One conditional upsert; a duplicate key means the site is there with this version or a newer
    one, or that another worker is inserting it this very moment (its insert may not be readable
    yet), so the write is tried again a few times. It never gives up silently: ``SaveFailed``
    lets the event be recorded as failed and handled again later."""
    document = entry(data)
    for attempt in range(SAVE_ATTEMPTS):
        try:
            db[COLLECTION].update_one({"_id": document["_id"], "version": {"$lt": document["version"]}},
                                      {"$set": document}, upsert=True)
            return
        except DuplicateKeyError:
            known = db[COLLECTION].find_one({"_id": document["_id"]}, {"version": 1})
            if known is not None and known.get("version", 0) >= document["version"]:
                return
        time.sleep(0.05 * (attempt + 1))
    raise SaveFailed("site %s version %d not saved" % (document["_id"], document["version"]))


def apply_event(db, event):
    save(db, event["data"])


def sync(db, items):
    """A snapshot (accounts lists deleted sites too, as tombstones): every site in it saved."""
    for item in items:
        save(db, item)


def fetch(site_ids=None):
    """accounts' answer to ``site_directory`` (Unavailable when accounts does not answer)."""
    return remote.call("accounts", "site_directory", site_ids)["items"]


def find(db, site_id):
    return db[COLLECTION].find_one({"_id": site_id})


def zone_of(db, site_id):
    """The site's time zone from the replica (UTC for an unknown site or zone name)."""
    entry = find(db, site_id) if site_id else None
    try:
        return zoneinfo.ZoneInfo((entry or {}).get("timezone") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.timezone.utc


def status_of(db, site_id, lookup=fetch):
    """``active``, ``disabled``, ``deleted`` or None (unknown); asks accounts about an unknown id."""
    if not isinstance(site_id, str) or not site_id or len(site_id) > 64:
        return None
    known = find(db, site_id)
    if known is None:
        for item in lookup([site_id]):
            save(db, item)
        known = find(db, site_id)
    return known["status"] if known else None


def require(db, site_id, field="site_id", lookup=fetch):
    """The rule of every write naming a site: it exists and is active (422 on ``field``)."""
    refuse_unless_active(status_of(db, site_id, lookup), field)


def refuse_unless_active(status, field="site_id"):
    """422 on ``field`` unless ``status`` (a site's; None: unknown) is active."""
    if status != ACTIVE:
        problem = PROBLEMS[status]
        raise ValidationFailed(problem, {field: [problem]}, code="site_disabled" if status == DISABLED
                               else "unknown_site")


def usage(caller, site_id, count):
    """A service's answer to accounts' question ``site_usage(site_id)`` before a site is deleted:
    ``count(site_id) -> {collection: n}`` of the records still at the site; -> ``{"counts": ...}``
    with the non-zero ones. For ``sites:admin`` holders with ``sites:all``; 422 on a bad id."""
    caller.require("sites:admin")
    caller.require("sites:all")
    if not isinstance(site_id, str) or not 1 <= len(site_id) <= 64:
        raise ValidationFailed(fields={"site_id": ["A site id (1-64 characters)."]})
    return {"counts": {name: n for name, n in count(site_id).items() if n}}


def known_ids(db):
    """Every site the replica knows, deleted ones excepted (for consistency checks)."""
    return {site["_id"] for site in db[COLLECTION].find({"status": {"$ne": DELETED}}, {"_id": 1})}


class SiteDirectoryMixin:
    """What a service class adds to keep its replica (it must have a ``db`` dependency)."""

    @subscribe("accounts.site_created")
    def on_site_created(self, event):
        apply_event(self.db, event)

    @subscribe("accounts.site_updated")
    def on_site_updated(self, event):
        apply_event(self.db, event)

    @subscribe("accounts.site_disabled")
    def on_site_disabled(self, event):
        apply_event(self.db, event)

    @subscribe("accounts.site_deleted")
    def on_site_deleted(self, event):
        apply_event(self.db, event)

    sites_synced_at = None

    @timer(interval=RETRY_SECONDS, eager=True, guard="site directory sync")
    def sync_sites(self):
        """The full snapshot from accounts: at start (tried again every ``RETRY_SECONDS`` until it
        succeeds), then every ``SYNC_SECONDS``."""
        now = time.monotonic()
        if self.sites_synced_at is not None and now - self.sites_synced_at < SYNC_SECONDS:
            return
        try:
            sync(self.db, fetch())
        except CrmError as exc:
            log.warning("site directory not synced: %s", type(exc).__name__)
            return
        type(self).sites_synced_at = now
