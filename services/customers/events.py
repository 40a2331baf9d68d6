"""What customers publishes (exchange ``customers.events``); documented in docs/events.md."""
from services.common.events import AUDIT_FIELDS, Catalogue

CUSTOMER = ("customer_id", "legal_name", "tax_id", "owner_id", "tier", "tags")

CATALOGUE = Catalogue("customers", {
    "customer_created": CUSTOMER,
    "customer_updated": CUSTOMER + ("changed_fields",),
    "customer_deleted": ("customer_id", "legal_name", "erased"),
    "customer_restored": ("customer_id", "legal_name"),
    "customer_moved": ("customer_id", "from_site_id", "to_site_id"),
    "customer_erased": ("customer_id", "contact_ids", "records", "fields"),
    "customer_purged": ("customer_id", "contact_ids", "records", "fields"),
    "customer_merged": ("survivor_id", "merged_ids", "merge_id"),
    "merge_reverted": ("survivor_id", "restored_ids", "merge_id"),
    "tier_changed": ("customer_id", "legal_name", "owner_id", "old_tier", "new_tier", "reasons", "overridden"),
    "order_recorded": ("customer_id", "order_id", "number", "order_date", "total_amount", "currency"),
    "interaction_logged": ("customer_id", "interaction_id", "kind", "occurred_at", "next_step_date"),
    "opportunity_stage_changed": ("customer_id", "opportunity_id", "title", "old_stage", "new_stage",
                                  "expected_amount"),
    "followup_due": ("customer_id", "legal_name", "owner_id", "due_date", "followup_id", "reason"),
    "contract_expiring": ("customer_id", "legal_name", "owner_id", "order_id", "number", "contract_end_date",
                          "days_left"),
    "churn_risk_detected": ("customer_id", "legal_name", "owner_id", "level", "reasons"),
    "import_completed": ("import_id", "created", "updated", "failed", "total"),
    "audit": AUDIT_FIELDS,
})

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
