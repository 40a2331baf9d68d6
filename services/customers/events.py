"""The events customers publishes (exchange ``customers.events``), built from the catalogue of its
contract; documented in docs/events.md."""
from services.common.envelope import AUDIT_ENTRIES, audit_entries_data
from services.customers.contract import CATALOGUE

event = CATALOGUE.event


def customer_data(customer):
    return {
        "customer_id": customer["_id"], "legal_name": customer["legal_name"], "tax_id": customer.get("tax_id"),
        "owner_id": customer.get("owner_id"), "tier": (customer.get("tier") or {}).get("level"),
        "tags": customer.get("tags", []),
    }


def audit(entity_type, entity_id, action, changes, site_id, actor):
    data = {"entity_type": entity_type, "entity_id": entity_id, "action": action, "changes": changes}
    return event("audit", data, site_id=site_id, actor=actor)


def audit_entries(audits, site_id, actor):
    """One event standing for the audit events ``audits`` of ``site_id`` and ``actor`` (an import's rows)."""
    return event(AUDIT_ENTRIES, audit_entries_data(audits), site_id=site_id, actor=actor)
