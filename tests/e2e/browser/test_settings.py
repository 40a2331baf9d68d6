"""Site settings in Chromium: a manager changes the feedback SLA and categories and the customer
settings of its site; a service engineer (feedback:write, no settings:write) only reads them."""
from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in
from tests.support.api import Api, eventually
from tests.support.customers import create_site


def set_number(page, selector, value):
    field = page.locator("%s input" % selector)
    field.fill(str(value))
    field.press("Tab")


def open_settings(page):
    page.locator("[data-test=menu-settings]").click()
    page.locator("[data-test=settings-page]").wait_for()


def test_a_manager_changes_the_sites_feedback_and_customer_settings(page, ui_url, admin_api, make_user):
    site = create_site(admin_api, "S")
    username, password, _ = make_user(roles=("manager",), sites=[site["id"]])
    sign_in(page, ui_url, username, password)
    open_settings(page)
    expect(page.locator("[data-test=settings-read-only]")).to_have_count(0)

    set_number(page, "[data-test=feedback-settings-sla-critical]", 2)
    tags = page.locator("[data-test=feedback-settings-categories] input")
    tags.fill("packaging")
    tags.press("Enter")
    expect(page.locator("[data-test=feedback-settings-categories] .el-tag", has_text="packaging")).to_be_visible()
    page.locator("[data-test=feedback-settings-save]").click()
    page.locator(".el-message--success").wait_for()
    saved = admin_api.get("/feedback/settings/%s" % site["id"]).json()
    assert saved["sla_hours"]["critical"] == 2 and "packaging" in saved["categories"] and saved["version"] == 1
    shot(page, "settings_feedback_saved")

    page.locator("#tab-customers").click()
    set_number(page, "[data-test=customer-settings-followup-key]", 14)
    set_number(page, "[data-test=customer-settings-review-days]", 45)
    page.locator("[data-test=customer-settings-save]").click()
    customers = eventually(lambda: admin_api.get("/customers/settings/%s" % site["id"]).json(),
                           lambda found: found["version"] == 1)
    assert customers["followup_days"]["key"] == 14 and customers["review_days"] == 45
    expect(page.locator("[data-test=customer-settings-stale]")).to_have_count(0)
    shot(page, "settings_customers_saved")


def test_a_service_engineer_reads_the_settings_but_cannot_change_them(page, ui_url, admin_api, make_user):
    site = create_site(admin_api, "R")
    username, password, _ = make_user(roles=("service",), sites=[site["id"]])
    sign_in(page, ui_url, username, password)
    open_settings(page)
    expect(page.locator("[data-test=settings-read-only]")).to_be_visible()
    expect(page.locator("[data-test=feedback-settings-sla-critical] input")).to_have_value("4")
    expect(page.locator("[data-test=feedback-settings-sla-critical] input")).to_be_disabled()
    expect(page.locator("[data-test=feedback-settings-save]")).to_have_count(0)
    shot(page, "settings_read_only")
    engineer = Api(ui_url).login(username, password)
    refused = engineer.put("/feedback/settings/%s" % site["id"], {"version": 0, "sla_hours": {"critical": 8760}})
    assert refused.status_code == 403 and refused.json()["error"]["permission"] == "settings:write"
