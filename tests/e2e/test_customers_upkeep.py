"""Upkeep of the customer archive through the gateway: the 360 view, tiers, reports, import,
export, duplicates and merges (issue: the customer archive)."""
import csv
import datetime
import io

import openpyxl
import pytest

from tests.support.api import eventually
from tests.support.customers import add_part, cjk, create_customer, mobile, order, team, unique, uscc


@pytest.fixture(scope="module")
def people(stack, admin_api):
    return team(stack, admin_api)


def upload(api, content, filename="customers.csv", dry_run=False):
    return api.post("/customers/import", files={"file": (filename, content)},
                    data={"dry_run": "true" if dry_run else "false"})


def finished(api, job):
    """The import job once it is no longer uploading or running."""
    return eventually(lambda: api.get("/imports/%s" % job["id"]).json(),
                      lambda current: current.get("status") in ("completed", "failed"), timeout=30)


def exported(api, **params):
    response = api.get("/customers/export", params=params)
    assert response.status_code == 200, response.text
    return response


# The 360 view

def test_overview_shows_what_the_caller_may_see(people):
    customer = create_customer(people.sales_a)
    add_part(people.sales_a, customer["id"], "contacts", {"name": "王芳", "phone": mobile(), "primary": True})
    add_part(people.sales_a, customer["id"], "interactions", {
        "kind": "call", "occurred_at": "2026-11-20T10:00:00+08:00", "summary": "Asked for a quotation"})
    add_part(people.finance_a, customer["id"], "orders", order(amount=12000))
    path = "/customers/%s/overview" % customer["id"]

    full = people.sales_a.get(path)
    assert full.status_code == 200, full.text
    view = full.json()
    assert view["customer"]["id"] == customer["id"]
    assert [c["name"] for c in view["contacts"]] == ["王芳"] and len(view["interactions"]) == 1
    assert view["tier"]["level"] and "orders_12m" in view and "open_feedback" in view

    limited = people.finance_a.get(path).json()
    assert limited["customer"]["id"] == customer["id"]
    assert "contacts" not in limited and "interactions" not in limited
    assert people.sales_b.get(path).status_code == 404


# Tiers

def test_a_large_order_lifts_the_tier_with_its_reason_and_an_override_wins(people):
    customer = create_customer(people.sales_a)
    path = "/customers/%s" % customer["id"]
    add_part(people.finance_a, customer["id"], "orders", order(amount=1250000, order_date="2026-11-01"))
    lifted = eventually(lambda: people.sales_a.get(path).json(), lambda c: c["tier"]["level"] == "vip")
    assert lifted["tier"]["reasons"] and not lifted["tier"]["overridden"]
    history = people.sales_a.get(path + "/tier-history")
    assert history.status_code == 200 and history.json()["items"]

    override = {"tier": "general", "reason": "Disputed invoices", "expires_at": "2027-06-30T00:00:00+08:00"}
    overridden = people.sales_a.put(path + "/tier-override", override)
    assert overridden.status_code == 200, overridden.text
    assert people.sales_a.get(path).json()["tier"]["level"] == "general"
    assert people.sales_a.get(path).json()["tier"]["overridden"] is True
    assert people.sales_a.delete(path + "/tier-override").status_code == 200
    assert people.sales_a.get(path).json()["tier"]["level"] == "vip"


# Reports

@pytest.mark.parametrize("report", ["tiers", "sales", "funnel", "churn-risk"])
def test_reports_need_reports_read(people, report):
    params = {"site_id": people.site_a["id"], "since": "2026-01-01T00:00:00+08:00"}
    allowed = people.viewer_a.get("/reports/%s" % report, params=params)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()
    assert people.sales_a.get("/reports/%s" % report, params=params).status_code == 403


# Import

