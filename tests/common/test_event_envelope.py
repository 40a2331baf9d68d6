import datetime
import uuid

from services.common import envelope, outbox


def test_envelope_has_every_field_of_the_contract():
    event = envelope.make_event("customers.customer_created", {"id": "c1"}, site_id="s1", actor="u1")
    assert set(event) == {"event_id", "type", "occurred_at", "site_id", "actor", "data", "version", "request_id"}
    assert uuid.UUID(event["event_id"]).version == 4
    assert event["occurred_at"].endswith("Z")
    assert datetime.datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).tzinfo
    assert event["version"] == 1 and event["data"] == {"id": "c1"}


def test_pending_update_adds_the_events_to_the_same_write():
    event = envelope.make_event("customers.customer_updated", {})
    update = outbox.pending_update({"$set": {"name": "A"}}, event)
    assert update["$set"] == {"name": "A", outbox.PENDING: True}
    assert update["$push"] == {outbox.OUTBOX: {"$each": [event]}}


def test_pending_update_without_events_changes_nothing():
    assert outbox.pending_update({"$set": {"name": "A"}}) == {"$set": {"name": "A"}}


def test_source_service_is_the_exchange_owner():
    assert envelope.source_service("feedback.sla_breached") == "feedback"


def test_a_batch_of_audit_entries_reads_as_the_audit_events_it_stands_for():
    audits = [envelope.make_event("customers.audit", {"entity_type": "customer", "entity_id": "c%d" % n,
                                                      "action": "created", "changes": {"n": n}}, "s1", "u1")
              for n in range(3)]
    batch = envelope.make_event("customers.audit_entries", envelope.audit_entries_data(audits), "s1", "u1")
    batch["signature"], batch["sealed"] = "sig", "sealed"
    each = envelope.unbatched(batch)
    assert [one["event_id"] for one in each] == [audit["event_id"] for audit in audits]
    assert [one["data"] for one in each] == [audit["data"] for audit in audits]
    assert all(set(one) == set(envelope.ENVELOPE_FIELDS) and one["type"] == "customers.audit"
               and (one["site_id"], one["actor"], one["occurred_at"]) == ("s1", "u1", batch["occurred_at"])
               for one in each)
    assert envelope.unbatched(audits[0]) == [audits[0]]
