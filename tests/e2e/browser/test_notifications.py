"""The notification bell, the inbox and the notification preferences, for a user who gets feedback
assigned (feedback.feedback_assigned notifies the assignee)."""
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.api import eventually
from tests.support.customers import create_customer

POLL_MS = 10000  # the bell asks the server this often
ARRIVAL = 60000


def next_poll(page, api, wanted):
    """Once the server holds ``wanted`` unread notifications, move the page's clock on to the
    bell's next poll (the page runs on Playwright's clock, installed before it loaded)."""
    eventually(lambda: unread(api), lambda count: count == wanted, timeout=ARRIVAL / 1000)
    page.clock.fast_forward(POLL_MS)


def assign_feedback(admin_api, assignee_id):
    """New feedback at the UI plant, assigned to ``assignee_id``: its id."""
    customer = create_customer(admin_api, force=True, site_id=ui_site(admin_api))
    created = admin_api.post("/feedback", {
        "customer_id": customer["id"], "channel": "phone", "type": "complaint", "category": "delivery",
        "subject": "Late delivery %s" % uuid.uuid4().hex[:6], "text": "The pallets arrived two days late."})
    assert created.status_code == 201, created.text
    item = created.json()
    assigned = admin_api.patch("/feedback/%s" % item["id"], {"version": item["version"], "assignee_id": assignee_id})
    assert assigned.status_code == 200, assigned.text
    return item["id"]


def unread(api):
    return api.get("/notifications", params={"unread": "true"}).json()["total"]


def test_a_notification_arrives_in_the_bell_and_opening_it_marks_it_read(
        page, ui_url, admin_api, make_user, api_for):
    name, password, user_id = make_user(roles=("service",))
    user_api = api_for(ui_url, name, password)
    page.clock.install()
    sign_in(page, ui_url, name, password)
    bell = page.locator("[data-test=notification-bell]")
    bell.wait_for()
    assert page.locator("[data-test=notification-count]").count() == 0

    feedback_id = assign_feedback(admin_api, user_id)
    next_poll(page, user_api, 1)
    count = page.locator("[data-test=notification-count]")
    expect(count).to_have_text("1")
    shot(page, "notifications_bell_count")

    bell.click()
    item = page.locator("[data-test=notification-popover-item]").first
    item.wait_for()
    assert "反馈" in item.inner_text()
    shot(page, "notifications_popover")
    item.click()
    page.wait_for_url(re.compile(r".*/feedback/%s$" % feedback_id))
    expect(count).to_have_count(0)
    assert unread(user_api) == 0
    [read] = user_api.get("/notifications").json()["items"]
    assert read["read"] is True and read["link"] == "/feedback/%s" % feedback_id
    shot(page, "notifications_opened")


def test_the_inbox_filters_unread_and_marks_one_then_all_read(page, ui_url, admin_api, make_user, api_for):
    name, password, user_id = make_user(roles=("service",))
    user_api = api_for(ui_url, name, password)
    page.clock.install()
    sign_in(page, ui_url, name, password)
    for _ in range(3):
        assign_feedback(admin_api, user_id)
    page.locator("[data-test=menu-notifications]").click()
    page.wait_for_url("**/notifications")
    next_poll(page, user_api, 3)
    expect(page.locator("[data-test=notification-count]")).to_have_text("3")
    # The unread list must have come before a row is marked: an answer still on its way would show the
    # row as it was when the list was asked for.
    with page.expect_response(lambda answer: "/api/v1/notifications?" in answer.url and "unread=true" in answer.url):
        page.locator("[data-test=notifications-filter-unread]").click()
    rows = page.locator("[data-test=notification-row]")
    expect(rows).to_have_count(3)

    rows.first.locator("[data-test=notification-mark-read]").click()
    expect(page.locator("[data-test=notification-count]")).to_have_text("2")
    assert unread(user_api) == 2
    expect(page.locator("[data-test=notification-row][data-read=true]")).to_have_count(1)
    shot(page, "notifications_inbox_one_read")

    page.locator("[data-test=notifications-read-all]").click()
    expect(page.locator("[data-test=notification-count]")).to_have_count(0)
    expect(rows).to_have_count(0)
    assert unread(user_api) == 0
    page.locator("[data-test=notifications-filter-all]").click()
    expect(page.locator("[data-test=notification-row][data-read=true]")).to_have_count(3)
    shot(page, "notifications_inbox_all_read")


def test_a_switched_off_email_preference_stays_off(page, ui_url, make_user, api_for):
    name, password, _ = make_user(roles=("service",))
    user_api = api_for(ui_url, name, password)
    sign_in(page, ui_url, name, password)
    page.locator("[data-test=user-menu]").click()
    page.get_by_role("menuitem", name="通知设置").click()
    page.wait_for_url("**/notifications/preferences")

    email = page.locator("[data-test=pref-email-feedback_assigned]")
    expect(email).to_have_class(re.compile(r"\bis-checked\b"))
    email.click()
    expect(email).not_to_have_class(re.compile(r"\bis-checked\b"))
    page.locator("[data-test=pref-save]").click()
    page.locator(".el-message--success").wait_for()
    shot(page, "notifications_preferences_saved")

    page.reload()
    email = page.locator("[data-test=pref-email-feedback_assigned]")
    email.wait_for()
    expect(email).not_to_have_class(re.compile(r"\bis-checked\b"))
    expect(page.locator("[data-test=pref-email-followup_due]")).to_have_class(re.compile(r"\bis-checked\b"))
    stored = user_api.get("/notifications/preferences").json()
    assert "feedback_assigned" not in stored["email_kinds"] and "followup_due" in stored["email_kinds"]
    assert stored["version"] == 1

    # Changed elsewhere meanwhile: saving the stale version says so instead of overwriting.
    assert user_api.put("/notifications/preferences", {"email_kinds": [], "version": 1}).status_code == 200
    page.locator("[data-test=pref-email-followup_due]").click()
    page.locator("[data-test=pref-save]").click()
    page.locator("[data-test=preferences-stale]").wait_for()
    assert user_api.get("/notifications/preferences").json()["email_kinds"] == []
    shot(page, "notifications_preferences_stale")
    page.locator("[data-test=preferences-reload]").click()
    expect(page.locator("[data-test=pref-email-followup_due]")).not_to_have_class(re.compile(r"\bis-checked\b"))