def customer_file(names, bad_row=None):
    """A CSV with Chinese headers; the data row ``bad_row`` (1-based) gets a tax id with a wrong check digit."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["客户名称", "统一社会信用代码", "行业", "城市"])
    for number, name in enumerate(names, start=1):
        tax_id = uscc()
        if number == bad_row:
            tax_id = tax_id[:-1] + ("0" if tax_id[-1] != "0" else "1")
        writer.writerow([name, tax_id, "机械", "苏州"])
    return text.getvalue().encode("utf-8")


def test_import_reports_bad_rows_and_reimporting_creates_nothing(people):
    names = ["%s导入%d有限公司" % (cjk(3), n) for n in range(3)]
    content = customer_file(names, bad_row=2)

    trial = upload(people.sales_a, content, dry_run=True)
    assert trial.status_code == 202, trial.text
    assert finished(people.sales_a, trial.json())["status"] == "completed"
    assert people.sales_a.get("/customers", params={"q": names[0]}).json()["total"] == 0

    accepted = upload(people.sales_a, content, filename="客户导入.csv")
    assert accepted.status_code == 202, accepted.text
    job = finished(people.sales_a, accepted.json())
    assert (job["status"], job["total"], job["done"], job["created"], job["failed"]) == ("completed", 3, 3, 2, 1)
    errors = people.sales_a.get("/imports/%s/errors" % job["id"])
    assert errors.status_code == 200 and errors.content.startswith(b"\xef\xbb\xbf")
    assert "filename*=UTF-8''" in errors.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "message"] and [r[0] for r in rows[1:]] == ["3"]
    assert rows[1][1] in ("tax_id", "统一社会信用代码")  # the field, or its column as headed in the file
    assert people.sales_a.get("/customers", params={"q": names[0]}).json()["total"] == 1

    again = finished(people.sales_a, upload(people.sales_a, content).json())
    assert (again["status"], again["created"], again["failed"]) == ("completed", 0, 1)
    assert people.sales_a.get("/customers", params={"q": names[2]}).json()["total"] == 1
    assert people.sales_b.get("/imports/%s" % job["id"]).status_code == 404


def test_import_of_an_xlsx_workbook(people):
    book = openpyxl.Workbook()
    book.active.append(["legal_name", "tax_id", "industry"])
    names = ["%s Xlsx Works %d" % (unique(), n) for n in range(2)]
    for name in names:
        book.active.append([name, uscc(), "textiles"])
    data = io.BytesIO()
    book.save(data)
    accepted = upload(people.sales_a, data.getvalue(), filename="customers.xlsx")
    assert accepted.status_code == 202, accepted.text
    job = finished(people.sales_a, accepted.json())
    assert (job["status"], job["format"], job["created"]) == ("completed", "xlsx", 2)


def test_import_refuses_other_files_and_viewers(people):
    assert upload(people.sales_a, b"legal_name\nA\n", filename="customers.pdf").status_code == 415
    assert upload(people.sales_a, b"legal_name\nA\n", filename="customers.xlsx").status_code == 422
    assert upload(people.viewer_a, customer_file(["Viewer Import Ltd"])).status_code == 403


# Export

def test_export_csv_has_a_bom_and_only_fields_the_caller_may_see(people):
    name = "%s出口贸易有限公司" % cjk(4)
    customer = create_customer(people.sales_a, legal_name=name, industry="trade")
    add_part(people.sales_a, customer["id"], "contacts", {"name": "刘洋", "phone": mobile(), "primary": True})

    response = exported(people.sales_a, q=name)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["id"], row["legal_name"], row["primary_contact"]) for row in rows] == [(customer["id"], name, "刘洋")]

    finance_rows = list(csv.DictReader(io.StringIO(exported(people.finance_a, q=name).content.decode("utf-8-sig"))))
    assert [row["legal_name"] for row in finance_rows] == [name]
    assert not {"primary_contact", "contact_phone", "contact_email"} & set(finance_rows[0])
    assert exported(people.sales_b, q=name).content.decode("utf-8-sig").count("\n") == 1

    trail = eventually(lambda: people.admin.get("/audit", params={"action": "exported", "limit": 500}).json(),
                       lambda page: any(entry["actor"] == people.sales_a.session["user"]["id"]
                                        for entry in page["items"]))
    assert trail["items"]


def test_export_xlsx(people):
    name = "%s Export Works" % unique()
    create_customer(people.sales_a, legal_name=name)
    response = exported(people.sales_a, q=name, format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "legal_name" in rows[0] and [row[rows[0].index("legal_name")] for row in rows[1:]] == [name]
    assert isinstance(rows[1][rows[0].index("created_at")], datetime.datetime)  # a date cell, not ISO text


# Duplicates and merges

def test_duplicates_are_listed_in_clusters(people):
    core = cjk(4)
    first = create_customer(people.sales_a, legal_name="%s电子有限公司" % core)
    second = create_customer(people.sales_a, force=True, legal_name="%s电子股份有限公司" % core)
    groups = [{c["id"] for c in cluster["customers"]} for cluster in all_clusters(people.sales_a)]
    assert {first["id"], second["id"]} in groups
    assert not any(first["id"] in {c["id"] for c in cluster["customers"]} for cluster in all_clusters(people.sales_b))


def all_clusters(client):
    """Every page of the duplicates list."""
    clusters, params = [], {"limit": 500}
    while True:
        response = client.get("/customers/duplicates", params=params)
        assert response.status_code == 200, response.text
        clusters += response.json()["clusters"]
        if not response.json()["next_cursor"]:
            return clusters
        params = {"limit": 500, "cursor": response.json()["next_cursor"]}


def test_merge_three_then_revert_restores_all_with_their_children(people):
    core = cjk(4)
    survivor = create_customer(people.sales_a, legal_name="%s汽车零部件有限公司" % core, industry="auto")
    others = [create_customer(people.sales_a, force=True, legal_name="%s汽车零部件%s" % (core, suffix),
                              industry="industry-%s" % suffix) for suffix in ("集团", "股份有限公司")]
    for customer in [survivor] + others:
        add_part(people.sales_a, customer["id"], "contacts", {"name": "联系人%s" % cjk(2), "phone": mobile()})

    merged = people.sales_a.post("/customers/%s/merge" % survivor["id"], {
        "merged_ids": [c["id"] for c in others], "fields": {"industry": others[0]["id"]}})
    assert merged.status_code == 200, merged.text
    record = merged.json()
    assert record["status"] == "done" and record["merged_ids"] == [c["id"] for c in others]
    for customer in others:
        assert people.sales_a.get("/customers/%s" % customer["id"]).status_code == 404
    after = people.sales_a.get("/customers/%s" % survivor["id"]).json()
    assert after["industry"] == others[0]["industry"]
    assert people.sales_a.get("/customers/%s/contacts" % survivor["id"]).json()["total"] == 3
    assert record["names"][others[0]["id"]] == others[0]["legal_name"]
    listed = people.sales_a.get("/merges", params={"limit": 5}).json()["items"]
    assert listed[0]["id"] == record["id"] and listed[0]["status"] == "done"
    assert record["id"] not in [m["id"] for m in people.sales_b.get("/merges").json()["items"]]
    assert people.viewer_a.get("/merges").status_code == 403

    reverted = people.sales_a.post("/merges/%s/revert" % record["id"])
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["status"] == "reverted"
    assert people.sales_a.get("/merges").json()["items"][0]["status"] == "reverted"
    assert people.sales_a.get("/customers/%s" % survivor["id"]).json()["industry"] == "auto"
    for customer in [survivor] + others:
        assert people.sales_a.get("/customers/%s" % customer["id"]).status_code == 200
        assert people.sales_a.get("/customers/%s/contacts" % customer["id"]).json()["total"] == 1
