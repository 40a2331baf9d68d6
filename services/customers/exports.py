"""Export of the customer list: the list's filters, page by page, only what the caller may see.

The gateway streams the pages into CSV or XLSX and then records the export (audited). The
customer's own phone and e-mail are identity fields; contact columns appear only for callers
with ``contacts:read``. Column names are the import's field names, so an exported file can be
edited and imported again (the read-only columns are ignored on import).

Each page also names every column's kind (``KINDS``), so the XLSX has date, time and number cells
while the CSV keeps ISO 8601 text. A time is written in the time zone of the customer's site (UTC
for a site without a known one), as the people of that site read it.
"""
import datetime

from services.common import sites
from services.common.errors import ValidationFailed
from services.common.schemas import load
from services.customers import archive, contract, events, listing, lists, store

COLUMNS = ("id", "legal_name", "short_name", "tax_id", "external_code", "site_id", "country", "industry",
           "industry_code", "company_size", "employees", "annual_revenue", "main_products", "website", "phone",
           "email", "source_channel", "tags", "status", "account_type", "parent_id", "owner_id", "tier",
           "lifecycle_stage", "churn_risk", "completeness", "province", "city", "street", "postal_code",
           "last_order_date", "next_followup_date", "last_verified_at", "created_at", "updated_at")
CONTACT_COLUMNS = ("primary_contact", "contact_phone", "contact_email")
ADDRESS_COLUMNS = ("province", "city", "street", "postal_code")
FORMATS = contract.EXPORT_FORMATS
PAGE = 500
EXPORT_SORT = "created_at"  # without a sort asked for: the archive in the order it was built
KINDS = {"annual_revenue": "amount", "employees": "count", "completeness": "count", "last_order_date": "date",
         "next_followup_date": "date", "last_verified_at": "time", "created_at": "time", "updated_at": "time"}
TEXT = "text"
UTC = datetime.timezone.utc


def _plain(value, zone=UTC):
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return value.get("level")
    return value


def _address(customer):
    """The address exported: the first billing one, else the first; its province and city as typed,
    else the names of its region codes (a region chosen by code has no typed text)."""
    addresses = customer.get("addresses") or []
    billing = [a for a in addresses if a.get("type") == "billing"]
    address = (billing or addresses or [{}])[0]
    return dict(address, **{part: address.get(part) or address.get(part + "_name") for part in ("province", "city")})


def row(customer, contact=None, zone=UTC):
    address = _address(customer)
    values = [_plain(address.get(c) if c in ADDRESS_COLUMNS else customer.get("_id" if c == "id" else c), zone)
              for c in COLUMNS]
    if contact is not None:
        values += [contact.get("name"), contact.get("phone"), contact.get("email")]
    return values


def _site_zones(db, documents):
    """``{site_id: time zone}`` of the sites of ``documents``, from the service's replica of the sites."""
    return {site_id: sites.zone_of(db, site_id) for site_id in {d.get("site_id") for d in documents}}


def _first_contacts(db, customer_ids):
    """Each customer's primary contact (else its first one)."""
    found = {}
    for contact in store.customers_contacts(db, customer_ids):
        found.setdefault(contact["customer_id"], contact)
    return found


def export_rows(db, caller, filters=None, cursor=None, limit=None):
    caller.require("customers:read")
    filters = load(contract.ListFilterSchema(), filters or {})
    sort = filters.get("sort") or EXPORT_SORT
    field, descending = listing.stored_sort(sort)
    limit = PAGE if limit is None else limit
    if filters.get("deleted"):
        documents, next_cursor, total = store.search_customers(
            db, archive.search_query(caller, filters), field, descending, limit, cursor)
    else:
        page = lists.read(db, caller, filters, field, descending, limit, cursor)
        documents, next_cursor, total = page["items"], page["next_cursor"], page["total"]
    columns = list(COLUMNS)
    zones = _site_zones(db, documents)
    if caller.can("contacts:read"):
        columns += CONTACT_COLUMNS
        contacts = _first_contacts(db, [d["_id"] for d in documents])
        rows = [row(d, contacts.get(d["_id"], {}), zones[d.get("site_id")]) for d in documents]
    else:
        rows = [row(d, zone=zones[d.get("site_id")]) for d in documents]
    return {"columns": columns, "kinds": [KINDS.get(c, TEXT) for c in columns], "rows": rows,
            "next_cursor": next_cursor, "total": total}


def record_export(db, caller, filters, format, count):
    caller.require("customers:read")
    filters = load(contract.ListFilterSchema(), filters or {})
    problems = {}
    if format not in FORMATS:
        problems["format"] = ["One of csv, xlsx."]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problems["count"] = ["A whole number from 0 on."]
    if problems:
        raise ValidationFailed(fields=problems)
    site_id = filters.get("site_id") or (caller.sites[0] if len(caller.sites) == 1 else None)
    changes = {"format": {"before": None, "after": format}, "count": {"before": None, "after": count},
               "filters": {"before": None, "after": filters}}
    store.queue_events(db, events.audit("customer", None, "exported", changes, site_id, caller.user_id))
    return {}
