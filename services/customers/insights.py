"""Fields derived from a customer's orders and activity: last order, next follow-up."""
from services.customers import store


def refresh(db, customer_id):
    """Recompute the derived fields of one customer from its parts."""
    last_orders = store.all_parts(db, "orders", {"customer_id": customer_id, "status": {"$ne": "cancelled"}},
                                  sort=[("order_date", -1)], limit=1)
    open_followups = store.all_parts(db, "followups", {"customer_id": customer_id, "status": "open"},
                                     sort=[("due_date", 1)], limit=1)
    store.set_customer_fields(db, customer_id, {
        "last_order_date": last_orders[0]["order_date"] if last_orders else None,
        "next_followup_date": open_followups[0]["due_date"] if open_followups else None,
    })
