"""Moving in from another system through the gateway: a Zoho CRM Accounts export and a Chinese CRM's
客户 export (GBK) imported with the suggested mapping unchanged, then contacts and orders from the
matching exports linked to those customers; a preview, a mapping, a value map, saved mappings,
templates, every record type, re-imports that create nothing, and hostile options."""
import csv
import datetime
import io
import json

import openpyxl
import pytest

from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.support.api import eventually, every_item
from tests.support.customers import (
    add_part, cjk, create_customer, create_site, create_user, order, signed_in, unique, uscc,
)

ZOHO_ACCOUNTS = ["Record Id", "Account Owner", "Account Name", "Account Number", "Account Site", "Parent Account",
                 "Phone", "Website", "Account Type", "Industry", "Employees", "Annual Revenue", "Rating",
                 "Billing Street", "Billing City", "Billing State", "Billing Code", "Billing Country",
                 "Shipping Street", "Shipping City", "Shipping State", "Shipping Code", "Shipping Country",
                 "Description", "Tag", "Created Time", "Modified Time"]
ZOHO_CONTACTS = ["Record Id", "Contact Owner", "First Name", "Last Name", "Account Name", "Email", "Phone", "Mobile",
                 "Title", "Department", "Date of Birth", "Description", "Created Time"]
ZOHO_SALES_ORDERS = ["Record Id", "SO Number", "Subject", "Account Name", "Status", "Due Date", "Product Name",
                     "Quantity", "List Price", "Total", "Created Time"]
CHINESE_CUSTOMERS = ["客户名称", "客户编号", "客户级别", "负责人", "创建时间", "成交状态", "客户来源", "所属行业",
                     "电话", "网址", "省", "市", "区", "详细地址", "标签", "备注"]


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    """A site with a sales user who imports, and two colleagues a file names as owners."""
    site = create_site(admin_api, "MoveIn")
    owners = {name: create_user(admin_api, [site["id"]], ["sales"], display_name=name)
              for name in ("Wei Zhang %s" % unique(), "李娜%s" % cjk(2))}
    importer = signed_in(stack, create_user(admin_api, [site["id"]], ["manager"]))
    other = create_site(admin_api, "Elsewhere")
    outsider = signed_in(stack, create_user(admin_api, [other["id"]], ["sales"]))
    return site, owners, importer, outsider


def csv_text(headers, rows, delimiter=","):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue()


def finished(api, job):
    assert "id" in job, job
    return eventually(lambda: api.get("/imports/%s" % job["id"]).json(),
                      lambda current: current.get("status") in ("completed", "failed"), timeout=60)


def run(api, content, filename, site_id, expected=202, **form):
    data = {key: json.dumps(value) if isinstance(value, dict) else value for key, value in form.items()}
    response = api.post("/imports", files={"file": (filename, content)}, data=dict(data, site_id=site_id))
    assert response.status_code == expected, response.text
    return finished(api, response.json()) if expected == 202 else response.json()


def found(api, name):
    page = api.get("/customers", params={"q": name}).json()
    return [item for item in page["items"] if item["legal_name"] == name]


