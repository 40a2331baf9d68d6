"""The audit trail: entries from every service's ``*.audit`` events (and customers' ``audit_entries``), and
their filters."""
import datetime

from services.accounts import contract, store
from services.common.envelope import unbatched
from services.common.schemas import load

AUDITED_SERVICES = ("accounts", "customers", "feedback", "notifications")


def entry_from_event(event):
    data = event["data"]
    return {
        "_id": event["event_id"],
        "event_id": event["event_id"],
        "at": datetime.datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")),
        "actor": event.get("actor"),
        "site_id": event.get("site_id"),
        "source": event["type"].split(".", 1)[0],
        "entity_type": data["entity_type"],
        "entity_id": data.get("entity_id"),
        "action": data["action"],
        "changes": data.get("changes") or {},
    }


def list_entries(db, caller, filters, limit, cursor):
    """A page of the trail (``store.list_audit``): validated filters, limited to the caller's sites.

    An entry without a site (a company-wide webhook, an export across several sites) is seen by
    ``sites:all`` holders only: it may describe any site's data."""
    filters = load(contract.AuditFilterSchema(), filters or {})
    return store.list_audit(db, filters, caller.site_scope(), limit, cursor)


def anonymise_customer(db, event):
    """On ``customers.customer_erased`` / ``customer_purged``: blank the values of the fields the
    event names in the audit entries of every record it names (the customer and each of its parts);
    the entries (who, when, what was done to which fields) stay."""
    data = event["data"]
    store.remember_erased(db, data["customer_id"], ["%s:%s" % (entity_type, entity_id) for entity_type, ids
                                                    in data["records"].items() for entity_id in ids], data["fields"])
    for entity_type, ids in data["records"].items():
        for entity_id in ids:
            store.anonymise_audit(db, entity_id, data["fields"].get(entity_type, ()), entity_type=entity_type)


def record_customer_audit(db, event):
    """Keep the customers audit entries ``event`` stands for (one, or an import's batch:
    ``envelope.unbatched``); one that arrives after its record was erased (published late from an
    outbox, retried) is anonymised too. The erasure is remembered before the trail is blanked, and
    the entries checked after they are stored, so no order of the two leaves one whole."""
    entries = [entry_from_event(one) for one in unbatched(event)]
    store.insert_audit_entries(db, entries)
    erased = store.erased_fields(db, [(entry["entity_type"], entry["entity_id"]) for entry in entries])
    for (entity_type, entity_id), fields in erased.items():
        store.anonymise_audit(db, entity_id, fields, entity_type=entity_type)
