"""The events feedback publishes (exchange ``feedback.events``), built from the catalogue of its
contract; documented in docs/events.md."""
from services.feedback.contract import CATALOGUE

event = CATALOGUE.event


def audit(entity_type, entity_id, action, changes, site_id, actor):
    data = {"entity_type": entity_type, "entity_id": entity_id, "action": action, "changes": changes}
    return event("audit", data, site_id=site_id, actor=actor)
