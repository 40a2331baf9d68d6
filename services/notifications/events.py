"""What notifications publishes (exchange ``notifications.events``); documented in docs/events.md."""
from services.common.events import AUDIT_FIELDS, Catalogue

CATALOGUE = Catalogue("notifications", {
    "webhook_disabled": ("webhook_id", "url", "consecutive_exhausted"),
    "email_failed": ("email_id", "to", "kind", "attempts", "error"),
    "audit": AUDIT_FIELDS,
})

event = CATALOGUE.event


def audit(entity_type, entity_id, action, changes, site_id, actor):
    data = {"entity_type": entity_type, "entity_id": entity_id, "action": action, "changes": changes}
    return event("audit", data, site_id=site_id, actor=actor)
