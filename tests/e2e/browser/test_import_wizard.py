"""The import wizard in Chromium: a Zoho CRM export of accounts, its columns mapped (suggested from the
headers, one changed to "do not import"), checked, then imported; then a contacts file naming those
customers by name. A workbook's sheet, the templates, saved mappings (applied, then deleted), the value
map of a tier column the server cannot read by itself, and a whole workbook imported by its sheets' names."""
import csv
import re
import uuid

import openpyxl
from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, ui_site
from tests.support.customers import cjk, mobile

ZOHO_ACCOUNT_HEADERS = ["Account Name", "Account Number", "Phone", "Website", "Billing City", "Industry", "Rating",
                        "Description", "Created Time", "Zoho Internal Id"]
ZOHO_CONTACT_HEADERS = ["Contact Name", "Account Name", "Title", "Mobile", "Email"]


def write_csv(path, headers, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows([[row[header] for header in headers] for row in rows])
    return path


def zoho_accounts():
    """Two accounts as a Zoho CRM export writes them (a Chinese name each, codes unique to the test)."""
    code = uuid.uuid4().hex[:6].upper()
    return [
        {"Account Name": "%s精工机械有限公司" % cjk(4), "Account Number": "ZA-%s-1" % code, "Phone": "0512-66881234",
         "Website": "https://www.example-%s.cn" % code.lower(), "Billing City": "苏州", "Industry": "机械",
         "Rating": "Active", "Description": "Zoho 迁移客户", "Created Time": "2023-04-12",
         "Zoho Internal Id": "zcrm_48768760000%s01" % code},
        {"Account Name": "%s液压设备有限公司" % cjk(4), "Account Number": "ZA-%s-2" % code, "Phone": "021-58881234",
         "Website": "https://hydraulic-%s.com.cn" % code.lower(), "Billing City": "上海", "Industry": "液压",
         "Rating": "Acquired", "Description": "", "Created Time": "2024-01-05",
         "Zoho Internal Id": "zcrm_48768760000%s02" % code},
    ]


def zoho_contacts(accounts):
    """One contact of each account, naming it by its name."""
    return [{"Contact Name": "%s%s" % (cjk(1), cjk(2)), "Account Name": account["Account Name"], "Title": title,
             "Mobile": mobile(), "Email": "%s@factory.test" % uuid.uuid4().hex[:10]}
            for account, title in zip(accounts, ("采购经理", "设备主管"))]


def exactly(text):
    return re.compile(r"^\s*%s\s*$" % re.escape(text))


def choose(page, select, option):
    """Pick ``option`` (its whole label) in the Element Plus select found by ``select``; wait until its list
    has closed (a closing list still shows its items, which the next select's would be taken for)."""
    page.locator(select).click()
    page.locator(".el-select-dropdown__item:visible", has_text=exactly(option)).first.click()
    expect(page.locator(".el-select-dropdown__item:visible")).to_have_count(0)


def column(page, header):
    return page.locator("[data-test=import-column-row][data-header='%s']" % header)


def field_labels(admin_api, entity):
    """``{field: label}`` of ``entity``'s import fields, in Chinese as the page shows them."""
    response = admin_api.get("/imports/fields", params={"entity": entity}, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200, response.text
    return {field["name"]: field["label"] for field in response.json()["fields"]}


def upload(page, ui_url, admin_api, entity, path, shown="[data-test=import-mapping-table]"):
    """Choose the site of the browser tests, ``entity`` and the file, and go on to the mapping (or to what
    ``shown`` finds)."""
    page.goto(ui_url + "/import")
    ui_site(admin_api)
    sites = admin_api.get("/sites", params={"limit": 500}).json()["items"]
    if len([s for s in sites if s["status"] != "disabled"]) > 1:  # else the one site, without a choice
        choose(page, "[data-test=import-site]", "UI Plant")
    choose(page, "[data-test=import-entity]", entity)
    page.locator("[data-test=import-file]").set_input_files(str(path))
    page.locator("[data-test=import-next]").click()
    expect(page.locator(shown)).to_be_visible(timeout=30000)


def check_then_import(page, rows, name):
    """Run the dry run, then the import; both should take every row. The result card."""
    page.locator("[data-test=import-dry-run]").click()
    report = page.locator("[data-test=import-report]")
    expect(report.locator("[data-test=import-count-created]")).to_have_text(str(rows), timeout=30000)
    expect(report.locator("[data-test=import-count-failed]")).to_have_text("0")
    shot(page, "import_wizard_%s_dry_run" % name)

    page.locator("[data-test=import-run]").click()
    result = page.locator("[data-test=import-result]")
    expect(result.locator("[data-test=import-count-created]")).to_have_text(str(rows), timeout=30000)
    expect(result.locator("[data-test=import-count-failed]")).to_have_text("0")
    expect(page.locator("[data-test=import-progress]")).to_contain_text("100%")
    shot(page, "import_wizard_%s_done" % name)
    return result


def save_mapping(page, admin_api, name):
    """Save the wizard's mapping as ``name``; -> the saved mapping as the API lists it."""
    page.locator("[data-test=import-mapping-name]").fill(name)
    page.locator("[data-test=import-mapping-save]").click()
    expect(page.locator("[data-test=import-mapping-saved]")).to_contain_text(name)
    return next(m for m in admin_api.get("/import-mappings", params={"entity": "customers"}).json()["items"]
                if m["name"] == name)


def customer_named(admin_api, name):
    response = admin_api.get("/customers", params={"q": name})
    assert response.status_code == 200, response.text
    [found] = [item for item in response.json()["items"] if item["legal_name"] == name]
    return admin_api.get("/customers/%s" % found["id"]).json()


def customer_count(admin_api, name):
    response = admin_api.get("/customers", params={"q": name})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_a_zoho_export_of_accounts_then_of_contacts_imports_through_the_wizard(admin_page, ui_url, admin_api,
                                                                              tmp_path):
    page = admin_page
    site = ui_site(admin_api)
    accounts = zoho_accounts()
    path = write_csv(tmp_path / "Accounts_2024.csv", ZOHO_ACCOUNT_HEADERS, accounts)
    labels = field_labels(admin_api, "customers")

    upload(page, ui_url, admin_api, "客户", path)
    for header, field in (("Account Name", "legal_name"), ("Account Number", "external_code"),
                          ("Billing City", "city"), ("Description", "notes")):
        expect(column(page, header).locator("[data-test=import-column-field]")).to_contain_text(labels[field])
    expect(column(page, "Account Name")).to_contain_text(accounts[0]["Account Name"])  # a sample value
    unknown = column(page, "Zoho Internal Id")
    expect(unknown).to_have_class(re.compile(r"\bis-skipped\b"))
    expect(unknown.locator("[data-test=import-column-skipped]")).to_be_visible()
    expect(page.locator("[data-test=import-missing-required]")).to_have_count(0)

    choose(page, "[data-test=import-column-row][data-header='Rating'] [data-test=import-column-field]", "不导入")
    expect(column(page, "Rating")).to_have_class(re.compile(r"\bis-skipped\b"))
    saved = save_mapping(page, admin_api, "Zoho 客户 %s" % uuid.uuid4().hex[:6])
    shot(page, "import_wizard_mapping")
    assert saved["mapping"]["Rating"] is None and saved["mapping"]["Account Name"] == "legal_name"

    result = check_then_import(page, 2, "customers")
    expect(result.locator("[data-test=import-skipped]")).to_contain_text("Zoho Internal Id")
    expect(result.locator("[data-test=import-skipped]")).to_contain_text("Rating")

    for account in accounts:
        customer = customer_named(admin_api, account["Account Name"])
        assert customer["site_id"] == site
        assert (customer["external_code"], customer["industry"]) == (account["Account Number"], account["Industry"])
        assert customer["website"].rstrip("/") == account["Website"]
        assert re.sub(r"\D", "", customer["phone"]).endswith(re.sub(r"\D", "", account["Phone"])[1:])
        assert [address["city"] for address in customer["addresses"]] == [account["Billing City"]]
        assert customer["customer_since"] == account["Created Time"]
        assert (customer.get("notes") or "") == account["Description"]

    # The contacts of those customers, naming each by its name.
    contacts = zoho_contacts(accounts)
    path = write_csv(tmp_path / "Contacts_2024.csv", ZOHO_CONTACT_HEADERS, contacts)
    page.locator("[data-test=import-again]").click()
    labels = field_labels(admin_api, "contacts")
    upload(page, ui_url, admin_api, "联系人", path)
    for header, field in (("Contact Name", "name"), ("Account Name", "customer_name"), ("Title", "position")):
        expect(column(page, header).locator("[data-test=import-column-field]")).to_contain_text(labels[field])
    expect(page.locator("[data-test=import-missing-required]")).to_have_count(0)

    # Without the column naming the customer, the wizard says so and does not go on.
    choose(page, "[data-test=import-column-row][data-header='Account Name'] [data-test=import-column-field]", "不导入")
    expect(page.locator("[data-test=import-missing-required]")).to_be_visible()
    expect(page.locator("[data-test=import-dry-run]")).to_be_disabled()
    choose(page, "[data-test=import-column-row][data-header='Account Name'] [data-test=import-column-field]",
           labels["customer_name"])
    expect(page.locator("[data-test=import-missing-required]")).to_have_count(0)

    result = check_then_import(page, 2, "contacts")
    expect(result.locator("[data-test=import-linked-by]")).to_contain_text("2")

    for account, contact in zip(accounts, contacts):
        customer = customer_named(admin_api, account["Account Name"])
        found = admin_api.get("/customers/%s/contacts" % customer["id"]).json()["items"]
        assert [(c["name"], c["position"], c["email"]) for c in found] == [
            (contact["Contact Name"], contact["Title"], contact["Email"])]
        assert re.sub(r"\D", "", found[0]["phone"]).endswith(contact["Mobile"])  # a contact has one phone


def workbook(path, customers):
    """An XLSX whose first sheet is a note and whose second one holds the customers."""
    book = openpyxl.Workbook()
    note = book.active
    note.title = "说明"
    note.append(["说明"])
    note.append(["客户资料见第二个工作表"])
    sheet = book.create_sheet("客户")
    sheet.append(["客户名称", "客户编码", "城市"])
    for name, code in customers:
        sheet.append([name, code, "无锡"])
    book.save(path)
    return path


def test_the_wizard_reads_the_chosen_sheet_offers_templates_and_applies_a_saved_mapping(admin_page, ui_url,
                                                                                       admin_api, tmp_path):
    page = admin_page
    code = uuid.uuid4().hex[:6].upper()
    customers = [("%s轴承有限公司" % cjk(4), "WB-%s-%d" % (code, n)) for n in range(3)]
    path = workbook(tmp_path / "客户资料.xlsx", customers)
    labels = field_labels(admin_api, "customers")

    page.goto(ui_url + "/import")
    with page.expect_download() as download_info:
        page.locator("[data-test=import-template-csv]").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        headers = next(csv.reader(handle))
    assert headers[0] == labels["legal_name"] == "客户名称"  # required fields first
    with page.expect_download() as download_info:
        page.locator("[data-test=import-template-csv-en]").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle))[0] == "legal_name"
    with page.expect_download() as download_info:
        page.locator("[data-test=import-template-xlsx]").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")

    upload(page, ui_url, admin_api, "客户", path)
    expect(page.locator("[data-test=import-missing-required]")).to_contain_text(labels["legal_name"])
    expect(page.locator("[data-test=import-dry-run]")).to_be_disabled()
    choose(page, "[data-test=import-sheet]", "客户")
    expect(column(page, "客户名称").locator("[data-test=import-column-field]")).to_contain_text(labels["legal_name"])
    expect(page.locator("[data-test=import-missing-required]")).to_have_count(0)

    choose(page, "[data-test=import-column-row][data-header='城市'] [data-test=import-column-field]", "不导入")
    mapping_name = "无城市 %s" % code
    save_mapping(page, admin_api, mapping_name)

    # The next file of the same kind: the saved mapping skips the city again.
    page.locator("[data-test=import-back]").click()
    page.locator("[data-test=import-next]").click()
    choose(page, "[data-test=import-sheet]", "客户")
    expect(column(page, "城市")).not_to_have_class(re.compile(r"\bis-skipped\b"))
    choose(page, "[data-test=import-mapping-saved]", mapping_name)
    expect(column(page, "城市")).to_have_class(re.compile(r"\bis-skipped\b"))
    shot(page, "import_wizard_sheet_and_saved_mapping")

    page.locator("[data-test=import-dry-run]").click()
    report = page.locator("[data-test=import-report]")
    expect(report.locator("[data-test=import-count-created]")).to_have_text("3", timeout=30000)
    expect(report.locator("[data-test=import-skipped]")).to_contain_text("城市")
    assert [customer_count(admin_api, name) for name, _ in customers] == [0, 0, 0]  # a dry run changes nothing


