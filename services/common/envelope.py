"""The envelope every event travels in, and the helpers that fill its ``data``.

An event is ``{event_id, type, occurred_at, site_id, actor, data, version, request_id}``; its
type is ``<service>.<name>``, and the service is the one whose exchange carries it. Each service
declares the events it publishes in a ``Catalogue``, which refuses an event whose fields differ
from the declared ones. Fields for the services only travel sealed (``signing.py``).
"""
import datetime
import uuid

from services.common import logs, signing
from services.common.clock import isoformat, utcnow

ENVELOPE_VERSION = 1


def make_event(event_type, data, site_id=None, actor=None, secret=None):
    """The envelope of docs/architecture.md §3. ``event_type`` is the full name, e.g. ``customers.customer_created``.

    ``secret`` (fields for the services only, never for integrators) goes sealed in ``sealed``."""
    event = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": isoformat(utcnow()),
        "site_id": site_id,
        "actor": actor,
        "data": data,
        "version": ENVELOPE_VERSION,
        "request_id": logs.current_request_id(),
    }
    if secret:
        event[signing.SEALED] = signing.seal(secret)
    return event


class Catalogue:
    """The events one service publishes, each with its ``data`` fields, and for some the fields
    that travel sealed (``sealed``: name -> fields); both are listed in ``docs/events.md``."""

    def __init__(self, service, types, sealed=None):
        self.service = service
        self.types = {"%s.%s" % (service, name): tuple(fields) for name, fields in types.items()}
        self.sealed = {"%s.%s" % (service, name): tuple(fields) for name, fields in (sealed or {}).items()}

    def event(self, name, data, site_id=None, actor=None, secret=None):
        event_type = "%s.%s" % (self.service, name)
        fields = self.types.get(event_type)
        if fields is None:
            raise ValueError("%s is not in the %s catalogue" % (event_type, self.service))
        if set(data) != set(fields):
            raise ValueError("%s carries %s, the catalogue says %s" % (event_type, sorted(data), sorted(fields)))
        sealed = self.sealed.get(event_type, ())
        if set(secret or {}) != set(sealed):
            raise ValueError("%s seals %s, the catalogue says %s" % (event_type, sorted(secret or {}), sorted(sealed)))
        return make_event(event_type, data, site_id=site_id, actor=actor, secret=secret)


AUDIT_FIELDS = ("entity_type", "entity_id", "action", "changes")
# An event standing for many ``<service>.audit`` events of one site and actor (an import's batch of
# rows): its ``entries`` are their ``data`` each with its own ``entry_id``. Consumers read it as
# the events it stands for (``unbatched``).
AUDIT_ENTRIES = "audit_entries"
ENVELOPE_FIELDS = ("event_id", "type", "occurred_at", "site_id", "actor", "data", "version", "request_id")


def audit_entries_data(audits):
    """The ``data`` of an ``audit_entries`` event standing for the audit events ``audits``."""
    return {"entries": [dict(audit["data"], entry_id=audit["event_id"]) for audit in audits]}


def unbatched(event):
    """``event`` as the events it stands for: an ``<service>.audit_entries`` event as one
    ``<service>.audit`` event per entry (the entry's id, the rest of the envelope the batch's, no
    seal or signature: they are the batch's), any other event as itself."""
    service, name = event["type"].split(".", 1)
    if name != AUDIT_ENTRIES:
        return [event]
    shared = {key: event.get(key) for key in ENVELOPE_FIELDS}
    return [dict(shared, event_id=entry["entry_id"], type="%s.audit" % service,
                 data={field: entry.get(field) for field in AUDIT_FIELDS}) for entry in event["data"]["entries"]]


def changes_between(before, after, secret=()):
    """``{field: {"before", "after"}}`` for fields that differ; ``secret`` fields are never included."""
    changes = {}
    for field in sorted(set(before) | set(after)):
        if field in secret or field.startswith("_"):
            continue
        old, new = before.get(field), after.get(field)
        if old != new:
            changes[field] = {"before": jsonable(old), "after": jsonable(new)}
    return changes


def jsonable(value):
    """``value`` with datetimes as ISO strings, so it can travel in a message."""
    if isinstance(value, datetime.datetime):
        return isoformat(value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc))
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def source_service(event_type):
    """The service whose exchange carries ``event_type`` (the part before the first dot)."""
    return event_type.split(".", 1)[0]
