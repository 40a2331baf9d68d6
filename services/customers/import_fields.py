"""What an import from another system can fill, and which column of a file fills it.

Each entity (customers and the parts of a customer) has its import fields (``FIELDS``); a column is
placed on a field by its header, as Zoho, Salesforce, HubSpot, Odoo, Fxiaoke (纷享销客), Kingdee and
Yonyou exports and plain spreadsheets write it (``data/import_synonyms.json``, and for customers the
headers of this system's own export in either language), else by what its first values look like
(``suggest``). Headers compare as ``tabular.header_key`` reduces them (width, case, spaces, ``_``,
``*`` and bracketed hints ignored), with and without ``-``.
"""
import dataclasses
import json
import os
import re

from services.common import messages
from services.customers import identifiers, import_values
from services.customers.tabular import clean, header_key

SYNONYMS_FILE = os.path.join(os.path.dirname(__file__), "data", "import_synonyms.json")
MAX_HEADER_CHARS = 200  # a longer header names no field
MAX_SAMPLE_CHARS = 200  # a longer sample tells nothing about its column


@dataclasses.dataclass(frozen=True)
class Field:
    """An import field: its name (the API's), kind (text, int, number, amount, date, datetime, list,
    enum, bool, user, customer, level), whether a row must have it, and for kind enum (and level) the
    name of its enumeration in ``contract``."""

    name: str
    kind: str = "text"
    required: bool = False
    enumeration: str = None


ENTITIES = ("customers", "contacts", "orders", "payments", "interactions", "service_records", "opportunities",
            "followups")
# How a part names its customer; each part entity needs at least one of them mapped.
LINK_FIELDS = ("customer_tax_id", "customer_code", "customer_name")
LINKS = tuple(Field(name, "customer") for name in LINK_FIELDS)
DATE_KINDS = ("date", "datetime")


def _enum(name, enumeration, required=False):
    return Field(name, "enum", required, enumeration)


FIELDS = {
    "customers": (
        Field("legal_name", required=True), Field("short_name"), Field("tax_id"), Field("external_code"),
        Field("country"), Field("industry"), Field("industry_code"), Field("company_size"),
        Field("employees", "int"), Field("annual_revenue", "amount"), Field("main_products", "list"),
        Field("website"), Field("phone"), Field("email"), Field("source_channel"), Field("tags", "list"),
        Field("notes"), _enum("status", "STATUSES"), _enum("account_type", "ACCOUNT_TYPES"),
        Field("street"), Field("district"), Field("city"), Field("province"), Field("postal_code"),
        Field("shipping_street"), Field("shipping_district"), Field("shipping_city"), Field("shipping_province"),
        Field("shipping_postal_code"),
        Field("owner", "user"), Field("level", "level", enumeration="TIERS"), Field("customer_since", "date"),
        Field("parent", "customer"),
    ),
    "contacts": LINKS + (
        Field("name", required=True), Field("first_name"), Field("position"), Field("phone"), Field("mobile"),
        Field("email"),
        Field("birthday", "date"), Field("notes"), Field("primary", "bool"),
    ),
    "orders": LINKS + (
        Field("number", required=True), Field("order_date", "date", True), Field("product", required=True),
        Field("quantity", "number"), Field("unit_price", "amount"), Field("amount", "amount"), Field("currency"),
        _enum("status", "ORDER_STATUSES"), Field("contract_end_date", "date"),
    ),
    "payments": LINKS + (
        Field("payment_date", "date", True), Field("amount", "amount", True), _enum("method", "PAYMENT_METHODS"),
        Field("order_number"),
    ),
    "interactions": LINKS + (
        _enum("kind", "INTERACTION_KINDS", True), Field("occurred_at", "datetime", True),
        Field("summary", required=True), Field("participants", "list"), Field("key_points"), Field("decisions"),
        Field("next_step"), Field("next_step_date", "date"),
    ),
    "service_records": LINKS + (
        Field("service_date", "date", True), Field("product"), Field("issue", required=True), Field("action"),
        Field("engineer"), _enum("status", "SERVICE_STATUSES"),
    ),
    "opportunities": LINKS + (
        Field("title", required=True), _enum("stage", "STAGES"), Field("expected_amount", "amount"),
        Field("expected_close_date", "date"), Field("probability", "int"), Field("product"),
    ),
    "followups": LINKS + (
        Field("title", required=True), Field("due_date", "date", True), Field("assignee", "user"),
        _enum("status", "FOLLOWUP_STATUSES"), Field("notes"),
    ),
}

