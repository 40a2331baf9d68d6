"""Archive upkeep in Chromium: importing customers (check, run, rejected rows), merging duplicates
and reverting the merge from the list of merges, and confirming customers due for their periodic review."""
import csv
import datetime
import re

from playwright.sync_api import expect

from services.common import config
from services.common.mongo import connect
from tests.conftest import ADMIN_PASSWORD
from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.customers import cjk, create_customer, uscc

HEADERS = ["客户名称", "统一社会信用代码", "行业", "城市"]


def customer_csv(path, names, bad_row):
    """A CSV with Chinese headers; data row ``bad_row`` (1-based) has a credit code with a wrong check digit."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for number, name in enumerate(names, start=1):
            tax_id = uscc()
            if number == bad_row:
                tax_id = tax_id[:-1] + ("0" if tax_id[-1] != "0" else "1")
            writer.writerow([name, tax_id, "机械", "苏州"])
    return path


def found(api, name):
    response = api.get("/customers", params={"q": name})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_import_checks_the_file_then_imports_it_and_offers_the_rejected_rows(admin_page, ui_url, admin_api, tmp_path):
    page = admin_page
    names = ["%s导入%d机械有限公司" % (cjk(4), n) for n in range(3)]
    path = customer_csv(tmp_path / "客户导入.csv", names, bad_row=2)

    page.goto(ui_url + "/import")
    page.locator("[data-test=import-file]").set_input_files(str(path))
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-dry-run]").click()
    report = page.locator("[data-test=import-report]")
    expect(report.locator("[data-test=import-count-created]")).to_have_text("2", timeout=30000)
    expect(report.locator("[data-test=import-count-failed]")).to_have_text("1")
    bad_row = report.locator("tr", has=page.locator("[data-test=import-bad-row]"))
    expect(bad_row).to_have_count(1)
    expect(bad_row.locator("[data-test=import-bad-row]")).to_have_text("3")  # the header is row 1
    expect(bad_row).to_contain_text("统一社会信用代码")
    shot(page, "upkeep_import_dry_run")
    assert found(admin_api, names[0]) == 0  # the check changed nothing

    page.locator("[data-test=import-run]").click()
    expect(page.locator("[data-test=import-progress]")).to_be_visible()
    result = page.locator("[data-test=import-result]")
    expect(result.locator("[data-test=import-count-created]")).to_have_text("2", timeout=30000)
    expect(result.locator("[data-test=import-count-failed]")).to_have_text("1")
    expect(page.locator("[data-test=import-progress]")).to_contain_text("100%")
    shot(page, "upkeep_import_done")

    with page.expect_download() as download_info:
        page.locator("[data-test=import-error-file]").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-errors.csv")
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["行号", "字段", "错误信息"]  # in the user's language, as the messages are
    assert [(row[0], row[1]) for row in rows[1:]] == [("3", "统一社会信用代码")]
    assert re.search(r"[\u4e00-\u9fff]", rows[1][2]), rows[1][2]

    assert [found(admin_api, name) for name in names] == [1, 0, 1]


def test_import_skips_an_unknown_column_and_explains_a_file_too_large(admin_page, ui_url, tmp_path):
    page = admin_page
    unknown = tmp_path / "columns.csv"
    unknown.write_text("客户名称,颜色\n某某机械有限公司,红\n", encoding="utf-8")
    page.goto(ui_url + "/import")
    page.locator("[data-test=import-file]").set_input_files(str(unknown))
    page.locator("[data-test=import-next]").click()
    colour = page.locator("[data-test=import-column-row][data-header='颜色']")
    expect(colour.locator("[data-test=import-column-skipped]")).to_be_visible()  # listed, not imported
    shot(page, "upkeep_import_unknown_column")

    too_large = tmp_path / "large.csv"
    too_large.write_bytes("客户名称\n".encode("utf-8") + (b"A" * 99 + b"\n") * (110 * 1024))  # over 10 MB
    page.locator("[data-test=import-back]").click()
    page.locator("[data-test=import-file]").set_input_files(str(too_large))
    page.locator("[data-test=import-next]").click()
    expect(page.locator("[data-test=import-error]")).to_contain_text("10 MB", timeout=30000)
    shot(page, "upkeep_import_too_large")


def load_until_shown(page, cluster):
    """Load more of the duplicates list (read a part at a time) until ``cluster`` shows or it ends."""
    idle = page.locator("[data-test=duplicates-more]:not(.is-loading)")
    end = page.locator("[data-test=duplicates-end]")
    for _ in range(100):
        expect(idle.or_(end).or_(cluster).first).to_be_visible(timeout=15000)
        if cluster.count() or not idle.count():
            return
        idle.click()


def test_merge_two_duplicates_keeping_a_value_of_the_other_then_revert_from_the_list(admin_page, ui_url, admin_api,
                                                                                    browser):
    page = admin_page
    core = cjk(4)
    kept = create_customer(admin_api, legal_name="%s电子有限公司" % core, industry="电子元件")
    other = create_customer(admin_api, force=True, legal_name="%s电子股份有限公司" % core, industry="半导体")

    page.goto(ui_url + "/duplicates")
    page.locator("[data-test=duplicates-filter]").fill(core)
    cluster = page.locator("[data-test=duplicate-cluster]", has_text="%s电子股份有限公司" % core)
    load_until_shown(page, cluster)
    expect(cluster).to_have_count(1)
    expect(cluster.locator("[data-test=duplicate-member]")).to_have_count(2)
    shot(page, "upkeep_duplicates")
    cluster.locator("[data-test=duplicate-merge]").click()

    page.locator("[data-test=merge-survivor-%s]" % kept["id"]).click()
    page.locator("[data-test=merge-field-industry-%s]" % other["id"]).click()
    expect(page.locator("[data-test=merge-field-industry-%s] input" % other["id"])).to_be_checked()
    shot(page, "upkeep_merge_choices")
    page.locator("[data-test=merge-submit]").click()
    result = page.locator("[data-test=merge-result]")
    expect(result).to_contain_text("合并完成")
    shot(page, "upkeep_merged")

    merged = admin_api.get("/customers/%s" % kept["id"]).json()
    assert (merged["legal_name"], merged["industry"]) == (kept["legal_name"], "半导体")
    assert admin_api.get("/customers/%s" % other["id"]).status_code == 404
    [merge] = [m for m in admin_api.get("/merges", params={"limit": 50}).json()["items"]
               if m["survivor_id"] == kept["id"]]

    # The list of merges comes from the API: a fresh browser sees it and reverts the merge there.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        other_page = sign_in(context.new_page(), ui_url, "admin", ADMIN_PASSWORD)
        other_page.goto(ui_url + "/duplicates")
        row = other_page.locator("[data-test=recent-merges] tr", has=other_page.locator(
            "[data-test=recent-merge-%s]" % merge["id"]))
        expect(row).to_contain_text(kept["legal_name"], timeout=15000)
        expect(row).to_contain_text(other["legal_name"])
        expect(row.locator("[data-test=recent-merge-status]")).to_have_text("已合并")
        shot(other_page, "upkeep_merge_list")
        row.locator("[data-test=recent-merge-revert-%s]" % merge["id"]).click()
        other_page.locator(".el-message-box__btns .el-button--primary").click()
        expect(row.locator("[data-test=recent-merge-status]")).to_have_text("已撤销")
        expect(row.locator("[data-test=recent-merge-revert-%s]" % merge["id"])).to_have_count(0)
        shot(other_page, "upkeep_merge_list_reverted")
    finally:
        context.close()
    assert admin_api.get("/customers/%s" % kept["id"]).json()["industry"] == "电子元件"
    assert admin_api.get("/customers/%s" % other["id"]).status_code == 200

    # Back in the first browser, a reload of the list shows the merge reverted as well.
    page.locator("[data-test=merge-back]").click()
    page.reload()
    recent = page.locator("[data-test=recent-merges] tr", has=page.locator("[data-test=recent-merge-%s]" % merge["id"]))
    expect(recent.locator("[data-test=recent-merge-status]")).to_have_text("已撤销")
    shot(page, "upkeep_merge_reverted")


def overdue_for_review(customer_id, days=120):
    """Back-date the customer's last verification in the customers database: the API stamps it
    with the current time on create and verify and offers no way to set it."""
    client = connect(config.mongo_uri("customers"))
    try:
        stamped = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
        updated = client[config.database_name("customers")].customers.update_one(
            {"_id": customer_id}, {"$set": {"last_verified_at": stamped}})
        assert updated.matched_count == 1
    finally:
        client.close()


def test_review_lists_overdue_customers_and_verifies_one_with_one_click(admin_page, ui_url, admin_api, make_user,
                                                                         browser):
    site = ui_site(admin_api)
    customer = create_customer(admin_api, legal_name="%s待核对精密有限公司" % cjk(4), site_id=site)
    overdue_for_review(customer["id"])
    due = admin_api.get("/customers/review-due", params={"limit": 500}).json()
    assert customer["id"] in [c["id"] for c in due["items"]]

    # A viewer sees the list but is not offered the confirmation.
    viewer, password, _ = make_user(roles=("viewer",))
    context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 768})
    try:
        viewer_page = sign_in(context.new_page(), ui_url, viewer, password)
        viewer_page.goto(ui_url + "/review")
        expect(viewer_page.locator("[data-test=review-customer][data-id='%s']" % customer["id"])).to_be_visible(
            timeout=15000)
        expect(viewer_page.locator("[data-test=review-verify]")).to_have_count(0)
        shot(viewer_page, "upkeep_review_viewer")
    finally:
        context.close()

    page = admin_page
    page.goto(ui_url + "/review")
    row = page.locator("[data-test=review-customer][data-id='%s']" % customer["id"])
    expect(row).to_be_visible()
    expect(page.locator("[data-test=review-table] .el-loading-mask")).to_have_count(0)
    shot(page, "upkeep_review_due")
    page.locator("[data-test=review-verify][data-id='%s']" % customer["id"]).click()
    expect(row).to_have_count(0)
    shot(page, "upkeep_review_verified")

    verified = admin_api.get("/customers/%s" % customer["id"]).json()
    assert verified["last_verified_at"] > customer["last_verified_at"]
    due = admin_api.get("/customers/review-due", params={"limit": 500}).json()
    assert customer["id"] not in [c["id"] for c in due["items"]]
