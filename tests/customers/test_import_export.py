"""Export pages: the list's filters, the caller's columns, paging, the kind of every column, and the
audited record."""
import datetime
import io
import zoneinfo

import openpyxl
import pytest

from gateway import downloads

from services.common.auth import Caller
from services.common.errors import ValidationFailed
from services.customers import archive, effects, exports, import_mapping, parts, store

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write", "contacts:read", "contacts:write"])
FINANCE = Caller("u-fin", ["site-a"], ["customers:read", "orders:read"])


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    for n in range(7):
        customer = archive.create_customer(database, SALES, {
            "legal_name": "Export Co %d" % n, "phone": "0512-6688123%d" % n, "tags": ["oem"] if n % 2 else ["dealer"],
            "addresses": [{"type": "billing", "city": "苏州", "province": "江苏"}]}, force=True)
        parts.create_part(database, SALES, customer["id"], "contacts", {"name": "联系人%d" % n, "phone": "13800138000"},
                          effects.Effects(database))
    return database


def all_rows(db, caller, filters=None, limit=3):
    rows, cursor = [], None
    while True:
        page = exports.export_rows(db, caller, filters, cursor, limit)
        rows += [dict(zip(page["columns"], values)) for values in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return page["columns"], rows


def test_pages_hold_every_row_once_with_plain_values(db):
    columns, rows = all_rows(db, SALES)
    assert len({r["id"] for r in rows}) == 7 and len(rows) == 7
    first = rows[0]
    assert first["city"] == "苏州" and first["tier"] == "general" and isinstance(first["created_at"], str)
    assert first["primary_contact"].startswith("联系人") and first["contact_phone"] == "13800138000"
    assert len(all_rows(db, SALES, {"tag": "oem"})[1]) == 3


def test_finance_gets_no_contact_columns(db):
    columns, rows = all_rows(db, FINANCE)
    assert not set(columns) & set(exports.CONTACT_COLUMNS) and len(rows) == 7
    assert rows[0]["phone"].startswith("0512")


def test_each_column_has_a_kind_and_times_are_in_the_sites_zone(db):
    page = exports.export_rows(db, SALES, None, None, 7)
    kinds = dict(zip(page["columns"], page["kinds"]))
    assert len(page["kinds"]) == len(page["columns"])
    assert [kinds[c] for c in ("legal_name", "annual_revenue", "last_order_date", "created_at", "contact_phone")] == [
        "text", "amount", "date", "time", "text"]
    first = dict(zip(page["columns"], page["rows"][0]))
    stored = db.customers.find_one({"_id": first["id"]})["created_at"]
    assert first["created_at"].endswith("+08:00")  # the test sites are in Asia/Shanghai
    assert datetime.datetime.fromisoformat(first["created_at"]) == stored


def test_an_exported_workbook_has_date_time_and_amount_cells(db):
    db.customers.update_many({}, {"$set": {"last_order_date": "2026-03-01", "annual_revenue": 12345678.5}})
    count, handle = downloads.xlsx_file([exports.export_rows(db, SALES, None, None, 7)])
    try:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
    finally:
        handle.close()
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2])}
    assert count == 7
    assert row["last_order_date"].is_date and row["last_order_date"].number_format == "yyyy-mm-dd"
    assert row["last_order_date"].value == datetime.datetime(2026, 3, 1)
    assert row["created_at"].is_date and row["created_at"].number_format == "yyyy-mm-dd hh:mm"
    stored = db.customers.find_one({"_id": row["id"].value})["created_at"]
    shanghai = stored.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(row["created_at"].value - shanghai) < datetime.timedelta(milliseconds=1)
    assert row["annual_revenue"].value == 12345678.5 and row["annual_revenue"].number_format == "#,##0.00"
    assert row["legal_name"].data_type == "s" and row["legal_name"].value.startswith("Export Co")


def test_exported_columns_import_again():
    headers = list(exports.COLUMNS)
    found, skipped, _ = import_mapping.columns_of("customers", headers, [[] for _ in headers])
    assert found[1] == "legal_name" and skipped == []


def test_an_export_is_audited(db):
    assert exports.record_export(db, SALES, {"tag": "oem"}, "xlsx", 3) == {}
    (queued,) = db.outbox.find({})
    (audit,) = queued["_outbox"]
    assert audit["type"] == "customers.audit" and audit["site_id"] == "site-a"
    assert audit["data"]["action"] == "exported" and audit["data"]["entity_id"] is None
    assert audit["data"]["changes"]["count"]["after"] == 3
    with pytest.raises(ValidationFailed):
        exports.record_export(db, SALES, {}, "pdf", 1)
