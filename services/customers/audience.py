"""The people a campaign writes to: the contacts of a segment of one site's customers.

A segment is a saved view the caller may use (their own, or one shared in the site) or list
filters (those of ``GET /customers``), always within the one site. Of each customer's live
contacts, ``primary`` takes the primary one (else the first), ``all`` every one, ``position``
those whose position holds the given text. A customer with no such contact is answered once with
no contact, so the campaign can report it as having no address. A page follows the customer
list's pages (``cursor``).
"""
from services.common.errors import NotFound, ValidationFailed
from services.customers import contract, lists, store


def _filters(db, caller, site_id, segment):
    segment = segment if isinstance(segment, dict) else {}
    filters = segment.get("filters") or {}
    if not isinstance(filters, dict):
        raise ValidationFailed(fields={"segment.filters": ["Must be the filters of the customer list."]})
    if segment.get("view_id"):
        view = store.find_view(db, str(segment["view_id"]))
        if view is None or view["site_id"] != site_id or view["owner_id"] != caller.user_id and not view["shared"]:
            raise NotFound("No such view.")
        filters = view["filters"]
    return dict({key: value for key, value in filters.items() if key not in ("sort", "site_id", "deleted")},
                site_id=site_id)


def _chosen(contacts, selection, position):
    if selection == "all":
        return contacts
    if selection == "position":
        wanted = (position or "").casefold()
        return [c for c in contacts if wanted and wanted in (c.get("position") or "").casefold()]
    return contacts[:1]


def audience(db, caller, site_id, segment, selection, position=None, cursor=None, limit=None):
    """-> ``{items: [{customer_id, legal_name, owner_id, country, contact_id, name, email, phone, position}],
    customers, next_cursor, total, total_is_lower_bound}``."""
    caller.require("customers:read")
    caller.require("contacts:read")
    caller.require_site(site_id)
    if selection not in contract.AUDIENCE_SELECTIONS:
        raise ValidationFailed(fields={"contacts": ["Must be one of: %s." % ", ".join(contract.AUDIENCE_SELECTIONS)]})
    page = lists.list_customers(db, caller, _filters(db, caller, site_id, segment), limit, cursor)
    contacts = {}
    for contact in store.customers_contacts(db, [customer["id"] for customer in page["items"]]):
        contacts.setdefault(contact["customer_id"], []).append(contact)
    items = []
    for customer in page["items"]:
        base = {"customer_id": customer["id"], "legal_name": customer["legal_name"],
                "owner_id": customer.get("owner_id"), "country": customer.get("country")}
        chosen = _chosen(contacts.get(customer["id"], []), selection, position)
        items += [dict(base, contact_id=c["_id"], name=c.get("name"), email=c.get("email"), phone=c.get("phone"),
                       position=c.get("position")) for c in chosen] or [
            dict(base, contact_id=None, name=None, email=None, phone=None, position=None)]
    return {"items": items, "customers": len(page["items"]), "next_cursor": page["next_cursor"],
            "total": page["total"], "total_is_lower_bound": page.get("total_is_lower_bound", False)}
