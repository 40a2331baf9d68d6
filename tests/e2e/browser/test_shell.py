"""Signing in and out, the language switch, and the first-login password change, in Chromium."""
import uuid

from tests.e2e.browser.conftest import shot, sign_in, ui_site


def test_the_login_page_speaks_the_browsers_language_and_rejects_a_wrong_password(page, ui_url):
    page.goto(ui_url + "/")
    page.wait_for_url("**/login")
    assert page.locator("[data-test=login-submit]").inner_text().strip() == "登录"
    page.locator("[data-test=login-identifier]").fill("admin")
    page.locator("[data-test=login-password]").fill("not-the-password")
    page.locator("[data-test=login-submit]").click()
    assert page.locator("[data-test=login-error]").inner_text().strip() == "用户名或密码错误。"
    shot(page, "shell_login_refused")


def test_switch_to_english_and_back(page, ui_url, admin_api, make_user):
    """The switch is the user's language setting: it outlives the session, and the API follows it."""
    username, password, user_id = make_user()
    sign_in(page, ui_url, username, password)
    assert page.locator("[data-test=menu-dashboard]").inner_text().strip() == "工作台"
    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-en]").click()
    page.locator("[data-test=menu-dashboard]", has_text="Dashboard").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    page.locator("[data-test=menu-dashboard]", has_text="Dashboard").wait_for()
    shot(page, "shell_english")
    assert admin_api.get("/users/%s" % user_id).json()["language"] == "en"
    # signed in again in a browser that was left in Chinese: the setting decides
    page.evaluate("localStorage.clear()")
    page.evaluate("localStorage.setItem('crm.locale', 'zh-CN')")
    sign_in(page, ui_url, username, password)
    page.locator("[data-test=menu-dashboard]", has_text="Dashboard").wait_for()
    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-zh-CN]").click()
    page.locator("[data-test=menu-dashboard]", has_text="工作台").wait_for()
    shot(page, "shell_chinese")


def test_first_login_asks_for_a_new_password_then_signs_out(page, ui_url, admin_api):
    name = "ui_first_%s" % uuid.uuid4().hex[:6]
    first, chosen = "Temporary-harbour-2026", "Orchard-window-%s" % uuid.uuid4().hex[:6]
    response = admin_api.post("/users", {"username": name, "email": name + "@factory.test", "display_name": name,
                                         "password": first, "roles": ["viewer"], "sites": [ui_site(admin_api)],
                                         "must_change_password": True})
    assert response.status_code == 201, response.text
    sign_in_form(page, ui_url, name, first)
    page.wait_for_url("**/change-password")
    page.locator("[data-test=current-password]").fill(first)
    page.locator("[data-test=new-password]").fill(chosen)
    page.locator("[data-test=repeat-password]").fill(chosen)
    shot(page, "shell_first_login")
    page.locator("[data-test=change-password-submit]").click()
    page.locator("[data-test=user-menu]").wait_for()
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=logout]").click()
    page.wait_for_url("**/login")
    sign_in(page, ui_url, name, chosen)


def test_the_reset_page_refuses_a_bad_link_clearly(page, ui_url):
    page.goto(ui_url + "/reset-password?token=not-a-real-token")
    page.locator("[data-test=reset-password]").fill("Orchard-window-2026-x")
    page.locator("[data-test=reset-repeat]").fill("Orchard-window-2026-x")
    page.locator("[data-test=reset-submit]").click()
    assert "链接无效" in page.locator("[data-test=reset-error]").inner_text()
    shot(page, "shell_reset_refused")


def sign_in_form(page, base_url, identifier, password):
    page.goto(base_url + "/login")
    page.locator("[data-test=login-identifier]").fill(identifier)
    page.locator("[data-test=login-password]").fill(password)
    page.locator("[data-test=login-submit]").click()
