"""Report subscriptions from the user menu: a manager subscribes to the weekly sales report of their
site, sees when it goes out next (a Monday, 8:00 in the site's time zone) and unsubscribes; a user
without reports:read has no such entry."""
import datetime
import re
import zoneinfo

from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")  # the UI plant's time zone


def choose(page, select, option):
    """Open the select ``select`` (a data-test) and pick its option ``option`` (a data-test)."""
    page.locator("[data-test=%s]" % select).click()
    page.locator("[data-test=%s]:visible" % option).click()


def open_subscriptions(page):
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=user-menu-report-subscriptions]").click()
    page.wait_for_url("**/report-subscriptions")
    page.locator("[data-test=subscriptions-page]").wait_for()


def as_the_browser_writes(page, iso):
    """An API time as the zh-CN UI writes it (2026/03/02 08:00), in the browser's time zone."""
    zone = zoneinfo.ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone).strftime("%Y/%m/%d %H:%M")


def test_a_manager_subscribes_to_the_weekly_sales_report_and_unsubscribes(page, ui_url, admin_api, make_user,
                                                                          api_for):
    name, password, _ = make_user(roles=("manager",))
    manager = api_for(ui_url, name, password)
    sign_in(page, ui_url, name, password)
    open_subscriptions(page)
    rows = page.locator("[data-test=subscription-row]")
    expect(rows).to_have_count(0)

    choose(page, "subscription-report", "subscription-report-sales")
    choose(page, "subscription-frequency", "subscription-frequency-weekly")
    choose(page, "subscription-site", "subscription-site-UI-PLANT")
    page.locator("[data-test=subscription-add]").click()
    page.locator(".el-message--success").wait_for()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("销售")
    expect(page.locator("[data-test=subscription-row-frequency]")).to_have_text("每周")
    expect(page.locator("[data-test=subscription-row-site]")).to_contain_text("UI Plant")
    expect(page.locator("[data-test=subscription-row-error]")).to_have_count(0)

    next_send = page.locator("[data-test=subscription-row-next]")
    at = next_send.get_attribute("data-at")
    local = datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(SHANGHAI)
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0), local
    assert local > datetime.datetime.now(SHANGHAI)
    expect(next_send).to_have_text(as_the_browser_writes(page, at))
    [saved] = manager.get("/report-subscriptions").json()["items"]
    assert (saved["report"], saved["frequency"], saved["site_id"]) == ("sales", "weekly", ui_site(admin_api))
    shot(page, "report_subscriptions_added")

    page.locator("[data-test=subscription-delete]").click()
    page.locator(".el-message-box .el-message-box__btns .el-button--primary").click()
    page.locator(".el-message--success", has_text="已取消订阅").wait_for()
    expect(rows).to_have_count(0)
    assert manager.get("/report-subscriptions").json()["items"] == []
    shot(page, "report_subscriptions_deleted")


def test_a_user_without_reports_read_has_no_report_subscriptions(page, ui_url, make_user):
    name, password, _ = make_user(roles=("sales",))
    sign_in(page, ui_url, name, password)
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=logout]").wait_for()
    expect(page.locator("[data-test=user-menu-report-subscriptions]")).to_have_count(0)
    page.goto(ui_url + "/report-subscriptions")
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.locator("[data-test=subscriptions-page]")).to_have_count(0)
