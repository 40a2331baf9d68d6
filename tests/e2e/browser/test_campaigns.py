"""A customer care campaign in Chromium, as the manager of a site with two customers, each with an
e-mail contact: written in the wizard in both languages (the preview fills the placeholders with
example values), saved as a draft that counts its audience, scheduled at once, and its report shows
both contacts sent."""
import re
import uuid

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in
from tests.support.customers import add_part, create_customer, create_site

ZH_SUBJECT = "{{customer.legal_name}} 新春问候"
ZH_BODY = "{{contact.name}}，您好！感谢一年来的支持。"
EN_SUBJECT = "Season's greetings to {{customer.legal_name}}"
EN_BODY = "Dear {{contact.name}}, thank you for a good year."


def refreshed_until(page, button, wanted, tries=25):
    """Click ``button`` until ``wanted`` shows: the campaign sends asynchronously."""
    for _ in range(tries):
        page.locator(button).click()
        try:
            wanted.wait_for(timeout=2000)
            return
        except PlaywrightTimeout:
            continue
    wanted.wait_for()


def test_a_campaign_written_in_the_wizard_is_sent_to_both_contacts(page, ui_url, admin_api, make_user, api_for):
    site = create_site(admin_api, "CARE")
    name, password, _ = make_user(roles=("manager",), sites=[site["id"]])
    api = api_for(ui_url, name, password)
    tag = uuid.uuid4().hex[:8]
    customers = [create_customer(api) for _ in range(2)]
    for n, customer in enumerate(customers):
        add_part(api, customer["id"], "contacts", {"name": "联系人%d" % n, "email": "care%d.%s@care.test" % (n, tag),
                                                   "primary": True})

    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/campaigns")
    page.locator("[data-test=campaign-create]").click()
    page.locator("[data-test=campaign-name]").fill("新春问候 %s" % tag)
    expect(page.locator("[data-test=campaign-audience-box]")).to_contain_text("保存草稿后")
    page.locator("[data-test=campaign-next]").click()

    # the message in both languages, a placeholder inserted by its button; the preview fills in examples
    page.locator("[data-test=campaign-subject-zh-CN]").fill(ZH_SUBJECT)
    page.locator("[data-test=campaign-body-zh-CN]").fill(ZH_BODY)
    page.locator("[data-test=campaign-insert-owner]:visible").click()
    expect(page.locator("[data-test=campaign-body-zh-CN]")).to_have_value(ZH_BODY + "{{owner.name}}")
    expect(page.locator("[data-test=campaign-preview-subject]")).to_have_text("苏州恒达精密机械有限公司 新春问候")
    expect(page.locator("[data-test=campaign-preview-body]")).to_have_text("李娜，您好！感谢一年来的支持。" + name)
    expect(page.locator("[data-test=campaign-preview]")).to_contain_text("如不希望再收到此类消息")
    page.locator("[data-test=campaign-lang-en]").click()
    page.locator("[data-test=campaign-subject-en]").fill(EN_SUBJECT)
    page.locator("[data-test=campaign-body-en]").fill(EN_BODY)
    expect(page.locator("[data-test=campaign-preview-subject]")).to_have_text(
        "Season's greetings to Suzhou Hengda Precision Machinery Co., Ltd.")
    expect(page.locator("[data-test=campaign-preview]")).to_contain_text("To receive no more of these messages")
    shot(page, "campaigns_message")

    # saved as a draft, the wizard counts the segment's customers: every customer of the new site
    page.locator("[data-test=campaign-save-draft]").click()
    page.locator(".el-message--success", has_text="草稿已保存").wait_for()
    page.locator("[data-test=campaign-back]").click()
    expect(page.locator("[data-test=campaign-audience]")).to_have_text("2 个客户")
    shot(page, "campaigns_audience")
    [campaign] = api.get("/campaigns").json()["items"]
    assert campaign["status"] == "draft" and campaign["segment"] == {}
    assert campaign["messages"] == {"zh-CN": {"subject": ZH_SUBJECT, "body": ZH_BODY + "{{owner.name}}"},
                                    "en": {"subject": EN_SUBJECT, "body": EN_BODY}}

    page.locator("[data-test=campaign-next]").click()
    page.locator("[data-test=campaign-next]").click()
    expect(page.locator("[data-test=campaign-timing-now]")).to_have_class(re.compile(r"is-checked"))
    shot(page, "campaigns_schedule_step")
    page.locator("[data-test=campaign-save-schedule]").click()
    page.locator(".el-message-box .el-message-box__btns .el-button--primary").click()
    page.locator(".el-message--success", has_text="活动已排期").wait_for()
    expect(page.locator("[data-test=campaign-row-%s]" % campaign["id"])).to_have_text("新春问候 %s" % tag)

    page.locator("[data-test=campaign-report-%s]" % campaign["id"]).click()
    page.wait_for_url("**/admin/campaigns/%s" % campaign["id"])
    try:
        refreshed_until(page, "[data-test=report-refresh]",
                        page.locator("[data-test=report-status]", has_text="已发送"))
    except PlaywrightTimeout:
        raise AssertionError("not sent: %s" % api.get("/campaigns/%s" % campaign["id"]).json())
    expect(page.locator("[data-test=report-count-sent]")).to_have_text("2")
    expect(page.locator("[data-test=report-count-failed]")).to_have_text("0")
    rows = page.locator("[data-test=recipients-table] .el-table__body-wrapper tr.el-table__row")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-test=recipient-status]", has_text="已发送")).to_have_count(2)
    expect(page.locator("[data-test=recipients-table]")).to_contain_text("care0.%s@care.test" % tag)
    shot(page, "campaigns_report")
    assert api.get("/campaigns/%s" % campaign["id"]).json()["counts"] == {"queued": 0, "sent": 2, "failed": 0,
                                                                          "skipped": 0}