def test_a_zoho_accounts_export_imports_with_the_suggested_mapping(plant):
    site, owners, importer, _ = plant
    zhang = next(name for name in owners if name.startswith("Wei"))
    names = ["Suzhou Precision %s Co., Ltd." % unique(), "Kunshan Gearworks %s" % unique()]
    code = unique("ACC-")
    rows = [
        ["4876876000001", zhang, names[0], code, "HQ", "", "+86 512 6688 1234", "www.szprecision.example",
         "Customer", "Manufacturing", "350", "$12,500,000.00", "Hot", "88 Jinji Lake Rd", "Suzhou", "Jiangsu",
         "215000", "China", "5 Port Rd", "Taicang", "Jiangsu", "215400", "China", "Key account since 2016",
         "OEM;Automotive", "2016-03-02 10:22:11", "2026-11-30 09:00:00"],
        ["4876876000002", "Nobody Known", names[1], "", "", names[0], "", "https://kunshan-gear.example/",
         "Partner", "Machinery", "", "", "Acquired", "", "Kunshan", "Jiangsu", "", "China", "", "", "", "", "",
         "", "Gears", "2019-11-15 08:00:00", "2026-11-30 09:00:00"],
    ]
    job = run(importer, csv_text(ZOHO_ACCOUNTS, rows).encode("utf-8"), "Accounts_001.csv", site["id"],
              entity="customers")
    assert (job["status"], job["created"], job["failed"]) == ("completed", 2, 0), job["errors_sample"]
    assert {"Record Id", "Modified Time", "Account Site"} <= set(job["skipped_columns"])

    first = found(importer, names[0])[0]
    assert first["external_code"] == code and first["phone"] and first["website"].startswith("http")
    assert first["owner_id"] == owners[zhang]["id"]
    assert first["employees"] == 350 and first["annual_revenue"] == 12500000
    assert first["tags"] == ["Automotive", "OEM"] and first["customer_since"] == "2016-03-02"
    assert first["tier"]["level"] == "vip" and first["tier"]["overridden"] is True
    addresses = {address["type"]: address for address in first["addresses"]}
    assert addresses["billing"]["city"] == "Suzhou" and addresses["shipping"]["city"] == "Taicang"
    assert first["country"] == "CN" and first["notes"] == "Key account since 2016"

    second = found(importer, names[1])[0]
    assert second["parent_id"] == first["id"] and second["owner_id"] != owners[zhang]["id"]
    warned = {(w["row"], w["field"]) for w in job["warnings_sample"]}
    assert (3, "Account Owner") in warned and (3, "Rating") in warned and (3, "Account Type") in warned
    remarks = importer.get("/imports/%s/warnings" % job["id"])
    assert remarks.status_code == 200 and "Account Owner" in remarks.content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(remarks.content.decode("utf-8-sig"))))) == 1 + len(warned)

    again = run(importer, csv_text(ZOHO_ACCOUNTS, rows).encode("utf-8"), "Accounts_001.csv", site["id"])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2), again


def test_a_chinese_crm_export_saved_as_gbk_imports_with_the_suggested_mapping(plant):
    site, owners, importer, _ = plant
    li = next(name for name in owners if not name.startswith("Wei"))
    names = ["%s精密模具有限公司" % cjk(3), "%s五金制品厂" % cjk(3)]
    codes = [unique("KH"), unique("KH")]
    rows = [
        [names[0], codes[0], "重要客户", li, "2018/3/2", "已成交", "展会", "汽车零部件", "0512-66881234",
         "www.mould.example", "江苏省", "苏州市", "吴中区", "木渎镇金枫路88号", "大客户、华东", "老客户"],
        [names[1], codes[1], "普通客户", li, "2021年5月20日", "未成交", "转介绍", "五金", "13912345678", "",
         "浙江省", "宁波市", "", "鄞州区天童路1号", "", ""],
    ]
    content = csv_text(CHINESE_CUSTOMERS, rows).encode("gbk")
    preview = importer.post("/imports/preview", files={"file": ("客户.csv", content)},
                            data={"entity": "customers", "site_id": site["id"]})
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["encoding"] == "gb18030" and shown["format"] == "csv"
    suggested = {column["header"]: column["field"] for column in shown["columns"]}
    assert suggested["客户名称"] == "legal_name" and suggested["负责人"] == "owner" and suggested["客户级别"] == "level"
    assert suggested["创建时间"] == "customer_since" and shown["columns"][0]["samples"][0] == names[0]

    response = importer.post("/imports", data={"upload_id": shown["upload_id"], "entity": "customers"})
    assert response.status_code == 202, response.text
    job = finished(importer, response.json())
    assert (job["status"], job["created"], job["failed"]) == ("completed", 2, 0), job["errors_sample"]
    first = found(importer, names[0])[0]
    assert first["external_code"] == codes[0] and first["owner_id"] == owners[li]["id"]
    assert first["tier"]["level"] == "key" and first["customer_since"] == "2018-03-02"
    assert sorted(first["tags"]) == sorted(["大客户", "华东"]) and first["industry_code"]
    billing = first["addresses"][0]
    assert billing["province_code"] == "320000" and billing["city_code"] == "320500"
    assert billing["district_code"] == "320506"
    assert found(importer, names[1])[0]["customer_since"] == "2021-05-20"
    assert importer.post("/imports", data={"upload_id": shown["upload_id"]}).status_code == 409


