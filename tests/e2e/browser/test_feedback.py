"""Feedback and surveys in Chromium: the board and a complaint worked to resolved, the form's field
errors, a survey answered by a customer on a phone through its mailed link, and a read-only user."""
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site


def exactly(text):
    return re.compile(r"^\s*%s\s*$" % re.escape(text))


def choose(page, select, option):
    """Pick ``option`` (its whole label) in the Element Plus select found by ``select``."""
    page.locator(select).click()
    page.locator(".el-select-dropdown__item:visible", has_text=exactly(option)).first.click()


def pick_customer(page, select, name):
    """Search a customer by name in a remote select and take it."""
    page.locator(select).click()
    page.locator(select + " input").fill(name)
    page.locator(".el-select-dropdown__item:visible", has_text=name).first.click()


def form_error(page, field):
    """The error shown under the form item that holds ``[data-test=field]``."""
    return page.locator(".el-form-item", has=page.locator("[data-test=%s]" % field)).locator(".el-form-item__error")


def board_loaded(page):
    expect(page.locator("[data-test=feedback-board] .el-loading-mask")).to_have_count(0)


def ui_customer(admin_api):
    return create_customer(admin_api, site_id=ui_site(admin_api))


def test_a_complaint_goes_from_the_board_to_resolved(admin_page, ui_url, admin_api):
    page = admin_page
    customer = ui_customer(admin_api)
    subject = "密封圈渗漏 %s" % uuid.uuid4().hex[:6]
    page.goto(ui_url + "/feedback")
    page.locator("[data-test=feedback-board]").wait_for()

    page.locator("[data-test=feedback-create]").click()
    pick_customer(page, "[data-test=feedback-customer]", customer["legal_name"])
    choose(page, "[data-test=feedback-channel]", "电话")
    choose(page, "[data-test=feedback-type]", "投诉")
    choose(page, "[data-test=feedback-category]", "质量")
    choose(page, "[data-test=feedback-severity]", "高")
    page.locator("[data-test=feedback-subject]").fill(subject)
    page.locator("[data-test=feedback-text]").fill("阀门密封圈使用两周后渗漏。")
    shot(page, "feedback_create_form")
    page.locator("[data-test=feedback-save]").click()

    card = page.locator("[data-test=feedback-column-open] [data-test=feedback-card]", has_text=subject)
    card.wait_for()
    assert customer["legal_name"][:4] in card.inner_text() and "高" in card.inner_text()
    board_loaded(page)
    shot(page, "feedback_board_open")
    card.click()
    page.wait_for_url(re.compile(r".*/feedback/[0-9a-f]+$"))
    feedback_id = page.url.rsplit("/", 1)[1]
    assert page.locator("[data-test=feedback-status]").inner_text().strip() == "待处理"

    page.locator("[data-test=feedback-response-text]").fill("已安排更换第 7 批密封圈。")
    page.locator("[data-test=feedback-response-save]").click()
    page.locator("[data-test=feedback-response]", has_text="已安排更换第 7 批密封圈。").wait_for()

    for target, label in (("assigned", "已分派"), ("in_progress", "处理中")):
        page.locator("[data-test=feedback-status-%s]" % target).click()
        page.locator("[data-test=feedback-transition-save]").click()
        page.locator("[data-test=feedback-status]", has_text=label).wait_for()
    assert page.locator("[data-test=feedback-status-closed]").count() == 0

    page.locator("[data-test=feedback-status-resolved]").click()
    page.locator("[data-test=feedback-transition-save]").click()
    assert form_error(page, "feedback-resolution").inner_text().strip()
    page.locator("[data-test=feedback-resolution]").fill("更换了第 7 批密封圈，客户验收合格。")
    page.locator("[data-test=feedback-transition-save]").click()
    page.locator("[data-test=feedback-status]", has_text="已解决").wait_for()
    expect(page.locator("[data-test=feedback-status-closed]")).to_be_visible()
    assert [e.inner_text().split("\n")[0] for e in page.locator("[data-test=feedback-history-entry]").all()][0].startswith("处理中")
    shot(page, "feedback_detail_resolved")

    page.goto(ui_url + "/feedback")
    page.locator("[data-test=feedback-column-resolved] [data-test=feedback-card]", has_text=subject).wait_for()
    board_loaded(page)
    assert page.locator("[data-test=feedback-column-open] [data-test=feedback-card]", has_text=subject).count() == 0
    shot(page, "feedback_board_resolved")

    stored = admin_api.get("/feedback/%s" % feedback_id).json()
    admin_id = admin_api.get("/me").json()["id"]
    assert (stored["status"], stored["customer_id"], stored["subject"]) == ("resolved", customer["id"], subject)
    assert (stored["channel"], stored["type"], stored["category"], stored["severity"]) == ("phone", "complaint", "quality", "high")
    assert stored["assignee_id"] == admin_id and stored["resolution_summary"] == "更换了第 7 批密封圈，客户验收合格。"
    assert [r["text"] for r in stored["responses"]] == ["已安排更换第 7 批密封圈。"]
    assert [h["to"] for h in stored["history"]] == ["open", "assigned", "in_progress", "resolved"]