def test_the_value_map_reads_a_tier_the_server_does_not_know_and_a_saved_mapping_is_deleted(admin_page, ui_url,
                                                                                            admin_api, tmp_path):
    page = admin_page
    site = ui_site(admin_api)
    code = uuid.uuid4().hex[:6].upper()
    rows = [{"客户名称": "%s模具有限公司" % cjk(4), "客户编码": "VM-%s-1" % code, "客户级别": "甲类",
             "状态": "合作中"},
            {"客户名称": "%s铸造有限公司" % cjk(4), "客户编码": "VM-%s-2" % code, "客户级别": "乙类",
             "状态": "暂停往来"}]
    path = write_csv(tmp_path / "老系统客户.csv", ["客户名称", "客户编码", "客户级别", "状态"], rows)
    labels = field_labels(admin_api, "customers")

    upload(page, ui_url, admin_api, "客户", path)
    expect(column(page, "客户级别").locator("[data-test=import-column-field]")).to_contain_text(labels["level"])
    expect(column(page, "状态").locator("[data-test=import-column-field]")).to_contain_text(labels["status"])
    value_map = page.locator("[data-test=import-value-map]")
    expect(value_map).to_be_visible()
    expect(value_map.locator("[data-test=import-value-row]")).to_have_count(4)
    # The tiers, and the customer statuses of GET /catalogues/customer_statuses.
    for text, value in (("甲类", "VIP"), ("乙类", "重点"), ("合作中", "正常"), ("暂停往来", "停用")):
        choice = "[data-test=import-value-row][data-value='%s'] [data-test=import-value-choice]" % text
        choose(page, choice, value)
        expect(page.locator(choice)).to_contain_text(value)
    mapping_name = "老系统 %s" % code
    saved = save_mapping(page, admin_api, mapping_name)
    shot(page, "import_wizard_value_map")
    assert saved["value_map"] == {"level": {"甲类": "vip", "乙类": "key"},
                                  "status": {"合作中": "active", "暂停往来": "inactive"}}

    check_then_import(page, 2, "value_map")
    for row, tier, status in zip(rows, ("vip", "key"), ("active", "inactive")):
        customer = customer_named(admin_api, row["客户名称"])
        assert (customer["site_id"], customer["status"]) == (site, status)
        assert customer["tier"]["level"] == tier and customer["tier"]["overridden"] is True, customer["tier"]

    # The saved mapping brings its value map back; then it is deleted.
    page.locator("[data-test=import-again]").click()
    upload(page, ui_url, admin_api, "客户", path)
    choice = "[data-test=import-value-row][data-value='甲类'] [data-test=import-value-choice]"
    expect(page.locator(choice)).not_to_contain_text("VIP")
    choose(page, "[data-test=import-mapping-saved]", mapping_name)
    expect(page.locator(choice)).to_contain_text("VIP")
    page.locator("[data-test=import-mapping-delete]").click()
    box = page.locator(".el-message-box")
    expect(box).to_contain_text(mapping_name)
    box.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator("[data-test=import-mapping-saved]")).not_to_contain_text(mapping_name)
    remaining = admin_api.get("/import-mappings", params={"entity": "customers"}).json()["items"]
    assert saved["id"] not in [m["id"] for m in remaining]