def test_contacts_and_orders_of_the_matching_exports_link_to_their_customers(plant):
    site, _, importer, _ = plant
    tax_id = uscc()
    name = "%s传动设备有限公司" % cjk(3)
    customer = create_customer(importer, legal_name=name, tax_id=tax_id, site_id=site["id"])

    contacts = csv_text(ZOHO_CONTACTS, [
        ["1", "", "Fang", "Wang", name, "wang.fang@%s.example" % unique(), "", "13800138000", "Buyer", "Purchasing",
         "1985-07-01", "", "2020-01-01 00:00:00"],
        ["2", "", "Lei", "Chen", "Nobody Such Ltd", "", "", "", "", "", "", "", ""]]).encode("utf-8")
    job = run(importer, contacts, "Contacts.csv", site["id"], entity="contacts")
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 1), job
    assert job["linked_by"]["name"] == 1
    [contact] = importer.get("/customers/%s/contacts" % customer["id"]).json()["items"]
    assert contact["name"] in ("Fang Wang", "Wang Fang") and contact["phone"] and contact["birthday"] == "1985-07-01"

    number = unique("SO-")
    orders = csv_text(ZOHO_SALES_ORDERS, [
        ["1", number, "Gearboxes", name, "Delivered", "2024-04-02", "Gearbox GX-200", "10", "¥1,250.00", "12500",
         "2024-03-02 09:00:00"],
        ["2", number, "Gearboxes", name, "Delivered", "2024-04-02", "Shaft S-10", "4", "300", "", "2024-03-02"],
    ]).encode("utf-8")
    job = run(importer, orders, "Sales_Orders.csv", site["id"], entity="orders")
    assert (job["status"], job["created"], job["failed"]) == ("completed", 2, 0), job["errors_sample"]
    [order] = importer.get("/customers/%s/orders" % customer["id"]).json()["items"]
    assert order["number"] == number and order["order_date"] == "2024-03-02" and order["status"] == "shipped"
    assert [(line["product"], line["amount"]) for line in order["lines"]] == [("Gearbox GX-200", 12500.0),
                                                                           ("Shaft S-10", 1200.0)]
    again = run(importer, orders, "Sales_Orders.csv", site["id"], entity="orders")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2), again
    assert len(importer.get("/customers/%s/orders" % customer["id"]).json()["items"]) == 1


@pytest.mark.parametrize("entity, headers, row, check", [
    ("payments", ["客户税号", "回款日期", "回款金额", "付款方式", "订单编号"],
     lambda c: [c["tax_id"], "2024/5/6", "¥20,000.00", "银行转账", "SO-1"],
     lambda items: items[0]["amount"] == 20000 and items[0]["method"] == "bank_transfer"),
    ("interactions", ["Account Name", "Type", "Start Date Time", "Subject"],
     lambda c: [c["legal_name"], "Meeting", "2023-08-09 14:30", "Annual review"],
     lambda items: items[0]["kind"] == "meeting" and items[0]["occurred_at"].startswith("2023-08-09T06:30")),
    ("service_records", ["客户编号", "服务日期", "故障描述", "处理措施", "状态"],
     lambda c: [c["external_code"], "2022-12-01", "密封圈漏油", "更换密封圈", "已完成"],
     lambda items: items[0]["issue"] == "密封圈漏油" and items[0]["status"] == "closed"),
    ("opportunities", ["Account Name", "Deal Name", "Stage", "Amount", "Closing Date", "Probability (%)"],
     lambda c: [c["legal_name"], "Line 3 retrofit", "Closed Won", "480,000", "2025-01-31", "100%"],
     lambda items: items[0]["stage"] == "won" and items[0]["probability"] == 100),
    ("followups", ["客户名称", "任务主题", "截止日期", "状态"],
     lambda c: [c["legal_name"], "回访交付质量", "2027-01-15", "未开始"],
     lambda items: items[0]["title"] == "回访交付质量" and items[0]["status"] == "open"),
])
def test_every_record_type_imports_and_again_creates_nothing(plant, entity, headers, row, check):
    site, _, importer, _ = plant
    customer = create_customer(importer, legal_name="%s机电有限公司" % cjk(4), tax_id=uscc(),
                               external_code=unique("C"), site_id=site["id"])
    content = csv_text(headers, [row(customer)]).encode("utf-8")
    job = run(importer, content, "%s.csv" % entity, site["id"], entity=entity)
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 0), job
    path = "/customers/%s/%s" % (customer["id"], entity.replace("_", "-"))
    items = importer.get(path).json()["items"]
    assert len(items) == 1 and check(items), items
    again = run(importer, content, "%s.csv" % entity, site["id"], entity=entity)
    assert (again["created"], again["unchanged"]) == (0, 1), again