def test_the_list_view_filters_by_customer(admin_page, ui_url, admin_api):
    page = admin_page
    customer = ui_customer(admin_api)
    created = admin_api.post("/feedback", {"customer_id": customer["id"], "channel": "wechat", "type": "suggestion",
                                           "category": "delivery", "subject": "希望提前通知发货", "text": "请提前一天通知。"})
    assert created.status_code == 201, created.text
    page.goto(ui_url + "/feedback?view=list")
    page.locator("[data-test=feedback-table]").wait_for()
    pick_customer(page, "[data-test=feedback-filter-customer]", customer["legal_name"])
    rows = page.locator("[data-test=feedback-table] .el-table__body tr")
    eventually(lambda: rows.count(), lambda n: n == 1, timeout=15)
    assert "希望提前通知发货" in rows.first.inner_text() and "微信" in rows.first.inner_text()
    shot(page, "feedback_list_filtered")


def test_a_change_made_meanwhile_is_reported_as_stale(admin_page, ui_url, admin_api):
    page = admin_page
    customer = ui_customer(admin_api)
    item = admin_api.post("/feedback", {"customer_id": customer["id"], "channel": "visit", "type": "complaint",
                                        "category": "service", "subject": "安装调试延误", "text": "调试晚了三天。"}).json()
    page.goto(ui_url + "/feedback/%s" % item["id"])
    page.locator("[data-test=feedback-text-shown]", has_text="调试晚了三天。").wait_for()
    changed = admin_api.patch("/feedback/%s" % item["id"], {"version": item["version"], "severity": "low"})
    assert changed.status_code == 200, changed.text
    page.locator("[data-test=feedback-status-assigned]").click()
    page.locator("[data-test=feedback-transition-save]").click()
    page.locator("[data-test=feedback-stale]").wait_for()
    expect(page.locator(".el-dialog:visible")).to_have_count(0)
    shot(page, "feedback_stale")
    assert admin_api.get("/feedback/%s" % item["id"]).json()["status"] == "open"
    page.locator("[data-test=feedback-reload]").click()
    expect(page.locator("[data-test=feedback-stale]")).to_have_count(0)
    assert "低" in page.locator("[data-test=feedback-fields]").inner_text()
    page.locator("[data-test=feedback-status-assigned]").click()
    page.locator("[data-test=feedback-transition-save]").click()
    page.locator("[data-test=feedback-status]", has_text="已分派").wait_for()


def test_a_missing_required_field_is_shown_next_to_it(admin_page, ui_url, admin_api):
    page = admin_page
    before = admin_api.get("/feedback", params={"limit": 500}).json()["total"]
    page.goto(ui_url + "/feedback")
    page.locator("[data-test=feedback-create]").click()
    page.locator("[data-test=feedback-text]").fill("只填了内容。")
    page.locator("[data-test=feedback-save]").click()
    for field in ("feedback-customer", "feedback-channel", "feedback-category"):
        expect(form_error(page, field)).to_be_visible()
    assert form_error(page, "feedback-text").count() == 0
    shot(page, "feedback_field_errors")
    assert admin_api.get("/feedback", params={"limit": 500}).json()["total"] == before


