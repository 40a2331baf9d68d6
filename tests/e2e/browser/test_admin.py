"""Administration in Chromium: users and their permissions, login history, sites, the audit log and webhooks."""
import re
import uuid

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually
from tests.support.customers import cjk

PASSWORD = "Granite-orchard-velvet-73"


def user_context(browser, ui_url, username, password):
    """A second, separate browser (own storage) signed in as the given user."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.set_default_navigation_timeout(20000)
    sign_in(page, ui_url, username, password)
    return context, page


def open_customers(page, ui_url):
    """The customer list, once it has loaded (its export button is there for every reader)."""
    page.goto(ui_url + "/customers")
    page.locator("[data-test=customer-export]").wait_for()
    page.locator("[data-test=customer-total]").wait_for()


def confirm_message_box(page):
    page.locator(".el-message-box .el-message-box__btns .el-button--primary").click()


def search_user(page, ui_url, username):
    page.goto(ui_url + "/admin/users")
    page.locator("[data-test=users-search]").fill(username)
    page.locator("[data-test=users-search-button]").click()
    page.locator("[data-test=user-row-%s]" % username).wait_for()


def shown_after_refreshing(page, button, wanted, tries=20):
    """Click ``button`` until ``wanted`` appears: for what arrives asynchronously (events, deliveries)."""
    for _ in range(tries):
        page.locator(button).click()
        try:
            wanted.first.wait_for(timeout=2000)
            return
        except PlaywrightTimeout:
            continue
    wanted.first.wait_for()


def row_of(page, table, text):
    return page.locator("[data-test=%s] .el-table__body-wrapper tr.el-table__row" % table, has_text=text)


def test_a_permission_taken_away_hides_the_button_and_the_api_refuses(
        admin_page, ui_url, browser, make_user, api_for, admin_api):
    username, password, user_id = make_user(roles=("sales",))
    context, user_page = user_context(browser, ui_url, username, password)
    try:
        open_customers(user_page, ui_url)
        expect(user_page.locator("[data-test=customer-create]")).to_be_visible()
        shot(user_page, "admin_permissions_user_before")

        admin_page.goto(ui_url + "/admin/users/%s/permissions" % user_id)
        box = admin_page.locator('[data-test="perm-customers:write"]')
        expect(box).to_have_class(re.compile(r"is-checked"))
        expect(admin_page.locator('[data-test="perm-source-customers:write"]')).to_contain_text("销售")
        box.click()
        expect(box).not_to_have_class(re.compile(r"is-checked"))
        expect(admin_page.locator('[data-test="perm-source-customers:write"]')).to_contain_text("已撤销")
        admin_page.locator("[data-test=permissions-save]").click()
        admin_page.locator(".el-message--success").wait_for()
        shot(admin_page, "admin_permissions_saved")
        held = admin_api.get("/users/%s/permissions" % user_id).json()
        assert "customers:write" not in held["effective"] and held["revocations"] == ["customers:write"]
        assert held["roles"] == ["sales"]

        # Access tokens carry the permissions: on its next load the app sees the change in /me
        # and renews the token at once, so the browser's own calls are refused too.
        user_page.reload()
        expect(user_page.locator("[data-test=customer-create]")).to_have_count(0)
        shot(user_page, "admin_permissions_user_after")
        status = user_page.evaluate("""async () => {
            const current = () => JSON.parse(localStorage.getItem('crm.session')).accessToken
            const perms = () => JSON.parse(atob(current().split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).perms
            for (let i = 0; i < 50 && perms().includes('customers:write'); i++) {
                await new Promise((r) => setTimeout(r, 200))
            }
            const response = await fetch('/api/v1/customers', {method: 'POST', body: JSON.stringify({legal_name: '测试精密机械有限公司'}),
                headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + current()}})
            return response.status
        }""")
        assert status == 403
    finally:
        context.close()

    refused = api_for(ui_url, username, password).post("/customers", {"legal_name": "%s精密机械有限公司" % cjk(4)})
    assert refused.status_code == 403, refused.text


def test_create_a_user_after_a_field_error_and_read_the_login_history(admin_page, ui_url, browser, admin_api):
    page = admin_page
    username = "ui_new_%s" % uuid.uuid4().hex[:6]
    page.goto(ui_url + "/admin/users")
    page.locator("[data-test=user-create]").click()
    page.locator("[data-test=user-username]").fill(username)
    page.locator("[data-test=user-display-name]").fill("王小明")
    page.locator("[data-test=user-email]").fill("not-an-address")
    page.locator("[data-test=user-phone]").fill("13912345678")
    page.locator("[data-test=user-position]").fill("销售工程师")
    page.locator("[data-test=user-sites]").click()
    page.locator("[data-test=user-site-UI-PLANT]").click()
    page.keyboard.press("Escape")
    page.locator("[data-test=user-role-sales]").click()
    page.locator("[data-test=user-password]").fill(PASSWORD)
    page.locator("[data-test=user-must-change]").click()
    page.locator("[data-test=user-save]").click()

    email_item = page.locator(".el-form-item", has=page.locator("[data-test=user-email]"))
    expect(email_item.locator(".el-form-item__error")).to_be_visible()
    shot(page, "admin_user_field_error")
    page.locator("[data-test=user-email]").fill("%s@factory.test" % username)
    page.locator("[data-test=user-save]").click()
    page.locator(".el-message--success").wait_for()
    search_user(page, ui_url, username)
    shot(page, "admin_user_created")
    [created] = admin_api.get("/users", params={"q": username}).json()["items"]
    assert created["email"] == "%s@factory.test" % username and created["roles"] == ["sales"]
    assert created["position"] == "销售工程师" and created["sites"] == [ui_site(admin_api)]
    assert created["must_change_password"] is False

    context = browser.new_context(locale="zh-CN")
    try:
        other = context.new_page()
        other.goto(ui_url + "/login")
        other.locator("[data-test=login-identifier]").fill(username)
        other.locator("[data-test=login-password]").fill("not-the-password-at-all")
        other.locator("[data-test=login-submit]").click()
        other.locator("[data-test=login-error]").wait_for()
        sign_in(other, ui_url, username, PASSWORD)
    finally:
        context.close()

    page.locator("[data-test=user-logins-%s]" % username).click()
    page.wait_for_url("**/admin/users/%s/logins" % created["id"])
    rows = page.locator("[data-test=logins-table] .el-table__body-wrapper tr.el-table__row")
    expect(rows).to_have_count(2)
    success, failure = rows.nth(0), rows.nth(1)
    expect(success.locator("[data-test=login-result]")).to_have_text("登录成功")
    expect(success.locator("[data-test=login-address]")).to_have_text("127.0.0.1")
    expect(success.locator("[data-test=login-device]")).to_contain_text("Linux")
    expect(failure.locator("[data-test=login-result]")).to_have_text("密码错误")
    shot(page, "admin_user_login_history")


def test_disable_refuses_the_login_and_delete_needs_the_typed_username(admin_page, ui_url, make_user, admin_api,
                                                                        browser):
    page = admin_page
    username, password, user_id = make_user(roles=("viewer",))
    search_user(page, ui_url, username)
    page.locator("[data-test=user-more-%s]" % username).click()
    page.locator("[data-test=user-disable-%s]" % username).click()
    confirm_message_box(page)
    expect(page.locator("[data-test=user-status-%s]" % username)).to_have_text("已停用")
    assert admin_api.get("/users/%s" % user_id).json()["status"] == "disabled"
    shot(page, "admin_user_disabled")

    context = browser.new_context(locale="zh-CN")
    try:
        other = context.new_page()
        other.goto(ui_url + "/login")
        other.locator("[data-test=login-identifier]").fill(username)
        other.locator("[data-test=login-password]").fill(password)
        other.locator("[data-test=login-submit]").click()
        expect(other.locator("[data-test=login-error]")).to_have_text("用户名或密码错误。")
        shot(other, "admin_user_disabled_login_refused")
    finally:
        context.close()

    page.locator("[data-test=user-more-%s]" % username).click()
    page.locator("[data-test=user-delete-%s]" % username).click()
    submit = page.locator("[data-test=delete-confirm-submit]")
    expect(submit).to_be_disabled()
    page.locator("[data-test=delete-confirm-input]").fill(username[:-1])
    expect(submit).to_be_disabled()
    page.locator("[data-test=delete-confirm-input]").fill(username)
    expect(submit).to_be_enabled()
    expect(page.locator(".el-dialog", has_text=username)).to_be_visible()
    shot(page, "admin_user_delete_confirm")
    submit.click()
    page.locator(".el-message--success", has_text="已删除").wait_for()  # the disable's message may still show
    expect(page.locator("[data-test=user-row-%s]" % username)).to_have_count(0)
    assert admin_api.get("/users/%s" % user_id).json()["status"] == "deleted"
    shot(page, "admin_user_deleted")


def test_the_audit_log_shows_a_permission_change(admin_page, ui_url, make_user):
    page = admin_page
    username, _, user_id = make_user(roles=("viewer",))
    page.goto(ui_url + "/admin/users/%s/permissions" % user_id)
    page.locator('[data-test="perm-reports:read"]').wait_for()
    page.locator('[data-test="perm-audit:read"]').click()
    page.locator("[data-test=permissions-save]").click()
    page.locator(".el-message--success").wait_for()

    search_user(page, ui_url, username)
    page.locator("[data-test=user-more-%s]" % username).click()
    page.locator("[data-test=user-audit-%s]" % username).click()
    page.wait_for_url("**/admin/audit?entity_id=%s" % user_id)
    changed = row_of(page, "audit-table", "变更")
    # The audit trail is written from events: search again until the entry has arrived.
    shown_after_refreshing(page, "[data-test=audit-search]", changed)
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("权限")
    expect(changed).to_contain_text("admin")
    changed.locator(".el-table__expand-icon").click()
    details = page.locator("[data-test=audit-changes]")
    expect(details).to_contain_text("grants")
    expect(details).to_contain_text("+ audit:read")
    shot(page, "admin_audit_permission_change")


def test_a_webhook_logs_its_deliveries_and_redelivers(admin_page, ui_url, make_user, admin_api):
    page = admin_page
    site_id = ui_site(admin_api)
    with WebhookReceiver() as receiver:
        page.goto(ui_url + "/admin/webhooks")
        page.locator("[data-test=webhook-create]").click()
        page.locator("[data-test=webhook-url]").fill(receiver.url)
        page.locator("[data-test=webhook-events]").click()
        page.keyboard.type("accounts.user_created")
        option = page.locator("[data-test=webhook-event-accounts\\.user_created]")
        option.click()
        page.locator("[data-test=webhook-url]").click()
        expect(option).to_be_hidden()
        page.locator("[data-test=webhook-site]").click()
        page.keyboard.type("UI-PLANT")
        page.locator("[data-test=webhook-site-UI-PLANT]").click()
        page.locator("[data-test=webhook-description]").fill("ERP 对接")
        page.locator("[data-test=webhook-save]").click()
        expect(page.locator("[data-test=webhook-secret]")).to_have_value(re.compile(r"^whsec_"))
        shot(page, "admin_webhook_secret")
        page.locator("[data-test=webhook-secret-done]").click()
        hooks = admin_api.get("/webhooks", params={"limit": 500}).json()["items"]
        [hook] = [h for h in hooks if h["url"] == receiver.url]
        assert hook["event_types"] == ["accounts.user_created"] and hook["site_id"] == site_id

        make_user(roles=("viewer",))
        page.locator("[data-test=webhook-deliveries-%s]" % hook["id"]).click()
        page.wait_for_url("**/admin/webhooks/%s/deliveries" % hook["id"])
        delivered = row_of(page, "deliveries-table", "已送达")
        shown_after_refreshing(page, "[data-test=deliveries-refresh]", delivered)
        expect(delivered).to_have_count(1)
        expect(delivered.locator("[data-test=delivery-attempts]")).to_have_text("1")
        expect(delivered.locator("[data-test=delivery-code]")).to_have_text("204")
        expect(delivered).to_contain_text("accounts.user_created")
        shot(page, "admin_webhook_deliveries")

        delivered.locator("[data-test^=delivery-redeliver-]").click()
        page.locator(".el-message--success").wait_for()
        rows = page.locator("[data-test=deliveries-table] .el-table__body-wrapper tr.el-table__row")
        expect(rows).to_have_count(2)
        eventually(lambda: receiver.received("accounts.user_created"), lambda found: len(found) == 2, timeout=30)
        shown_after_refreshing(page, "[data-test=deliveries-refresh]", delivered.nth(1))
        shot(page, "admin_webhook_redelivered")

        page.goto(ui_url + "/admin/webhooks")
        page.locator("[data-test=webhook-delete-%s]" % hook["id"]).click()
        confirm_message_box(page)
        expect(page.locator("[data-test=webhook-row-%s]" % hook["id"])).to_have_count(0)
        assert admin_api.get("/webhooks/%s" % hook["id"]).status_code == 404
        shot(page, "admin_webhook_deleted")


def test_create_a_site(admin_page, ui_url, admin_api):
    page = admin_page
    code = "S-%s" % uuid.uuid4().hex[:6].upper()
    page.goto(ui_url + "/admin/sites")
    page.locator("[data-test=site-create]").click()
    page.locator("[data-test=site-code]").fill("bad code!")
    page.locator("[data-test=site-name]").fill("苏州二厂")
    page.locator("[data-test=site-save]").click()
    code_item = page.locator(".el-form-item", has=page.locator("[data-test=site-code]"))
    expect(code_item.locator(".el-form-item__error")).to_be_visible()
    page.locator("[data-test=site-code]").fill(code)
    page.locator("[data-test=site-address]").fill("苏州工业园区星湖街 1 号")
    page.locator("[data-test=site-save]").click()
    page.locator("[data-test=site-row-%s]" % code).wait_for()
    shot(page, "admin_site_created")
    [site] = [s for s in admin_api.get("/sites").json()["items"] if s["code"] == code]
    assert site["name"] == "苏州二厂" and site["timezone"] == "Asia/Shanghai"