def test_a_mapping_a_value_map_and_a_saved_mapping(plant):
    site, _, importer, outsider = plant
    name = "%s塑胶制品有限公司" % cjk(3)
    content = csv_text(["公司", "等级", "内部备注"], [[name, "甲类", "不导入"]], delimiter=";").encode("utf-8-sig")
    mapping = {"公司": "legal_name", "等级": "level", "内部备注": None}
    saved = importer.post("/import-mappings", {"name": "老系统", "entity": "customers", "site_id": site["id"],
                                               "mapping": mapping, "value_map": {"level": {"甲类": "vip"}}})
    assert saved.status_code == 201, saved.text
    listed = importer.get("/import-mappings", params={"entity": "customers"}).json()["items"]
    assert [m["name"] for m in listed if m["id"] == saved.json()["id"]] == ["老系统"]
    assert saved.json()["id"] not in [m["id"] for m in outsider.get("/import-mappings").json()["items"]]

    job = run(importer, content, "old.csv", site["id"], mapping_id=saved.json()["id"])
    assert (job["status"], job["created"], job["skipped_columns"]) == ("completed", 1, ["内部备注"]), job
    customer = found(importer, name)[0]
    assert customer["tier"]["level"] == "vip" and "不导入" not in json.dumps(customer, ensure_ascii=False)

    bad = importer.post("/imports", files={"file": ("old.csv", content)},
                        data={"mapping": json.dumps({"公司": "no_such_field"}), "site_id": site["id"]})
    assert bad.status_code == 422 and "mapping" in bad.json()["error"]["fields"], bad.text
    for hostile in ("[1, 2]", "{", "x" * 300000):
        refused = importer.post("/imports", files={"file": ("old.csv", content)}, data={"mapping": hostile})
        assert refused.status_code == 422 and "mapping" in refused.json()["error"]["fields"], refused.text
    assert importer.post("/imports", data={"entity": "customers"}).status_code == 422
    assert importer.post("/imports", files={"file": ("old.csv", content)},
                         data={"entity": "planets"}).status_code == 422
    assert outsider.post("/imports", files={"file": ("old.csv", content)},
                         data={"mapping_id": saved.json()["id"]}).status_code == 404
    assert outsider.delete("/import-mappings/%s" % saved.json()["id"]).status_code == 404
    assert importer.delete("/import-mappings/%s" % saved.json()["id"]).status_code == 204
    assert saved.json()["id"] not in [m["id"] for m in importer.get("/import-mappings").json()["items"]]