def test_a_survey_answered_on_a_phone_shows_for_the_admin(admin_page, ui_url, admin_api, browser, smtp_server):
    page = admin_page
    customer = ui_customer(admin_api)
    email = "buyer.%s@customer.example" % uuid.uuid4().hex[:6]
    add_part(admin_api, customer["id"], "contacts", {"name": "李娜", "email": email})
    title = "交货满意度 %s" % uuid.uuid4().hex[:4]

    page.goto(ui_url + "/surveys")
    page.locator("[data-test=survey-create]").click()
    page.locator("[data-test=survey-title]").fill(title)
    choose(page, "[data-test=survey-site]", "UI Plant (UI-PLANT)")
    for index, text in enumerate(("您对本次交货满意吗？", "您愿意向同行推荐我们吗？", "我们还能改进什么？")):
        page.locator("[data-test=survey-question-text-%d]" % index).fill(text)
    page.locator("[data-test=survey-question-required-2]").click()
    shot(page, "survey_create_form")
    page.locator("[data-test=survey-save]").click()
    page.wait_for_url(re.compile(r".*/surveys/[0-9a-f]+$"))
    survey_id = page.url.rsplit("/", 1)[1]

    page.locator("[data-test=survey-send]").click()
    pick_customer(page, "[data-test=survey-send-customer]", customer["legal_name"])
    page.locator("[data-test=survey-send-contact]", has_text=email).wait_for()
    page.locator("[data-test=survey-send-save]").click()
    page.locator("[data-test=survey-sent]").wait_for()
    assert email in page.locator("[data-test=survey-sent]").inner_text()
    shot(page, "survey_sent")

    [mail] = eventually(lambda: smtp_server.to(email), bool, timeout=30)
    token = re.search(r"http://crm\.test/s/(\S+)", mail.get_content()).group(1)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    try:
        mobile = phone.new_page()
        mobile.set_default_timeout(15000)
        mobile.goto(ui_url + "/s/" + token)
        mobile.locator("h1", has_text=title).wait_for()
        assert "width=device-width" in mobile.locator("meta[name=viewport]").get_attribute("content")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        mobile.locator("input[name=q1][value='2']").check()
        mobile.locator("input[name=q2][value='5']").check()
        mobile.locator("textarea[name=q3]").fill("希望交货前电话确认。")
        shot(mobile, "survey_public_mobile")
        mobile.locator("button[type=submit]").click()
        mobile.get_by_text("感谢您的反馈！").first.wait_for()
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        shot(mobile, "survey_public_thanks")
    finally:
        phone.close()

    page.reload()
    page.locator("[data-test=survey-answered-count] .el-statistic__number", has_text=exactly("1")).wait_for()
    stored = admin_api.get("/surveys/%s" % survey_id).json()
    assert (stored["sent_count"], stored["response_count"]) == (1, 1)
    assert [q["kind"] for q in stored["questions"]] == ["rating", "nps", "text"]
    assert stored["questions"][2]["required"] is False
    rating_id, nps_id, text_id = [q["id"] for q in stored["questions"]]

    # Per question: the rating's average, the NPS split, the written answer.
    questions = page.locator("[data-test=survey-question-result]")
    expect(questions).to_have_count(3)
    expect(questions.nth(0)).to_contain_text("您对本次交货满意吗？")
    expect(questions.nth(0).locator("[data-test=survey-question-headline]")).to_contain_text("2 / 5")
    expect(questions.nth(0).locator("canvas")).to_have_count(1)
    expect(questions.nth(1).locator("[data-test=survey-question-headline]")).to_contain_text("-100")
    expect(questions.nth(1).locator("[data-test=survey-question-headline]")).to_contain_text("贬损者 1")
    expect(questions.nth(2).locator("[data-test=survey-question-texts]")).to_contain_text("希望交货前电话确认。")

    # The individual answer, with its follow-up item.
    response = page.locator("[data-test=survey-responses] .el-table__body-wrapper tr",
                            has=page.locator("[data-test=survey-response-name]", has_text="李娜"))
    expect(response).to_have_count(1)
    expect(response.locator("[data-test=survey-answer-%s]" % rating_id)).to_have_text("★ 2/5")
    expect(response.locator("[data-test=survey-answer-%s]" % nps_id)).to_have_text("5/10")
    expect(response.locator("[data-test=survey-answer-%s]" % text_id)).to_have_text("希望交货前电话确认。")
    shot(page, "survey_detail_answered")
    response.locator("[data-test=survey-response-followup]").click()
    page.wait_for_url(re.compile(r".*/feedback/[0-9a-f]+$"))
    shown = page.locator("[data-test=feedback-text-shown]", has_text="希望交货前电话确认。")
    expect(shown).to_contain_text("rating 2/5")
    expect(shown).to_contain_text("NPS 5/10")
    shot(page, "survey_followup_item")


