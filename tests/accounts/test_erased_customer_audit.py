"""The audit trail of an erased customer and its contacts keeps its entries, values blanked."""
import datetime
import uuid

import pytest

from services.accounts import audit, store
from services.customers import events as customers_events
from services.customers.erasure import ERASED_FIELDS


@pytest.fixture
def db(db_factory):
    database = db_factory("accounts")
    store.ensure_indexes(database)
    return database


def record(db, entity_type, entity_id, changes):
    event = {"event_id": uuid.uuid4().hex, "type": "customers.audit", "site_id": "site-a", "actor": "u-1",
             "occurred_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
             "data": {"entity_type": entity_type, "entity_id": entity_id, "action": "created", "changes": changes}}
    store.insert_audit(db, audit.entry_from_event(event))


def created(value):
    return {"before": None, "after": value}


def test_erasure_blanks_the_personal_values_of_every_record_it_names_only(db):
    record(db, "customer", "c1", {"legal_name": created("Zhang Trading"), "phone": created("13800138000"),
                                  "industry": created("machinery")})
    record(db, "contact", "k1", {"name": created("Zhang San"), "email": created("z@example.com"),
                                 "birthday": created("1980-01-02"), "primary": created(True)})
    record(db, "contact", "k2", {"name": created("Li Si")})
    record(db, "customer", "c2", {"legal_name": created("Other Trading")})
    record(db, "interaction", "i1", {"summary": created("Visited Zhang San at home"), "kind": created("visit")})
    record(db, "order", "o1", {"amount": created(1500)})
    audit.anonymise_customer(db, {"data": {
        "customer_id": "c1", "contact_ids": ["k1"], "fields": ERASED_FIELDS,
        "records": {"customer": ["c1"], "contact": ["k1"], "interaction": ["i1"]}}})
    trail = {(e["entity_type"], e["entity_id"]): e["changes"] for e in db.audit.find()}
    assert trail[("customer", "c1")] == {"legal_name": created("[erased]"), "phone": created("[erased]"),
                                         "industry": created("machinery")}
    assert trail[("contact", "k1")] == {"name": created("[erased]"), "email": created("[erased]"),
                                        "birthday": created("[erased]"), "primary": created(True)}
    assert trail[("contact", "k2")] == {"name": created("Li Si")}
    assert trail[("customer", "c2")] == {"legal_name": created("Other Trading")}
    assert trail[("interaction", "i1")] == {"summary": created("[erased]"), "kind": created("visit")}
    assert trail[("order", "o1")] == {"amount": created(1500)}


def test_an_entry_that_arrives_after_the_erasure_is_anonymised_too(db):
    audit.anonymise_customer(db, {"data": {
        "customer_id": "c1", "contact_ids": ["k1"], "fields": ERASED_FIELDS,
        "records": {"customer": ["c1"], "contact": ["k1"], "interaction": ["i1"]}}})
    for entity_type, entity_id, changes in (
            ("contact", "k1", {"phone": {"before": "13800138000", "after": "13900139000"}}),
            ("interaction", "i1", {"summary": created("Met Zhang San at home")}),
            ("contact", "k2", {"phone": created("13700137000")})):
        audit.record_customer_audit(db, {
            "event_id": uuid.uuid4().hex, "type": "customers.audit", "site_id": "site-a", "actor": "u-1",
            "occurred_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "data": {"entity_type": entity_type, "entity_id": entity_id, "action": "updated", "changes": changes}})
    trail = {e["entity_id"]: e["changes"] for e in db.audit.find()}
    assert trail["k1"] == {"phone": {"before": "[erased]", "after": "[erased]"}}
    assert trail["i1"] == {"summary": created("[erased]")}
    assert trail["k2"] == {"phone": created("13700137000")}


def audit_event(entity_type, entity_id, changes, action="created"):
    return customers_events.audit(entity_type, entity_id, action, changes, "site-a", "u-1")


def test_an_imports_batch_of_entries_is_kept_once_each_and_an_erased_ones_anonymised(db):
    """``customers.audit_entries`` (an import's rows): an entry per row, its id the row's audit event
    id; the batch delivered again (or a row queued again after a crash) adds nothing; a row of a
    customer erased before the batch arrives is stored blanked."""
    audit.anonymise_customer(db, {"data": {
        "customer_id": "c3", "contact_ids": [], "fields": ERASED_FIELDS, "records": {"customer": ["c3"]}}})
    rows = [audit_event("customer", "c%d" % n, {"legal_name": created("Row %d Trading" % n),
                                                "phone": created("1380013800%d" % n)}) for n in range(5)]
    batch = customers_events.audit_entries(rows, "site-a", "u-1")
    assert batch["type"] == "customers.audit_entries" and len(batch["data"]["entries"]) == 5
    audit.record_customer_audit(db, batch)
    audit.record_customer_audit(db, batch)
    late = audit_event("customer", "c9", {"legal_name": created("Late Row Trading")})
    audit.record_customer_audit(db, customers_events.audit_entries(rows[3:] + [late], "site-a", "u-1"))
    trail = {entry["_id"]: entry for entry in db.audit.find()}
    assert sorted(trail) == sorted(row["event_id"] for row in rows + [late])
    by_customer = {entry["entity_id"]: entry for entry in trail.values()}
    assert by_customer["c1"]["changes"]["phone"]["after"] == "13800138001"
    assert by_customer["c1"]["source"] == "customers" and by_customer["c1"]["actor"] == "u-1"
    assert by_customer["c1"]["site_id"] == "site-a" and by_customer["c1"]["action"] == "created"
    assert by_customer["c3"]["changes"] == {"legal_name": created("[erased]"), "phone": created("[erased]")}

