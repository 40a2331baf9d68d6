"""Retiring a factory site in Chromium (edit, disable, the refused and the done delete, what the
site selects still offer), and the customer list's "No owner" filter for customers whose owner left."""
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, ui_site
from tests.support.api import eventually
from tests.support.customers import cjk


def new_code():
    return "RT-%s" % uuid.uuid4().hex[:6].upper()


def open_sites(page, ui_url, code=None):
    page.goto(ui_url + "/admin/sites")
    page.locator("[data-test=sites-table] .el-loading-mask").wait_for(state="hidden")
    if code:
        page.locator("[data-test=site-row-%s]" % code).wait_for()


def site_named(admin_api, code):
    found = [s for s in admin_api.get("/sites").json()["items"] if s["code"] == code]
    return found[0] if found else None


def create_site_by_api(admin_api, code, name):
    response = admin_api.post("/sites", {"code": code, "name": name, "timezone": "Asia/Shanghai"})
    assert response.status_code == 201, response.text
    return response.json()


def set_status_by_api(admin_api, code, status):
    site = site_named(admin_api, code)
    response = admin_api.patch("/sites/%s" % site["id"], {"status": status, "version": site["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def settled(locator):
    """Wait until the element's opening transition has finished (for a screenshot that shows it)."""
    locator.evaluate("el => Promise.all((el.closest('.el-overlay') || el).getAnimations({subtree: true})"
                     ".map((a) => a.finished.catch(() => null)))")


def open_delete_dialog(page, code):
    page.locator("[data-test=site-delete-%s]" % code).click()
    page.locator("[data-test=site-delete-input]").wait_for()


def test_a_disabled_site_keeps_its_customer_and_is_not_deleted_while_the_customer_belongs_to_it(
        admin_page, ui_url, admin_api):
    page = admin_page
    ui_site(admin_api)
    code, name = new_code(), "%s三厂" % cjk(3)
    open_sites(page, ui_url)
    page.locator("[data-test=site-create]").click()
    page.locator("[data-test=site-code]").fill(code)
    page.locator("[data-test=site-name]").fill(name)
    page.locator("[data-test=site-save]").click()
    expect(page.locator("[data-test=site-status-%s]" % code)).to_have_text("正常")
    site = site_named(admin_api, code)
    assert site["status"] == "active"

    page.locator("[data-test=site-edit-%s]" % code).click()
    expect(page.locator("[data-test=site-code]")).to_be_disabled()
    page.locator("[data-test=site-address]").fill("无锡新区长江路 8 号")
    page.locator("[data-test=site-save]").click()
    page.locator(".el-message--success").first.wait_for()
    eventually(lambda: site_named(admin_api, code), lambda s: s["address"] == "无锡新区长江路 8 号")

    customer_name = "%s精工有限公司" % cjk(4)
    response = admin_api.post("/customers", {"legal_name": customer_name, "site_id": site["id"]})
    assert response.status_code == 201, response.text
    customer = response.json()

    open_sites(page, ui_url, code)
    expect(page.locator("[data-test=site-delete-%s]" % code)).to_have_count(0)
    page.locator("[data-test=site-disable-%s]" % code).click()
    box = page.locator(".el-message-box")
    expect(box).to_contain_text("仍可查看")
    expect(box).to_contain_text("转移到其他工厂")
    settled(box)
    shot(page, "sites_disable_confirmation")
    box.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator("[data-test=site-status-%s]" % code)).to_have_text("已停用")
    assert site_named(admin_api, code)["status"] == "disabled"

    open_delete_dialog(page, code)
    submit = page.locator("[data-test=site-delete-submit]")
    page.locator("[data-test=site-delete-input]").fill(code.lower())
    expect(submit).to_be_disabled()
    page.locator("[data-test=site-delete-input]").fill(code)
    submit.click()
    answer = admin_api.delete("/sites/%s" % site["id"], params={"confirm": code})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "site_in_use", answer.text
    refusal = answer.json()["error"]
    assert refusal["counts"]["customers.customers"] == 1
    refused = page.locator("[data-test=site-delete-refused]")
    expect(refused).to_contain_text("仍有 %d 条记录属于此工厂：" % refusal["total"])
    expect(refused).to_contain_text(re.compile(r"[：，]客户 1[，。]"))
    shot(page, "sites_delete_refused_in_use")
    page.keyboard.press("Escape")

    # Nothing was deleted or moved: the site is listed, disabled, and its customer still there and readable.
    open_sites(page, ui_url, code)
    expect(page.locator("[data-test=site-status-%s]" % code)).to_have_text("已停用")
    kept = admin_api.get("/customers/%s" % customer["id"])
    assert kept.status_code == 200, kept.text
    assert kept.json()["site_id"] == site["id"] and kept.json()["legal_name"] == customer_name

    # New records are not offered the disabled site: neither the customer form nor the user form list it.
    page.goto(ui_url + "/customers/new")
    page.locator("[data-test=customer-site_id]").click()
    options = page.locator(".el-select-dropdown__item:visible")
    options.first.wait_for()
    expect(options.filter(has_text="UI Plant")).to_have_count(1)
    expect(options.filter(has_text=name)).to_have_count(0)
    shot(page, "sites_customer_form_without_disabled_site")
    page.keyboard.press("Escape")
    page.goto(ui_url + "/admin/users")
    page.locator("[data-test=user-create]").click()
    page.locator("[data-test=user-sites]").click()
    page.locator("[data-test=user-site-UI-PLANT]").wait_for()
    expect(page.locator("[data-test=user-site-%s]" % code)).to_have_count(0)


def test_an_empty_disabled_site_is_deleted_once_its_code_is_typed_and_an_active_one_is_refused(
        admin_page, ui_url, admin_api):
    page = admin_page
    code, name = new_code(), "%s临时仓" % cjk(2)
    create_site_by_api(admin_api, code, name)
    set_status_by_api(admin_api, code, "disabled")

    open_sites(page, ui_url, code)
    expect(page.locator("[data-test=site-status-%s]" % code)).to_have_text("已停用")
    expect(page.locator("[data-test=site-enable-%s]" % code)).to_be_visible()
    open_delete_dialog(page, code)
    page.locator("[data-test=site-delete-input]").fill(code)

    # Someone enables the site meanwhile: the delete is refused with the advice to disable it first.
    set_status_by_api(admin_api, code, "active")
    page.locator("[data-test=site-delete-submit]").click()
    expect(page.locator("[data-test=site-delete-refused]")).to_contain_text("请先停用")
    shot(page, "sites_delete_refused_active")
    assert site_named(admin_api, code)["status"] == "active"

    set_status_by_api(admin_api, code, "disabled")
    page.locator("[data-test=site-delete-submit]").click()
    page.locator(".el-message--success").first.wait_for()
    expect(page.locator("[data-test=site-row-%s]" % code)).to_have_count(0)
    shot(page, "sites_deleted")
    assert site_named(admin_api, code) is None
    page.reload()
    page.locator("[data-test=site-row-UI-PLANT]").wait_for()
    expect(page.locator("[data-test=site-row-%s]" % code)).to_have_count(0)


def test_the_no_owner_filter_shows_a_customer_whose_owner_was_disabled(admin_page, ui_url, admin_api, make_user):
    page = admin_page
    site_id = ui_site(admin_api)
    username, _, owner_id = make_user(roles=("sales",), sites=[site_id])
    orphan_name, owned_name = "%s铸造有限公司" % cjk(4), "%s铸造有限公司" % cjk(4)
    for legal_name, owner in ((orphan_name, owner_id), (owned_name, None)):
        body = {"legal_name": legal_name, "site_id": site_id}
        if owner:
            body["owner_id"] = owner
        response = admin_api.post("/customers", body)
        assert response.status_code == 201, response.text
    user = admin_api.get("/users/%s" % owner_id).json()
    response = admin_api.patch("/users/%s" % owner_id, {"status": "disabled", "version": user["version"]})
    assert response.status_code == 200, response.text

    # The customers service lets go of the disabled owner on its own, a moment later.
    page_of_orphans = eventually(
        lambda: admin_api.get("/customers", params={"owner_id": "none", "q": orphan_name}).json(),
        lambda found: [c["legal_name"] for c in found["items"]] == [orphan_name], timeout=30)
    [orphan] = page_of_orphans["items"]
    assert orphan["owner_id"] is None and orphan["owner_left"]["user_id"] == owner_id

    page.goto(ui_url + "/customers")
    page.locator("[data-test=customer-table]").wait_for()
    page.locator("[data-test=filter-owner]").click()
    page.locator("[data-test=owner-option-none]:visible").click()
    page.locator("[data-test=customer-search]").fill(orphan_name[:4])
    page.locator("[data-test=customer-search]").press("Enter")
    links = page.locator("[data-test=customer-row-link]")
    expect(links).to_have_text([orphan_name])
    cell = page.locator("[data-test=customer-no-owner-%s]" % orphan["id"])
    expect(cell).to_have_text("无负责人")
    cell.hover()
    tooltip = page.locator(".el-popper:visible", has_text="原负责人")
    expect(tooltip).to_contain_text(username)
    settled(tooltip)
    shot(page, "customers_no_owner_filter")

    # The customer that kept its owner is not among those without one.
    page.locator("[data-test=customer-search]").fill(owned_name)
    page.locator("[data-test=customer-search]").press("Enter")
    expect(page.locator("[data-test=customer-table]")).to_contain_text(re.compile("没有符合条件的客户"))
