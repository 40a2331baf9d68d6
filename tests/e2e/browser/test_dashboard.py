"""The dashboard: report charts, the churn-risk table and the caller's own due follow-ups and open
feedback, in both languages."""
import datetime
import uuid

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer

CHART_CARDS = ("tiers", "sales", "funnel", "satisfaction")


def days_ago(days):
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


def order(order_date, amount):
    return {"number": "SO-%s" % uuid.uuid4().hex[:8], "order_date": order_date,
            "lines": [{"product": "Gearbox", "quantity": 4, "amount": amount}]}


def seed(admin_api):
    """A customer who stopped ordering, one with a recent order, an opportunity, an overdue follow-up
    and rated feedback assigned to the admin."""
    site = ui_site(admin_api)
    admin_id = admin_api.get("/me").json()["id"]

    lapsed = create_customer(admin_api, force=True, site_id=site)
    for days, amount in ((420, 90000.0), (390, 85000.0)):
        add_part(admin_api, lapsed["id"], "orders", order(days_ago(days), amount))

    active = create_customer(admin_api, force=True, site_id=site)
    add_part(admin_api, active["id"], "orders", order(days_ago(10), 128000.0))
    add_part(admin_api, active["id"], "opportunities", {"title": "Second production line", "stage": "proposal",
                                                        "expected_amount": 560000.0})
    add_part(admin_api, active["id"], "followups", {"title": "Confirm delivery schedule", "due_date": days_ago(1)})

    subject = "Noisy gearbox %s" % uuid.uuid4().hex[:6]
    created = admin_api.post("/feedback", {"customer_id": active["id"], "channel": "phone", "type": "complaint",
                                           "category": "quality", "severity": "high", "rating": 4,
                                           "subject": subject, "text": "The gearbox is louder than the sample."})
    assert created.status_code == 201, created.text
    item = created.json()
    assigned = admin_api.patch("/feedback/%s" % item["id"], {"version": item["version"], "assignee_id": admin_id})
    assert assigned.status_code == 200, assigned.text

    eventually(lambda: admin_api.get("/reports/churn-risk").json()["items"],
               lambda items: lapsed["id"] in [i["customer_id"] for i in items], timeout=30)
    return lapsed, active, subject


def test_the_dashboard_shows_charts_and_my_lists_in_both_languages(admin_page, admin_api, ui_url):
    page = admin_page
    lapsed, active, subject = seed(admin_api)
    page.goto(ui_url + "/")

    for card in CHART_CARDS:
        page.locator("[data-test=card-%s] canvas" % card).first.wait_for()
    churn_link = page.locator("[data-test=card-churn] [data-test=churn-customer]", has_text=lapsed["legal_name"])
    churn_link.wait_for()
    assert churn_link.get_attribute("href") == "/customers/%s" % lapsed["id"]
    churn_row = page.locator("[data-test=card-churn] tr", has=page.locator(
        "[data-test=churn-customer]", has_text=lapsed["legal_name"]))
    assert "天未下单" in churn_row.inner_text()  # the reason in the user's language
    followup = page.locator("[data-test=card-followups] [data-test=followup-item]", has_text=active["legal_name"])
    followup.wait_for()
    assert "已逾期" in followup.inner_text()
    page.locator("[data-test=card-feedback] [data-test=feedback-item]", has_text=subject).wait_for()
    assert page.locator("[data-test=card-tiers] [data-test=card-title]").inner_text() == "客户等级分布"
    assert page.locator("[data-test=card-error]").count() == 0
    shot(page, "dashboard_chinese")

    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-en]").click()
    page.locator("[data-test=card-tiers] [data-test=card-title]", has_text="Customers by tier").wait_for()
    titles = page.locator("[data-test=card-title]").all_inner_texts()
    assert {"Sales, last 12 months", "Opportunity funnel", "Satisfaction trend", "Customers at risk of churning",
            "My follow-ups due", "My open feedback"} <= set(titles)
    assert "Overdue" in followup.inner_text()
    for card in CHART_CARDS:
        page.locator("[data-test=card-%s] canvas" % card).first.wait_for()
    shot(page, "dashboard_english")

    wide = page.locator("[data-test=card-sales] canvas").first.bounding_box()["width"]
    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_function("w => Math.abs(document.querySelector('[data-test=card-sales] canvas')"
                           ".getBoundingClientRect().width - w) > 20", arg=wide)
    shot(page, "dashboard_tablet")


def test_a_user_without_reports_sees_only_the_cards_of_their_permissions(page, ui_url, make_user):
    name, password, _ = make_user(roles=("finance",))
    sign_in(page, ui_url, name, password)
    page.locator("[data-test=card-followups]").wait_for()
    assert page.locator("[data-test=card-tiers]").count() == 0
    assert page.locator("[data-test=card-feedback]").count() == 0
    shot(page, "dashboard_finance")
