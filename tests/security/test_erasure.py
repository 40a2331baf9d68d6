"""Erasure that erases (F8), through the gateway against the real stack.

``DELETE /customers/{id}?erase=true`` blanks the personal data of the customer and its contacts
(their audit entries are kept, their values blanked); the erased customer is gone from
``deleted=true`` lists and exports; orders keep their amounts for the reports. A customer
soft-deleted longer ago than its 30 days is purged the same way by the timer, with an event.
"""
import signal

import pytest

from services.customers import listing
from tests.support import events
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, mobile, order, unique

PURGE_REPLICA = "customers#purge"
ERASED = "[erased]"


@pytest.fixture(scope="module")
def fast_purge(stack):
    """A second customers replica running its timers every second (the first runs them hourly)."""
    stack.start(PURGE_REPLICA, CUSTOMERS_SCAN_INTERVAL="1")
    yield
    stack.kill(PURGE_REPLICA, signal.SIGTERM)


@pytest.fixture(scope="module")
def customer_events(test_env):
    """``events(type)``: customers events of that type published since the module started."""
    with events.tap(test_env["AMQP_URI"], "customers") as tap:
        yield tap.events


def person():
    return {"name": unique("Zhang "), "phone": mobile(), "email": "%s@mail.example.com" % unique("p"),
            "birthday": "1979-05-06", "notes": unique("private note ")}


def audit_of(api, entity_type, entity_id):
    response = api.get("/audit", params={"entity_type": entity_type, "entity_id": entity_id, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def customer_with_contact(api):
    name = unique("Erasable Trading ")
    customer = create_customer(api, legal_name=name, phone=mobile(), notes=unique("customer note "), force=True)
    contact = add_part(api, customer["id"], "contacts", person())
    sold = add_part(api, customer["id"], "orders", order(amount=7777.0, order_date="2026-10-05"))
    visit = add_part(api, customer["id"], "interactions", {
        "kind": "visit", "occurred_at": "2026-11-20T10:00:00+08:00", "participants": [contact["name"]],
        "summary": "Met %s at home" % contact["name"]})
    customer["visit_id"] = visit["id"]
    for entity_type, entity_id in (("customer", customer["id"]), ("contact", contact["id"]),
                                   ("interaction", visit["id"])):
        eventually(lambda: audit_of(api, entity_type, entity_id), lambda items: any(
            item["action"] == "created" for item in items))
    return customer, contact, sold


def secrets_of(customer, contact):
    return [customer["legal_name"], customer["phone"], customer["notes"], contact["name"], contact["phone"],
            contact["email"], contact["notes"]]


def test_erase_blanks_the_customer_its_contacts_and_their_audit_trail(admin_api, customer_events):
    customer, contact, sold = customer_with_contact(admin_api)
    response = admin_api.delete("/customers/%s" % customer["id"], params={"erase": "true"})
    assert response.status_code == 204, response.text
    secrets = secrets_of(customer, contact)
    listed = admin_api.get("/customers", params={"deleted": "true", "sort": "-updated_at", "limit": 500})
    assert listed.status_code == 200 and customer["id"] not in listed.text
    exported = admin_api.get("/customers/export", params={"format": "csv", "deleted": "true"})
    assert exported.status_code == 200, exported.text
    assert all(secret not in exported.text for secret in secrets)
    assert admin_api.post("/customers/%s/restore" % customer["id"]).status_code == 404

    def trail():
        return (audit_of(admin_api, "customer", customer["id"]) + audit_of(admin_api, "contact", contact["id"])
                + audit_of(admin_api, "interaction", customer["visit_id"]))

    entries = eventually(trail, lambda items: all(secret not in str(items) for secret in secrets), timeout=20)
    created = [e for e in entries if e["action"] == "created" and e["entity_id"] == contact["id"]]
    assert created and created[0]["changes"]["email"]["after"] == ERASED
    assert created[0]["changes"]["birthday"]["after"] == ERASED
    assert "erased" in [e["action"] for e in entries]
    assert (customer["id"], [contact["id"]]) in [(e["data"]["customer_id"], e["data"]["contact_ids"]) for e in eventually(
        lambda: customer_events("customers.customer_erased"), lambda found: found)]
    report = admin_api.get("/reports/sales", params={"since": "2026-10-05", "until": "2026-10-05"}).json()
    row = next(r for r in report["by_customer"] if r["customer_id"] == customer["id"])
    assert row["amount"] == 7777.0 and row["legal_name"] == ERASED


def test_a_soft_deleted_customer_is_listed_until_erased_on_request(admin_api):
    customer, contact, _ = customer_with_contact(admin_api)
    assert admin_api.delete("/customers/%s" % customer["id"]).status_code == 204
    listed = admin_api.get("/customers", params={"deleted": "true", "sort": "-updated_at", "limit": 500})
    assert customer["id"] in listed.text
    assert admin_api.delete("/customers/%s" % customer["id"], params={"erase": "true"}).status_code == 204
    listed = admin_api.get("/customers", params={"deleted": "true", "sort": "-updated_at", "limit": 500})
    assert customer["id"] not in listed.text and customer["legal_name"] not in listed.text


def test_a_soft_delete_past_its_window_is_purged_by_the_timer(admin_api, fast_purge, customers_db, customer_events):
    customer, contact, _ = customer_with_contact(admin_api)
    kept, _, _ = customer_with_contact(admin_api)
    for doomed in (customer, kept):
        assert admin_api.delete("/customers/%s" % doomed["id"]).status_code == 204
    # Thirty days pass for the first one only.
    stored = customers_db.customers.find_one({"_id": customer["id"]})
    lapsed = stored["purge_after"].replace(year=stored["purge_after"].year - 1)
    customers_db.customers.update_one({"_id": customer["id"]}, {"$set": {
        "purge_after": lapsed, "due_keys": listing.due_keys(dict(stored, purge_after=lapsed))}})
    secrets = secrets_of(customer, contact)
    [purged] = eventually(lambda: customer_events("customers.customer_purged", customer_id=customer["id"]),
                          lambda found: found, timeout=30)
    assert purged["data"]["contact_ids"] == [contact["id"]]
    listed = admin_api.get("/customers", params={"deleted": "true", "sort": "-updated_at", "limit": 500})
    assert customer["id"] not in listed.text and kept["id"] in listed.text
    eventually(lambda: audit_of(admin_api, "contact", contact["id"]),
               lambda items: items and all(secret not in str(items) for secret in secrets), timeout=20)
    assert "purged" in [e["action"] for e in audit_of(admin_api, "customer", customer["id"])]
    assert admin_api.post("/customers/%s/restore" % kept["id"]).status_code == 200
    assert admin_api.post("/customers/%s/restore" % customer["id"]).status_code == 404
