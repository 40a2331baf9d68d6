"""What a change to a customer's part sets off: its own events, and the customer's derived fields."""
from services.customers import customer_record, events, insights, parts, store


class Effects(parts.NoHooks):
    """``imported``: the changes come from an import of history; their events say so."""

    def __init__(self, db, imported=False):
        self.db = db
        self.imported = imported

    def created(self, part, customer, document, caller):
        site = customer["site_id"]
        if part == "orders":
            return [events.event("order_recorded", {
                "customer_id": customer["_id"], "order_id": document["_id"], "number": document["number"],
                "order_date": document["order_date"], "total_amount": document["total_amount"],
                "currency": document["currency"], "imported": self.imported}, site, caller.user_id)]
        if part == "interactions":
            return [events.event("interaction_logged", {
                "customer_id": customer["_id"], "interaction_id": document["_id"], "kind": document["kind"],
                "occurred_at": document["occurred_at"].isoformat(),
                "next_step_date": document.get("next_step_date"), "imported": self.imported}, site, caller.user_id)]
        return []

    def updated(self, part, customer, before, after, caller):
        if part == "opportunities" and before.get("stage") != after.get("stage"):
            return [events.event("opportunity_stage_changed", {
                "customer_id": customer["_id"], "opportunity_id": before["_id"], "title": after["title"],
                "old_stage": before["stage"], "new_stage": after["stage"],
                "expected_amount": after.get("expected_amount"), "imported": self.imported}, customer["site_id"],
                caller.user_id)]
        return []

    def after_change(self, part, customer, document):
        self.after_changes(part, [customer])

    def after_changes(self, part, customers):
        """``after_change`` of many customers (an import's batch): their contacts' keys read together."""
        if part == "contacts":
            refresh_contact_keys(self.db, *customers)
        else:
            for customer in customers:
                insights.refresh(self.db, customer["_id"], imported=self.imported)


def refresh_contact_keys(db, *customers):
    """Keep the customers' search keys for their contacts' names, phones and e-mails current: their
    contacts, and the customers as stored, read in one query each, then each customer written."""
    if not customers:
        return
    ids = [customer["_id"] for customer in customers]
    contacts = {}
    for contact in store.customers_contacts(db, ids):
        contacts.setdefault(contact["customer_id"], []).append(contact)
    stored = {found["_id"]: found for found in store.customers_in_order(db, customers)
              if found.get("deleted_at") is None}
    for customer in customers:
        contact_keys = customer_record.contact_keys(contacts.get(customer["_id"], ()))
        keys = customer_record.derived_keys(dict(stored.get(customer["_id"]) or customer, **contact_keys))
        store.set_customer_fields(db, customer["_id"], dict(contact_keys, **{
            field: keys[field] for field in ("phone_keys", "email_keys", "all_keys")}))