# The columns of this system's customer export that an import reads past: kept by the system, or
# not the customer's own data (they are skipped without being listed).
SYSTEM_COLUMNS = ("id", "site_id", "owner_id", "parent_id", "tier", "lifecycle_stage", "churn_risk", "completeness",
                  "last_order_date", "next_followup_date", "last_verified_at", "created_at", "updated_at",
                  "primary_contact", "contact_phone", "contact_email")

SHEETS = {
    "customers": ("客户", "客户资料", "客户列表", "Customers", "Customer", "Accounts", "Account", "Companies",
                  "Company"),
    "contacts": ("联系人", "Contacts", "Contact"),
    "orders": ("订单", "销售订单", "Orders", "Order", "Sales Orders", "Sales Order"),
    "payments": ("回款", "收款", "回款记录", "收款记录", "Payments", "Payment"),
    "interactions": ("跟进记录", "拜访记录", "Interactions", "Activities", "Calls", "Meetings"),
    "service_records": ("服务记录", "Service", "Service Records", "Services"),
    "opportunities": ("商机", "Opportunities", "Opportunity", "Deals", "Deal"),
    "followups": ("任务", "待办", "Follow-ups", "Followups", "Tasks", "Task"),
}

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,24}\Z", re.IGNORECASE)
WEBSITE = re.compile(r"(https?://)?(www\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}(:\d{1,5})?([/?#]\S*)?\Z",
                     re.IGNORECASE)
NUMERIC = re.compile(r"[+-]?\d[\d,]*(\.\d+)?\Z")


def _keys(label):
    """The lookup keys of a header: ``header_key`` with and without ``-``."""
    key = header_key(label)
    return {key, key.replace("-", "")} - {""}


def _synonyms():
    with open(SYNONYMS_FILE, encoding="utf-8") as source:
        return json.load(source)


SYNONYMS = _synonyms()
CJK = re.compile(r"[\u4e00-\u9fff]")


def labels_of(entity):
    """``{field: {"en", "zh-CN"}}``: the header a template writes in each language. In English the
    field's name (what an export writes, read back by any import); in Chinese the customer export's
    header, else the field's first Chinese synonym."""
    columns = messages.catalogue("columns", "zh-CN") if entity == "customers" else {}
    labels = {}
    for field in FIELDS[entity]:
        chinese = next((label for label in SYNONYMS.get(entity, {}).get(field.name, ()) if CJK.search(label)), None)
        if field.name in columns:
            chinese = columns[field.name][1]
        labels[field.name] = {"en": field.name, "zh-CN": chinese or field.name}
    return labels


def _lookup():
    """``{entity: {key: field}}`` from the synonyms file, and for customers the export's headers of the
    importable fields; ``{key}`` of the export's headers of ``SYSTEM_COLUMNS``."""
    synonyms = SYNONYMS
    tables = {}
    for entity in ENTITIES:
        table = tables[entity] = {}
        for field, labels in synonyms.get(entity, {}).items():
            for label in labels:
                for key in _keys(label):
                    table.setdefault(key, field)
    names = {field.name for field in FIELDS["customers"]}
    system = set()
    for column, labels in messages.labelled("", "columns").items():
        for label in labels.values():
            if column in SYSTEM_COLUMNS:
                system |= _keys(label)
            elif column in names:
                for key in _keys(label):
                    tables["customers"].setdefault(key, column)
    return tables, system