def test_a_survey_of_a_disabled_site_is_moved_to_an_active_one(admin_page, ui_url, admin_api):
    target = ui_site(admin_api)
    old = create_site(admin_api, "Old")
    created = admin_api.post("/surveys", {"title": "Retired plant survey %s" % uuid.uuid4().hex[:6],
                                          "site_id": old["id"], "questions": [{"kind": "rating", "text": "满意吗？"}]})
    assert created.status_code == 201, created.text
    survey = created.json()
    disabled = admin_api.patch("/sites/%s" % old["id"], {"status": "disabled", "version": old["version"]})
    assert disabled.status_code == 200, disabled.text
    page = admin_page
    page.goto(ui_url + "/surveys/%s" % survey["id"])
    page.locator("[data-test=survey-move]").click()
    page.locator("[data-test=survey-move-site]").click()
    offered = page.locator(".el-select-dropdown__item:visible")
    offered.filter(has_text=exactly("UI Plant (UI-PLANT)")).wait_for()
    expect(offered.filter(has_text=old["code"])).to_have_count(0)
    offered.filter(has_text=exactly("UI Plant (UI-PLANT)")).first.click()
    shot(page, "survey_move_dialog")
    page.locator("[data-test=survey-move-save]").click()
    expect(page.locator("[data-test=survey-move-form]")).to_have_count(0)
    expect(page.locator("[data-test=survey-about]")).to_contain_text("UI Plant")
    moved = admin_api.get("/surveys/%s" % survey["id"]).json()
    assert (moved["site_id"], moved["version"]) == (target, survey["version"] + 1)


def test_a_reader_sees_feedback_but_cannot_record_or_move_it(page, ui_url, admin_api, make_user):
    customer = ui_customer(admin_api)
    created = admin_api.post("/feedback", {"customer_id": customer["id"], "channel": "email", "type": "question",
                                           "category": "price", "subject": "询问报价", "text": "请发最新价格表。"})
    assert created.status_code == 201, created.text
    name, password, _ = make_user(roles=("viewer",))
    sign_in(page, ui_url, name, password)
    page.locator("[data-test=menu-feedback]").click()
    page.locator("[data-test=feedback-column-open] [data-test=feedback-card]").first.wait_for()
    assert page.locator("[data-test=feedback-create]").count() == 0
    shot(page, "feedback_reader_board")
    page.goto(ui_url + "/feedback/%s" % created.json()["id"])
    page.locator("[data-test=feedback-text-shown]", has_text="请发最新价格表。").wait_for()
    assert page.locator("[data-test=feedback-actions]").count() == 0
    assert page.locator("[data-test=feedback-response-text]").count() == 0
    page.locator("[data-test=menu-surveys]").click()
    page.locator("[data-test=survey-table]").wait_for()
    assert page.locator("[data-test=survey-create]").count() == 0
    shot(page, "feedback_reader_surveys")