def test_a_workbook_sheet_and_unicode_text_and_templates(plant):
    site, _, importer, _ = plant
    name = "%s Unicode Text Works" % unique()
    content = "\ufeff" + csv_text(["Account Name", "Phone", "Billing City"], [[name, "13912345678", "苏州"]],
                                   delimiter="\t")
    job = run(importer, content.encode("utf-16-le"), "accounts.txt", site["id"])
    assert (job["status"], job["created"]) == ("completed", 1), (job["error"], job["errors_sample"])
    assert found(importer, name)[0]["phone"]

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["这是说明页"])
    sheet = book.create_sheet("客户")
    sheet.append(["客户名称", "客户编号"])
    sheet.append([name + " 二", unique("WB")])
    data = io.BytesIO()
    book.save(data)
    preview = importer.post("/imports/preview", files={"file": ("book.xlsx", data.getvalue())},
                            data={"sheet": "客户"}).json()
    assert preview["sheets"] == ["说明", "客户"] and preview["sheet"] == "客户"
    job = run(importer, data.getvalue(), "book.xlsx", site["id"], sheet="客户")
    assert (job["status"], job["created"], job["sheet"]) == ("completed", 1, "客户"), job

    template = importer.get("/imports/template", params={"entity": "orders", "format": "csv", "language": "zh-CN"})
    assert template.status_code == 200, template.text
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header and all(header)
    assert "订单号" in header and "number" not in header
    english = importer.get("/imports/template", params={"entity": "orders", "format": "csv", "language": "en"})
    assert next(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))[:2] == ["number", "order_date"]
    xlsx = importer.get("/imports/template", params={"entity": "contacts", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    fields = importer.get("/imports/fields", params={"entity": "orders"}).json()["fields"]
    assert {"number", "order_date", "product", "customer_name"} <= {field["name"] for field in fields}


def test_imported_history_keeps_its_dates_and_notifies_nobody_while_a_new_order_does(plant):
    site, _, importer, _ = plant
    today = datetime.date.today()
    imported, entered = (create_customer(importer, legal_name="%s重工有限公司" % cjk(4), site_id=site["id"])
                         for _ in range(2))
    recent = (today - datetime.timedelta(days=30)).isoformat()
    content = csv_text(["客户名称", "订单编号", "下单日期", "产品名称", "数量", "金额"],
                       [[imported["legal_name"], unique("SO-"), recent, "主轴", "1", "1,500,000"]]).encode("utf-8")
    job = run(importer, content, "订单.csv", site["id"], entity="orders")
    assert (job["status"], job["created"]) == ("completed", 1), job["errors_sample"]
    lifted = eventually(lambda: importer.get("/customers/%s" % imported["id"]).json(),
                        lambda customer: customer["tier"]["level"] == "vip", timeout=30)
    assert lifted["last_order_date"] == recent

    add_part(importer, entered["id"], "orders", order(amount=1500000, order_date=recent))

    def tier_notices():
        items = importer.get("/notifications", params={"limit": 100}).json()["items"]
        return {item.get("link") for item in items if item.get("kind") == "tier_changed"}

    notices = eventually(tier_notices, lambda links: any(entered["id"] in (link or "") for link in links), timeout=40)
    assert not any(imported["id"] in (link or "") for link in notices)


def test_a_workbook_of_customers_contacts_and_orders_imports_in_one_job(plant):
    site, _, importer, _ = plant
    name, code, number = "%s阀门有限公司" % cjk(4), unique("WB"), unique("SO-")
    book = openpyxl.Workbook()
    book.active.title = "Sales Orders"
    book.active.append(["Account Name", "SO Number", "Order Date", "Product Name", "Quantity", "Unit Price"])
    book.active.append([name, number, datetime.datetime(2024, 3, 2), "Ball valve DN50", 20, 150])
    book.active.append([name, number, 45353, "Gate valve DN80", 2, 900])  # 45353: Excel's serial of 2024-03-02
    contacts = book.create_sheet("Contacts")
    contacts.append(["Account Name", "First Name", "Last Name", "Email"])
    contacts.append([name, "Fang", "Wang", "fang.wang@%s.example" % unique()])
    accounts = book.create_sheet("Accounts")
    accounts.append(["Account Name", "Account Number", "Rating"])
    accounts.append([name, code, "Warm"])
    data = io.BytesIO()
    book.save(data)
    job = run(importer, data.getvalue(), "zoho-export.xlsx", site["id"], entity="workbook")
    assert (job["status"], job["created"], job["failed"]) == ("completed", 4, 0), job["errors_sample"]
    assert [(sheet["sheet"], sheet["entity"]) for sheet in job["sheets"]] == [
        ("Accounts", "customers"), ("Contacts", "contacts"), ("Sales Orders", "orders")]
    customer = found(importer, name)[0]
    assert customer["external_code"] == code and customer["tier"]["level"] == "key"
    [contact] = importer.get("/customers/%s/contacts" % customer["id"]).json()["items"]
    assert contact["name"] == "Fang Wang"
    [order] = importer.get("/customers/%s/orders" % customer["id"]).json()["items"]
    assert order["order_date"] == "2024-03-02" and order["total_amount"] == 4800
    refused = importer.post("/imports", files={"file": ("a.csv", b"legal_name\nA\n")}, data={"entity": "workbook"})
    assert refused.status_code == 422 and "file" in refused.json()["error"]["fields"]


def test_an_imports_audit_trail_holds_each_record_once_and_hooks_get_each_as_an_audit_event(plant, admin_api):
    """An import's audit events travel a hundred rows to a message (``customers.audit_entries``):
    the trail still holds one entry per customer and per contact imported, a hook still gets one
    ``customers.audit`` delivery per record, signed, with the entry's id, and never the batch itself."""
    site, _, importer, _ = plant
    tag = unique("Trail")
    names = ["%s Foundry %03d" % (tag, n) for n in range(150)]  # two batches of the import's events
    people = ["%s Person %03d" % (tag, n) for n in range(150)]
    me = importer.get("/me").json()["id"]

    def trail_of(entity_type, field, wanted):
        entries = every_item(admin_api, "/audit", site_id=site["id"], entity_type=entity_type, action="created")
        return [e for e in entries if (e["changes"].get(field) or {}).get("after") in wanted]

    with WebhookReceiver() as receiver:
        hook = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.*"],
                                            "site_id": site["id"]})
        assert hook.status_code == 201, hook.text
        content = csv_text(["Account Name"], [[name] for name in names]).encode("utf-8")
        job = run(importer, content, "trail.csv", site["id"], entity="customers")
        assert (job["status"], job["created"], job["failed"]) == ("completed", 150, 0), job["errors_sample"]
        contacts = csv_text(["customer_name", "name"], list(zip(names, people))).encode("utf-8")
        job = run(importer, contacts, "people.csv", site["id"], entity="contacts")
        assert (job["status"], job["created"], job["failed"]) == ("completed", 150, 0), job["errors_sample"]

        for entity_type, field, wanted in (("customer", "legal_name", set(names)), ("contact", "name", set(people))):
            trail = eventually(lambda: trail_of(entity_type, field, wanted), lambda found: len(found) >= 150,
                               timeout=60)
            assert len(trail) == 150 and len({entry["entity_id"] for entry in trail}) == 150, entity_type
            assert {entry["actor"] for entry in trail} == {me}
            assert {entry["changes"][field]["after"] for entry in trail} == wanted
            ids = {entry["entity_id"] for entry in trail}
            audited = eventually(lambda: [event for event in receiver.events() if event["type"] == "customers.audit"
                                          and event["data"]["entity_id"] in ids],
                                 lambda found: len(found) >= 150, timeout=60)
            assert sorted(event["event_id"] for event in audited) == sorted(entry["event_id"] for entry in trail)
            assert all(event["data"]["action"] == "created" and event["site_id"] == site["id"] for event in audited)
        assert not [r for r in receiver.requests if r["headers"].get("X-CRM-Event") == "customers.audit_entries"]
        assert signature_ok(hook.json()["secret"], receiver.received("customers.audit")[0])

        again = run(importer, content, "trail.csv", site["id"], entity="customers")
        assert (again["created"], again["unchanged"]) == (0, 150)
        assert len(trail_of("customer", "legal_name", set(names))) == 150
        assert admin_api.delete("/webhooks/%s" % hook.json()["id"]).status_code == 204