def whole_workbook(path, customers, contact):
    """An XLSX of a note, a contact naming the first customer by its name, then the customers."""
    book = openpyxl.Workbook()
    note = book.active
    note.title = "说明"
    note.append(["从旧系统导出的客户和联系人"])
    contacts = book.create_sheet("联系人")
    contacts.append(["客户名称", "姓名", "职务", "邮箱"])
    contacts.append([customers[0][0]] + list(contact))
    sheet = book.create_sheet("客户")
    sheet.append(["客户名称", "客户编码"])
    for name, code in customers:
        sheet.append([name, code])
    book.save(path)
    return path


def sheet_row(card, name):
    return card.locator("[data-test=import-sheet-row][data-sheet='%s']" % name)


def test_a_whole_workbook_imports_its_sheets_by_their_names_customers_first(admin_page, ui_url, admin_api,
                                                                           tmp_path):
    page = admin_page
    site = ui_site(admin_api)
    code = uuid.uuid4().hex[:6].upper()
    customers = [("%s泵业有限公司" % cjk(4), "WK-%s-1" % code), ("%s电机有限公司" % cjk(4), "WK-%s-2" % code)]
    contact = ("%s%s" % (cjk(1), cjk(2)), "采购主管", "%s@factory.test" % uuid.uuid4().hex[:10])
    path = whole_workbook(tmp_path / "旧系统导出.xlsx", customers, contact)

    # A text file is not a workbook: the page says so before sending it, and the server if its name lies.
    page.goto(ui_url + "/import")
    choose(page, "[data-test=import-entity]", "整个工作簿（按工作表名称）")
    expect(page.locator("[data-test=import-workbook-hint]")).to_be_visible()
    page.locator("[data-test=import-file]").set_input_files(str(write_csv(
        tmp_path / "客户.csv", ["客户名称"], [{"客户名称": customers[0][0]}])))
    expect(page.locator(".el-form-item__error")).to_contain_text(".xlsx")
    expect(page.locator("[data-test=import-next]")).to_be_disabled()
    disguised = tmp_path / "客户.xlsx"
    disguised.write_bytes((tmp_path / "客户.csv").read_bytes())
    page.locator("[data-test=import-file]").set_input_files(str(disguised))
    page.locator("[data-test=import-next]").click()
    expect(page.locator(".el-form-item__error")).to_contain_text("XLSX 工作簿", timeout=30000)
    assert customer_count(admin_api, customers[0][0]) == 0

    # No mapping step: "next" runs the dry run of every sheet, customers first.
    upload(page, ui_url, admin_api, "整个工作簿（按工作表名称）", path, shown="[data-test=import-report]")
    expect(page.locator("[data-test=import-mapping-table]")).to_have_count(0)
    report = page.locator("[data-test=import-report]")
    table = report.locator("[data-test=import-sheets-table]")
    expect(table).to_be_visible(timeout=30000)
    expect(table.locator("[data-test=import-sheet-row]")).to_have_count(2)
    expect(table.locator("[data-test=import-sheet-row]").first).to_have_attribute("data-sheet", "客户")
    for name, entity, created in (("客户", "客户", "2"), ("联系人", "联系人", "1")):
        expect(sheet_row(table, name).locator("[data-test=import-sheet-entity]")).to_have_text(entity)
        expect(sheet_row(table, name).locator("[data-test=import-sheet-created]")).to_have_text(created)
        expect(sheet_row(table, name).locator("[data-test=import-sheet-failed]")).to_have_text("0")
    expect(report.locator("[data-test=import-count-created]")).to_have_text("3")
    skipped = report.locator("[data-test=import-skipped-sheet]")
    expect(skipped).to_have_count(1)
    expect(skipped).to_have_attribute("data-sheet", "说明")
    expect(skipped).to_contain_text("工作表名称不对应任何记录类型")
    shot(page, "import_wizard_workbook_dry_run")
    assert [customer_count(admin_api, name) for name, _ in customers] == [0, 0]  # a dry run changes nothing

    page.locator("[data-test=import-run]").click()
    result = page.locator("[data-test=import-result]")
    expect(result.locator("[data-test=import-count-created]")).to_have_text("3", timeout=30000)
    expect(result.locator("[data-test=import-count-failed]")).to_have_text("0")
    expect(sheet_row(result, "联系人").locator("[data-test=import-sheet-created]")).to_have_text("1")
    expect(result.locator("[data-test=import-skipped-sheet]")).to_have_count(1)
    shot(page, "import_wizard_workbook_done")

    found = [customer_named(admin_api, name) for name, _ in customers]
    assert [(c["site_id"], c["external_code"]) for c in found] == [(site, code) for _, code in customers]
    contacts = [admin_api.get("/customers/%s/contacts" % c["id"]).json()["items"] for c in found]
    assert [[(c["name"], c["position"], c["email"]) for c in listed] for listed in contacts] == [[contact], []]
