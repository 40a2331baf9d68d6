"""What feedback publishes (exchange ``feedback.events``); documented in docs/events.md."""
from services.common.events import AUDIT_FIELDS, Catalogue

CATALOGUE = Catalogue("feedback", {
    "feedback_received": ("feedback_id", "customer_id", "contact_id", "channel", "type", "category", "severity",
                          "rating", "nps", "due_at"),
    "feedback_assigned": ("feedback_id", "customer_id", "assignee_id", "previous_assignee_id", "due_at"),
    "feedback_status_changed": ("feedback_id", "customer_id", "old_status", "new_status", "reopened"),
    "feedback_resolved": ("feedback_id", "customer_id", "resolution_summary", "resolved_at", "sla_met"),
    "sla_breached": ("feedback_id", "customer_id", "severity", "assignee_id", "status", "due_at"),
    "survey_sent": ("survey_id", "survey_title", "customer_id", "contact_id", "name", "expires_at", "language"),
    "survey_response_received": ("survey_id", "customer_id", "contact_id", "rating", "nps", "feedback_id"),
    "low_score_alert": ("feedback_id", "survey_id", "customer_id", "contact_id", "rating", "nps"),
    "audit": AUDIT_FIELDS,
}, sealed={"survey_sent": ("email", "link")})

event = CATALOGUE.event


def audit(entity_type, entity_id, action, changes, site_id, actor):
    data = {"entity_type": entity_type, "entity_id": entity_id, "action": action, "changes": changes}
    return event("audit", data, site_id=site_id, actor=actor)
