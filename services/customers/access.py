"""Who may see and change which part of a customer (docs/architecture.md §2).

Finance sees a customer's identity, orders and payments; contacts, interactions, service
records, opportunities and follow-ups are absent from everything it receives.
"""
from services.common.errors import NotFound

PART_PERMISSIONS = {
    "contacts": ("contacts:read", "contacts:write"),
    "orders": ("orders:read", "orders:write"),
    "payments": ("orders:read", "orders:write"),
    "service_records": ("interactions:read", "interactions:write"),
    "interactions": ("interactions:read", "interactions:write"),
    "opportunities": ("interactions:read", "interactions:write"),
    "followups": ("interactions:read", "interactions:write"),
}
# The entity each part is in audit entries and in an erasure's ``records``.
ENTITY = {"contacts": "contact", "orders": "order", "payments": "payment", "service_records": "service_record",
          "interactions": "interaction", "opportunities": "opportunity", "followups": "followup"}


def readable_parts(caller):
    return [part for part, (read, _) in PART_PERMISSIONS.items() if caller.can(read)]


def require_part(caller, part, write=False):
    read, change = PART_PERMISSIONS[part]
    caller.require(read)
    if write:
        caller.require(change)


def visible_customer(caller, customer):
    """The customer if it lies in the caller's sites; 404 otherwise (ids do not leak)."""
    if customer is None or not caller.has_site(customer["site_id"]):
        raise NotFound("No such customer.")
    return customer
