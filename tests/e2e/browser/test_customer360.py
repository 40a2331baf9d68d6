"""The 360 page of one customer (/customers/<id>) in Chromium: header, tier explanation, and the
tabs' forms driven the way a salesperson would, checked on the page and through the API."""
import uuid

from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.customers import cjk, mobile, uscc


def make_customer(admin_api, **fields):
    body = {"legal_name": "%s精密机械有限公司" % cjk(4), "tax_id": uscc(), "site_id": ui_site(admin_api),
            "industry": "machinery", "tags": ["oem"], **fields}
    response = admin_api.post("/customers", body, params={"force": "true"})
    assert response.status_code == 201, response.text
    return response.json()


def open_customer(page, ui_url, customer):
    page.goto("%s/customers/%s" % (ui_url, customer["id"]))
    page.locator("[data-test=customer-name]", has_text=customer["legal_name"]).wait_for()


def field_error(page, test_id):
    """The error text Element Plus shows under the form item holding [data-test=test_id]."""
    return page.locator(".el-form-item:has([data-test=%s]) .el-form-item__error" % test_id)


def test_log_an_interaction_in_two_clicks(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    open_customer(page, ui_url, customer)
    summary = "电话确认下季度齿轮箱需求 %s" % uuid.uuid4().hex[:6]

    page.locator("[data-test=interaction-log]").click()
    page.locator("[data-test=interaction-summary]").fill(summary)
    page.locator("[data-test=interaction-save]").click()

    first_row = page.locator("[data-test=interaction-row]").first
    first_row.filter(has_text=summary).wait_for()
    assert "电话" in first_row.inner_text()
    shot(page, "customer360_interaction_logged")
    logged = admin_api.get("/customers/%s/interactions" % customer["id"]).json()["items"]
    assert [(i["summary"], i["kind"]) for i in logged] == [(summary, "call")]


def test_a_bad_phone_and_email_show_next_to_their_fields(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    open_customer(page, ui_url, customer)
    page.locator("[data-test=tab-contacts]").click()
    page.locator("[data-test=contact-add]").click()
    page.locator("[data-test=contact-name]").fill("王建国")
    page.locator("[data-test=contact-phone]").fill("12345")
    page.locator("[data-test=contact-save]").click()
    field_error(page, "contact-phone").wait_for()
    assert field_error(page, "contact-phone").inner_text().strip()
    expect(field_error(page, "contact-email")).to_have_count(0)

    phone = mobile()
    page.locator("[data-test=contact-phone]").fill(phone)
    page.locator("[data-test=contact-email]").fill("not-an-address")
    page.locator("[data-test=contact-save]").click()
    field_error(page, "contact-email").wait_for()
    expect(field_error(page, "contact-phone")).to_have_count(0)
    shot(page, "customer360_contact_field_error")

    page.locator("[data-test=contact-email]").fill("wang.jianguo@factory.test")
    page.locator("[data-test=contact-save]").click()
    page.locator("[data-test=contact-row]", has_text="王建国").wait_for()
    contacts = admin_api.get("/customers/%s/contacts" % customer["id"]).json()["items"]
    assert [(c["name"], c["phone"], c["email"]) for c in contacts] == [("王建国", phone, "wang.jianguo@factory.test")]
    shot(page, "customer360_contact_added")


def test_an_added_order_shows_its_amount_formatted(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    open_customer(page, ui_url, customer)
    number = "SO-%s" % uuid.uuid4().hex[:6]
    page.locator("[data-test=tab-orders]").click()
    page.locator("[data-test=order-add]").click()
    page.locator("[data-test=order-number]").fill(number)
    page.locator("[data-test=order-line-product-0]").fill("斜齿轮")
    page.locator("[data-test=order-line-quantity-0] input").fill("20")
    page.locator("[data-test=order-line-amount-0] input").fill("12500")
    page.locator("[data-test=order-save]").click()

    page.locator("[data-test=order-row]", has_text=number).wait_for()
    assert page.locator("[data-test=order-amount]").first.inner_text().strip() == "¥12,500.00"
    orders = admin_api.get("/customers/%s/orders" % customer["id"]).json()["items"]
    assert [(o["number"], o["total_amount"], o["lines"][0]["product"]) for o in orders] == [(number, 12500, "斜齿轮")]
    page.locator("[data-test=figure-orders-12m]", has_text="12,500.00").wait_for()
    shot(page, "customer360_order_added")


def test_move_an_opportunity_to_another_stage(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    created = admin_api.post("/customers/%s/opportunities" % customer["id"],
                             {"title": "年度框架协议", "expected_amount": 300000, "stage": "contacted"})
    assert created.status_code == 201, created.text
    opportunity = created.json()
    open_customer(page, ui_url, customer)
    page.locator("[data-test=tab-opportunities]").click()
    page.locator("[data-test=stage-column-contacted] [data-test=opportunity-card]", has_text="年度框架协议").wait_for()

    page.locator("[data-test=opportunity-stage-%s]" % opportunity["id"]).click()
    page.locator("[data-test=stage-option-proposal]:visible").click()

    page.locator("[data-test=stage-column-proposal] [data-test=opportunity-card]", has_text="年度框架协议").wait_for()
    shot(page, "customer360_opportunity_moved")
    stored = admin_api.get("/customers/%s/opportunities" % customer["id"]).json()["items"][0]
    assert stored["stage"] == "proposal" and stored["version"] == opportunity["version"] + 1
    assert [h["stage"] for h in stored["stage_history"]] == ["contacted", "proposal"]

    card = page.locator("[data-test=opportunity-card]", has_text="年度框架协议")
    target = page.locator("[data-test=stage-column-negotiation]")
    target.scroll_into_view_if_needed()
    card.drag_to(target)
    page.locator("[data-test=stage-column-negotiation] [data-test=opportunity-card]", has_text="年度框架协议").wait_for()
    dragged = admin_api.get("/customers/%s/opportunities" % customer["id"]).json()["items"][0]
    assert dragged["stage"] == "negotiation" and dragged["version"] == stored["version"] + 1


def test_add_a_follow_up_and_mark_it_done(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    open_customer(page, ui_url, customer)
    page.locator("[data-test=tab-followups]").click()
    page.locator("[data-test=followup-add]").click()
    page.locator("[data-test=followup-title]").fill("寄送样品并确认收货")
    page.locator("[data-test=followup-save]").click()
    page.locator("[data-test=followup-row]", has_text="寄送样品并确认收货").wait_for()
    page.locator("[data-test=followup-done]").click()
    page.locator("[data-test=followup-status]", has_text="已完成").wait_for()
    expect(page.locator("[data-test=followup-done]")).to_have_count(0)
    shot(page, "customer360_followup_done")
    stored = admin_api.get("/customers/%s/followups" % customer["id"]).json()["items"]
    assert [(f["title"], f["status"], f["version"]) for f in stored] == [("寄送样品并确认收货", "done", 2)]


def test_the_tier_badge_opens_its_explanation(admin_page, ui_url, admin_api):
    page = admin_page
    customer = make_customer(admin_api)
    reasons = admin_api.get("/customers/%s/overview" % customer["id"]).json()["tier"]["reasons"]
    assert reasons
    open_customer(page, ui_url, customer)
    badge = page.locator("[data-test=tier-badge]")
    expect(badge).to_contain_text("普通")  # the tier's label once the catalogue tiers has come
    badge.click()
    page.locator("[data-test=tier-reason]").first.wait_for()
    assert [r.strip() for r in page.locator("[data-test=tier-reason]").all_inner_texts()] == reasons
    page.locator("[data-test=tier-history]").wait_for()
    shot(page, "customer360_tier_explained")


def test_a_viewer_sees_the_customer_and_its_owner_but_no_log_button(page, ui_url, admin_api, make_user):
    owner_username, _, owner_id = make_user(roles=("sales",))
    customer = make_customer(admin_api, owner_id=owner_id)
    username, password, _ = make_user(roles=("viewer",))
    sign_in(page, ui_url, username, password)
    open_customer(page, ui_url, customer)
    page.locator("[data-test=tier-badge]").wait_for()
    # The owner is a colleague: named from the user directory, which any user may read.
    expect(page.locator("[data-test=customer-owner]")).to_have_text(owner_username)
    page.locator("[data-test=tab-contacts]").click()
    page.locator("[data-test=contact-table]").wait_for()
    assert page.locator("[data-test=interaction-log]").count() == 0
    assert page.locator("[data-test=contact-add]").count() == 0
    assert page.locator("[data-test=customer-edit]").count() == 0
    assert page.locator("[data-test=tab-history]").count() == 0
    shot(page, "customer360_viewer")


def test_an_unknown_customer_says_so(admin_page, ui_url):
    page = admin_page
    page.goto("%s/customers/%s" % (ui_url, uuid.uuid4().hex))
    page.locator("[data-test=customer-not-found]").wait_for()
    assert "未找到该客户" in page.locator("[data-test=customer-not-found]").inner_text()
    shot(page, "customer360_not_found")