HEADERS, SYSTEM_HEADERS = _lookup()
SHEET_ENTITIES = {key: entity for entity, names in SHEETS.items() for name in names for key in _keys(name)}


def fields_of(entity):
    """``{name: Field}`` of an entity's import fields."""
    return {field.name: field for field in FIELDS[entity]}


def _header_text(header):
    text = clean(header)
    return text if text and len(text) <= MAX_HEADER_CHARS else None


def field_of(entity, header):
    """The field a column's header names for ``entity``, or None."""
    text = _header_text(header)
    if text is None:
        return None
    table = HEADERS[entity]
    key = header_key(text)
    return table.get(key) or table.get(key.replace("-", ""))


def read_only(entity, header):
    """Whether a customers column is one of this system's export that an import reads past (a
    system-kept column: id, tier, created_at...). A header a field claims is not read-only."""
    text = _header_text(header)
    if entity != "customers" or text is None or field_of(entity, text):
        return False
    key = header_key(text)
    return key in SYSTEM_HEADERS or key.replace("-", "") in SYSTEM_HEADERS


def entity_of_sheet(name):
    """The entity a workbook sheet's name names (客户, Accounts, 销售订单, Deals, Tasks…), or None."""
    text = _header_text(name)
    if text is None:
        return None
    key = header_key(text)
    return SHEET_ENTITIES.get(key) or SHEET_ENTITIES.get(key.replace("-", ""))


def suggest(entity, headers, samples):
    """``[(field or None, by)]``, one per column, ``by`` being ``"header"``, ``"values"`` or None.

    Columns are placed by header first; a column still unplaced is placed by its ``samples`` (its
    first non-empty values): all valid USCCs are the tax id (the customer's, for a part), all e-mail
    addresses the e-mail, all dates the entity's first required date field still free (a record's
    own date: an order's, a payment's; never an optional one, as a "last follow-up" or "modified"
    column would make a wrong customer_since or contract end), all web addresses the website, all
    phone numbers the phone. A field goes to one column only (the first); a header over
    200 characters and this system's read-only export columns are never placed."""
    placed, taken = [], set()
    for header in headers:
        field = field_of(entity, header)
        if field is None or field in taken:
            placed.append((None, None))
        else:
            taken.add(field)
            placed.append((field, "header"))
    for index, header in enumerate(headers):
        if placed[index][0] is not None or read_only(entity, header) or _too_long(header):
            continue
        values = [value for value in (samples[index] if index < len(samples) else None) or ()
                  if clean(value) is not None]
        field = _by_values(entity, values, taken)
        if field is not None:
            taken.add(field)
            placed[index] = (field, "values")
    return placed


def _too_long(header):
    text = clean(header)
    return text is not None and len(text) > MAX_HEADER_CHARS


def _by_values(entity, values, taken):
    """The free field all ``values`` fit, or None."""
    if not values or any(len(clean(value)) > MAX_SAMPLE_CHARS for value in values):
        return None
    fields = fields_of(entity)
    texts = [clean(value) for value in values]
    if all(identifiers.valid_uscc(identifiers.tax_id_key(text)) for text in texts):
        wanted = "tax_id" if entity == "customers" else "customer_tax_id"
    elif all(EMAIL.match(text) for text in texts):
        wanted = "email"
    elif all(_is_date(value) for value in values):
        free = [field.name for field in FIELDS[entity]
                if field.kind in DATE_KINDS and field.required and field.name not in taken]
        wanted = free[0] if free else None
    elif all(WEBSITE.match(text) for text in texts):
        wanted = "website"
    elif all(identifiers.valid_phone(text) for text in texts):
        wanted = "phone"
    else:
        return None
    return wanted if wanted in fields and wanted not in taken else None


def _is_date(value):
    """A value written as a date: a number alone (a quantity as much as an Excel serial) is not one."""
    if isinstance(value, (int, float)) or NUMERIC.match(clean(value)):
        return False
    try:
        import_values.parse_date(value)
    except ValueError:
        return False
    return True
