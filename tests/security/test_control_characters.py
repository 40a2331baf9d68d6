"""Item 10: control characters are refused on input everywhere (tab and line breaks only in
multi-line text), imported cells with them are row errors naming the field, and data stored
before these checks still exports as CSV and XLSX (schemathesis once made the XLSX export 500)."""
import csv
import io

import openpyxl
import pytest

from tests.security.test_import_bombs import finished, upload
from tests.customers import workbooks
from tests.support.customers import create_customer, create_site, unique
from tests.support.servers import service_database

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def invalid(response, field):
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"], response.text


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "Ctl")


@pytest.mark.parametrize("value", ["Acme\x00Ltd", "Acme\x1b[31m", "Acme\nLtd", "Acme\tLtd", "Acme\x85", "Acme\x7f"])
def test_a_name_with_a_control_character_is_422_naming_it(admin_api, site, value):
    invalid(admin_api.post("/customers", {"legal_name": value, "site_id": site["id"]}), "legal_name")


def test_multi_line_text_keeps_tabs_and_line_breaks_only(admin_api, site):
    created = create_customer(admin_api, site_id=site["id"], notes="line one\r\n\tline two", force=True)
    assert created["notes"] == "line one\r\n\tline two"
    invalid(admin_api.post("/customers", {"legal_name": unique("Ctl"), "site_id": site["id"], "notes": "bell\x07"}),
            "notes")
    invalid(admin_api.post("/customers/%s/interactions" % created["id"],
                           {"kind": "call", "occurred_at": "2026-10-01T08:00:00Z", "summary": "ok\x00"}), "summary")


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/customers", {"legal_name": "Acme", "tags": ["vip\x0b"]}, "tags"),
    ("post", "/sites", {"code": "C\x01", "name": "Plant", "timezone": "Asia/Shanghai"}, "code"),
    ("post", "/sites", {"code": "CTL1", "name": "Plant\x01", "timezone": "Asia/Shanghai"}, "name"),
    ("post", "/webhooks", {"url": "https://example.com/h", "event_types": ["customers.*"], "description": "x\x0c"},
     "description"),
    ("post", "/feedback", {"customer_id": "c1", "channel": "phone", "type": "complaint", "category": "quality",
                           "text": "broken\x00"}, "text"),
    ("post", "/views", {"name": "Mine\x1f", "filters": {}}, "name"),
])
def test_every_service_s_text_refuses_control_characters(admin_api, method, path, body, field):
    invalid(admin_api.request(method.upper(), path, json=body), field)


def test_a_control_character_in_a_query_is_422(admin_api):
    invalid(admin_api.get("/customers", params={"q": "Acme\x00"}), "q")
    invalid(admin_api.get("/users", params={"q": "ad\x1bmin"}), "q")


def test_an_imported_cell_with_a_control_character_is_a_row_error_naming_the_field(admin_api, site):
    good = "%s精密有限公司" % unique("Imp")
    content = ("客户名称,备注\r\n%s,ok\r\nBad\x07Name,fine\r\n%s二厂,x\x01y\r\n" % (good, good)).encode("utf-8")
    job = finished(admin_api, upload(admin_api, content, "ctl.csv", site_id=site["id"]).json())
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 2), job
    assert [(e["row"], e["field"]) for e in job["errors_sample"]] == [(3, "客户名称"), (4, "备注")]
    assert all("control characters" in e["message"] for e in job["errors_sample"])
    texts = ["客户名称", "Bell_x0007_Co", "%s三厂" % good]
    sheet = workbooks.sheet([[("s", 0)], [("s", 1)], [("s", 2)]])
    book = workbooks.workbook(sheet, workbooks.shared_strings(texts))
    job = finished(admin_api, upload(admin_api, book, "ctl.xlsx", site_id=site["id"]).json())
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 1), job
    assert [(e["row"], e["field"]) for e in job["errors_sample"]] == [(2, "客户名称")]


def test_data_stored_with_control_characters_still_exports(admin_api, site, test_env):
    customer = create_customer(admin_api, site_id=site["id"], force=True)
    service_database(test_env, "customers").customers.update_one({"_id": customer["id"]}, {"$set": {
        "legal_name": "Stored\x00Bad\x1bName", "industry": "=cmd\x07", "tags": ["t\x0b1", "ok"],
        "addresses": [{"id": "a1", "type": "billing", "city": "Su\x02zhou", "street": "line\nnext"}]}})
    params = {"site_id": site["id"]}
    spreadsheet = admin_api.get("/customers/export", params=dict(params, format="xlsx"))
    assert spreadsheet.status_code == 200, spreadsheet.text
    assert spreadsheet.headers["Content-Type"].startswith(XLSX_TYPE)
    rows = list(openpyxl.load_workbook(io.BytesIO(spreadsheet.content), read_only=True).worksheets[0].values)
    [values] = [dict(zip(rows[0], row)) for row in rows[1:] if row[0] == customer["id"]]
    assert values["legal_name"] == "Stored\ufffdBad\ufffdName" and values["industry"] == "'=cmd\ufffd"
    assert values["tags"] == "t\ufffd1, ok" and values["city"] == "Su\ufffdzhou" and values["street"] == "line\nnext"
    text = admin_api.get("/customers/export", params=dict(params, format="csv"))
    assert text.status_code == 200, text.text
    [exported] = [row for row in csv.DictReader(io.StringIO(text.content.decode("utf-8-sig")))
                  if row["id"] == customer["id"]]
    assert exported["legal_name"] == "Stored\ufffdBad\ufffdName" and exported["industry"] == "'=cmd\ufffd"
