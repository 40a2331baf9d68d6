"""Automation rules in Chromium, as a site's manager: a rule built in the form (a field error first) runs
on a new trade-fair customer and tags it, its run shows in the run log and the rule can be tried on the
customer; a template is enabled from the gallery and switched off; a schedule rule (a bad cron expression
first) is built and listed with its next run; a rule writing an e-mail to the customer's contacts in both
languages (its missing subject named first) is saved and opened again as written; so are a rule assigning the owner
by province and by industry tables, moving the opportunity and sending a survey (a manager is not offered a webhook)
and a site admin's rule calling a webhook."""
import datetime
import re
import zoneinfo

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from services.notifications import contract
from tests.e2e.browser.conftest import shot, sign_in
from tests.support.api import eventually
from tests.support.customers import create_customer, create_site

RUN_WAIT = 40


def manager_at_a_new_site(admin_api, make_user, api_for, ui_url):
    """A manager of a site of their own (so no other test's customers meet the rules): (name, password, api)."""
    site = create_site(admin_api, "AUTO")
    name, password, _ = make_user(roles=("manager",), sites=[site["id"]])
    return name, password, api_for(ui_url, name, password)


def pick(page, select, option):
    """Open the select at data-test ``select`` and click its option at data-test ``option``."""
    page.locator('[data-test="%s"]' % select).click()
    page.locator('[data-test="%s"]' % option).click()


def rule_named(api, name):
    return next(rule for rule in api.get("/automations").json()["items"] if rule["name"] == name)


def refreshed_until(page, button, wanted, tries=20):
    """Click ``button`` until ``wanted`` shows: runs happen asynchronously."""
    for _ in range(tries):
        page.locator(button).click()
        try:
            wanted.first.wait_for(timeout=2000)
            return
        except PlaywrightTimeout:
            continue
    wanted.first.wait_for()


def error_beside(page, control):
    return page.locator(".el-form-item", has=page.locator(control)).locator(".el-form-item__error")


def test_a_rule_built_in_the_form_tags_a_trade_fair_customer_and_logs_its_run(
        page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("展会客户打标签")
    pick(page, "automation-trigger", "automation-trigger-customers.customer_created")
    page.locator("[data-test=automation-condition-add]").click()
    page.locator("[data-test=automation-condition-field-0]").fill("customer.source_channel")
    page.locator("[data-test=automation-form] h4").first.click()  # closes the suggestions
    pick(page, "automation-condition-op-0", "automation-condition-0-op-eq")
    pick(page, "automation-condition-value-0", "automation-condition-0-value-exhibition")

    # the new action is a follow-up task, whose title is left empty: the API's message shows beside it
    page.locator("[data-test=automation-save]").click()
    expect(error_beside(page, "[data-test=automation-action-title-0]")).to_be_visible()
    shot(page, "automations_field_error")
    pick(page, "automation-action-kind-0", "automation-action-0-kind-add_tag")
    page.locator("[data-test=automation-action-tag-0]").fill("fair")
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()
    rule = rule_named(api, "展会客户打标签")
    assert rule["trigger"]["event_type"] == "customers.customer_created" and rule["enabled"] is True
    assert rule["conditions"] == [{"field": "customer.source_channel", "op": "eq", "value": "exhibition"}]
    assert rule["actions"] == [{"kind": "add_tag", "tag": "fair"}]
    row = page.locator("[data-test=automations-table] tr.el-table__row", has=page.locator(
        "[data-test=automation-row-%s]" % rule["id"]))
    expect(row).to_contain_text("新建客户")
    shot(page, "automations_rule_saved")

    customer = create_customer(api, source_channel="exhibition")
    page.locator("[data-test=automation-runs-%s]" % rule["id"]).click()
    page.wait_for_url("**/admin/automations/%s/runs" % rule["id"])
    refreshed_until(page, "[data-test=runs-refresh]", page.locator("[data-test=run-status]", has_text="成功"))
    run = page.locator("[data-test=runs-table] .el-table__body-wrapper tr.el-table__row").first
    expect(run.locator("[data-test=run-customer]")).to_have_attribute("href", "/customers/%s" % customer["id"])
    run.locator(".el-table__expand-icon").click()
    steps = page.locator("[data-test=run-steps]")
    expect(steps).to_contain_text("添加标签")
    expect(steps.locator("[data-test=step-status]")).to_have_text("已完成")
    shot(page, "automations_run_log")
    eventually(lambda: api.get("/customers/%s" % customer["id"]).json()["tags"], lambda tags: "fair" in tags,
               timeout=RUN_WAIT)

    # tried on the customer: the condition is met and the tag would be added (nothing is written)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-edit-%s]" % rule["id"]).click()
    page.locator("[data-test=automation-try-customer]").fill(customer["id"])
    page.locator("[data-test=automation-try-run]").click()
    expect(page.locator("[data-test=automation-try-verdict]")).to_have_text("会运行")
    expect(page.locator("[data-test=automation-try-met-0]")).to_have_text("满足")
    expect(page.locator("[data-test=automation-try-actions]")).to_contain_text("fair")
    shot(page, "automations_tried")
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204


def test_a_template_enabled_from_the_gallery_is_listed_and_switched_off(page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-templates]").click()
    card = page.locator("[data-test=template-trade_show_round_robin]")
    expect(card).to_be_visible()
    expect(page.locator("[data-test=template-gallery] .el-card")).to_have_count(len(contract.AUTOMATION_TEMPLATES))
    expect(page.locator("[data-test=template-gallery] .el-loading-mask")).to_have_count(0)
    shot(page, "automations_gallery")
    card.locator("[data-test=template-enable-trade_show_round_robin]").click()
    page.locator(".el-message--success").wait_for()

    [rule] = api.get("/automations").json()["items"]
    assert rule["template"] == "trade_show_round_robin" and rule["enabled"] is True
    switch = page.locator("[data-test=automation-enabled-%s]" % rule["id"])
    expect(switch).to_have_class(re.compile(r"is-checked"))
    expect(page.locator("[data-test=automation-row-%s]" % rule["id"])).to_have_text(rule["name"])
    switch.click()
    page.locator(".el-message--success", has_text="规则已暂停").wait_for()
    expect(switch).not_to_have_class(re.compile(r"is-checked"))
    expect(page.locator("[data-test=automation-paused-%s]" % rule["id"])).to_have_text("已暂停")
    assert eventually(lambda: api.get("/automations/%s" % rule["id"]).json(), lambda r: r["enabled"] is False)
    shot(page, "automations_template_paused")


def test_a_schedule_rule_built_in_the_form_shows_its_next_run(page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("每周销售例会")
    page.locator("[data-test=automation-trigger-kind-schedule]").click()
    expect(page.locator("[data-test=automation-trigger]")).to_have_count(0)
    page.locator("[data-test=automation-trigger-cron]").fill("every monday")
    # a scheduled rule is about no customer: only notify and wait are offered, and no owner to tell
    page.locator("[data-test=automation-action-kind-0]").click()
    expect(page.locator("[data-test=automation-action-0-kind-add_tag]")).to_have_count(0)
    page.locator("[data-test=automation-action-0-kind-notify]").click()
    page.locator("[data-test=automation-action-recipients-0]").click()
    expect(page.locator("[data-test=automation-action-0-recipients-owner]")).to_have_count(0)
    page.locator("[data-test=automation-action-0-recipients-managers]").click()
    page.locator("[data-test=automation-action-title-0]").fill("本周销售例会")

    page.locator("[data-test=automation-save]").click()
    expect(error_beside(page, "[data-test=automation-trigger-cron]")).to_contain_text("cron")
    shot(page, "automations_bad_cron")
    page.locator("[data-test=automation-trigger-cron]").fill("0 9 * * 1")
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()

    rule = rule_named(api, "每周销售例会")
    assert rule["trigger"] == {"kind": "schedule", "cron": "0 9 * * 1"}
    assert [(a["kind"], a["recipients"], a["title"]) for a in rule["actions"]] == [
        ("notify", "managers", "本周销售例会")]
    fires = datetime.datetime.fromisoformat(rule["next_fire_at"].replace("Z", "+00:00"))
    at_site = fires.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert (at_site.weekday(), at_site.strftime("%H:%M")) == (0, "09:00")
    # written as the zh-CN UI writes times, in the browser's time zone
    zone = zoneinfo.ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
    expect(page.locator("[data-test=automation-next-%s]" % rule["id"])).to_have_text(
        fires.astimezone(zone).strftime("%Y/%m/%d %H:%M"))
    row = page.locator("[data-test=automations-table] tr.el-table__row", has=page.locator(
        "[data-test=automation-row-%s]" % rule["id"]))
    expect(row).to_contain_text("0 9 * * 1")
    shot(page, "automations_schedule_listed")

    # opened again, the form shows the trigger as saved, and saving it keeps it so
    page.locator("[data-test=automation-edit-%s]" % rule["id"]).click()
    expect(page.locator("[data-test=automation-trigger-cron]")).to_have_value("0 9 * * 1")
    expect(page.locator("[data-test=automation-try]")).to_have_count(0)
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success", has_text="已保存").wait_for()
    assert api.get("/automations/%s" % rule["id"]).json()["trigger"] == rule["trigger"]
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204


def test_a_rule_messaging_the_contacts_in_both_languages_is_saved_and_opened_again(
        page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("新客户欢迎邮件")
    pick(page, "automation-action-kind-0", "automation-action-0-kind-message_contacts")
    expect(page.locator("[data-test=automation-action-title-0]")).to_have_count(0)
    page.locator("[data-test=automation-action-0-channel-email]").click()
    pick(page, "automation-action-contacts-0", "automation-action-0-contacts-all")
    page.locator("[data-test=automation-action-0-lang-zh-CN]").click()
    page.locator("[data-test=automation-action-0-subject-zh-CN]").fill("欢迎 {{contact.name}}")
    page.locator("[data-test=automation-action-0-body-zh-CN]").fill("您好，{{customer.legal_name}}！")
    page.locator("[data-test=automation-action-0-lang-en]").click()
    page.locator("[data-test=automation-action-0-body-en]").fill("Welcome, {{contact.name}}.")

    # the English e-mail has no subject: the API's message shows beside the messages
    page.locator("[data-test=automation-save]").click()
    expect(page.locator("[data-test=automation-action-messages-error-0]")).to_contain_text(re.compile("主题|subject"))
    shot(page, "automations_message_error")
    page.locator("[data-test=automation-action-0-subject-en]").fill("Welcome")
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()

    rule = rule_named(api, "新客户欢迎邮件")
    assert rule["actions"] == [{"kind": "message_contacts", "channel": "email", "contacts": "all", "messages": {
        "zh-CN": {"subject": "欢迎 {{contact.name}}", "body": "您好，{{customer.legal_name}}！"},
        "en": {"subject": "Welcome", "body": "Welcome, {{contact.name}}."}}}]

    page.locator("[data-test=automation-edit-%s]" % rule["id"]).click()
    expect(page.locator("[data-test=automation-action-0-subject-zh-CN]")).to_have_value("欢迎 {{contact.name}}")
    expect(page.locator("[data-test=automation-action-0-body-zh-CN]")).to_have_value("您好，{{customer.legal_name}}！")
    expect(page.locator("[data-test=automation-action-contacts-0]")).to_contain_text("所有联系人")
    page.locator("[data-test=automation-action-0-lang-en]").click()
    expect(page.locator("[data-test=automation-action-0-subject-en]")).to_have_value("Welcome")
    expect(page.locator("[data-test=automation-action-0-body-en]")).to_have_value("Welcome, {{contact.name}}.")
    shot(page, "automations_message_reopened")
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204


def test_a_rule_setting_the_trigger_opportunity_s_probability_is_saved_with_a_number(
        page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("谈判阶段提高概率")
    pick(page, "automation-trigger", "automation-trigger-customers.opportunity_stage_changed")
    pick(page, "automation-action-kind-0", "automation-action-0-kind-set_field")
    pick(page, "automation-action-field-0", "automation-action-0-field-opportunity.probability")
    expect(page.locator("[data-test=automation-action-field-0]")).to_contain_text("商机")
    page.locator("[data-test=automation-action-value-0] input").fill("70")
    page.locator("[data-test=automation-name]").click()  # the number is taken as the input loses focus
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()
    rule = rule_named(api, "谈判阶段提高概率")
    assert rule["actions"] == [{"kind": "set_field", "field": "opportunity.probability", "value": 70}]
    shot(page, "automations_opportunity_field")
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204


def choose_owner_rows(page, i, rows):
    """Fill set_owner action ``i``'s table: one row per (code, user id), a row added after the first."""
    for r, (code, user_id) in enumerate(rows):
        if r:
            page.locator("[data-test=automation-action-%d-table-add]" % i).click()
        pick(page, "automation-action-%d-table-code-%d" % (i, r),
             "automation-action-%d-table-code-%d-%s" % (i, r, code))
        pick(page, "automation-action-%d-table-user-%d" % (i, r),
             "automation-action-%d-table-user-%d-%s" % (i, r, user_id))


def test_a_rule_assigning_by_tables_moving_the_opportunity_and_sending_a_survey_is_saved_and_opened_again(
        page, ui_url, admin_api, make_user, api_for):
    site = create_site(admin_api, "AUTO")
    name, password, _ = make_user(roles=("manager",), sites=[site["id"]])
    api = api_for(ui_url, name, password)
    (east, east_id), (south, south_id) = [make_user(sites=[site["id"]])[::2] for _ in range(2)]
    survey = api.post("/surveys", {"title": "交货满意度", "site_id": site["id"],
                                   "questions": [{"kind": "rating", "text": "请为本次交货打分"}]})
    assert survey.status_code == 201, survey.text
    survey = survey.json()
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("赢单后分配并发问卷")
    pick(page, "automation-trigger", "automation-trigger-customers.opportunity_stage_changed")

    # a manager without webhooks:admin is not offered call_webhook
    page.locator("[data-test=automation-action-kind-0]").click()
    expect(page.locator("[data-test=automation-action-0-kind-set_owner]")).to_be_visible()
    expect(page.locator("[data-test=automation-action-0-kind-call_webhook]")).to_have_count(0)
    page.locator("[data-test=automation-action-0-kind-set_owner]").click()
    page.locator("[data-test=automation-action-0-assign-by-region]").click()
    choose_owner_rows(page, 0, [("320000", east_id), ("440000", south_id)])
    page.locator("[data-test=automation-action-add]").click()
    pick(page, "automation-action-kind-1", "automation-action-1-kind-set_owner")
    page.locator("[data-test=automation-action-1-assign-by-industry]").click()
    choose_owner_rows(page, 1, [("C36", east_id), ("F51", south_id)])
    page.locator("[data-test=automation-action-add]").click()
    pick(page, "automation-action-kind-2", "automation-action-2-kind-move_opportunity")
    pick(page, "automation-action-stage-2", "automation-action-2-stage-won")
    page.locator("[data-test=automation-action-add]").click()
    pick(page, "automation-action-kind-3", "automation-action-3-kind-send_survey")
    pick(page, "automation-action-survey-3", "automation-action-3-survey-%s" % survey["id"])
    pick(page, "automation-action-contacts-3", "automation-action-3-contacts-all")
    shot(page, "automations_tables_stage_survey")
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()

    rule = rule_named(api, "赢单后分配并发问卷")
    saved = [{"kind": "set_owner", "assign_by": "region", "table": {"320000": east_id, "440000": south_id}},
             {"kind": "set_owner", "assign_by": "industry", "table": {"C36": east_id, "F51": south_id}},
             {"kind": "move_opportunity", "stage": "won"},
             {"kind": "send_survey", "survey_id": survey["id"], "contacts": "all"}]
    assert rule["actions"] == saved

    # opened again, every input shows what was saved, and saving it keeps it so
    page.locator("[data-test=automation-edit-%s]" % rule["id"]).click()
    for i, by in ((0, "region"), (1, "industry")):
        expect(page.locator("[data-test=automation-action-%d-assign-by-%s]" % (i, by))).to_have_class(
            re.compile("is-active"))
    shown = {"automation-action-0-table-code-0": "江苏", "automation-action-0-table-code-1": "广东",
             "automation-action-1-table-code-0": "C36", "automation-action-1-table-code-1": "F51",
             "automation-action-0-table-user-0": east, "automation-action-0-table-user-1": south,
             "automation-action-1-table-user-0": east, "automation-action-1-table-user-1": south,
             "automation-action-stage-2": "赢单", "automation-action-survey-3": "交货满意度",
             "automation-action-contacts-3": "所有联系人"}
    for test, text in shown.items():
        expect(page.locator("[data-test=%s]" % test)).to_contain_text(text)
    expect(page.locator("[data-test=automation-action-0] .table-row")).to_have_count(2)
    shot(page, "automations_tables_stage_survey_reopened")
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success", has_text="已保存").wait_for()
    assert api.get("/automations/%s" % rule["id"]).json()["actions"] == saved
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204


def test_a_site_admin_s_rule_calling_a_webhook_is_saved_and_opened_again(page, ui_url, admin_api, make_user, api_for):
    site = create_site(admin_api, "AUTO")
    name, password, user_id = make_user(roles=("admin",), sites=[site["id"]])
    revoked = admin_api.put("/users/%s/permissions" % user_id, {"grants": [], "revocations": ["sites:all"]})
    assert revoked.status_code == 200, revoked.text
    api = api_for(ui_url, name, password)
    hook = api.post("/webhooks", {"url": "http://127.0.0.1:9/crm", "event_types": ["customers.*"],
                                  "site_id": site["id"], "description": "订单系统"})
    assert hook.status_code == 201, hook.text
    hook = hook.json()
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-create]").click()
    page.locator("[data-test=automation-name]").fill("新客户同步到订单系统")
    pick(page, "automation-action-kind-0", "automation-action-0-kind-call_webhook")
    pick(page, "automation-action-webhook-0", "automation-action-0-webhook-%s" % hook["id"])
    page.locator("[data-test=automation-save]").click()
    page.locator(".el-message--success").wait_for()

    rule = rule_named(api, "新客户同步到订单系统")
    assert rule["actions"] == [{"kind": "call_webhook", "webhook_id": hook["id"]}]
    page.locator("[data-test=automation-edit-%s]" % rule["id"]).click()
    expect(page.locator("[data-test=automation-action-kind-0]")).to_contain_text("Webhook")
    expect(page.locator("[data-test=automation-action-webhook-0]")).to_contain_text("订单系统 · http://127.0.0.1:9/crm")
    shot(page, "automations_webhook_reopened")
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204
    assert api.delete("/webhooks/%s" % hook["id"]).status_code == 204


def test_the_first_order_template_is_enabled_with_a_survey_chosen_in_the_gallery(
        page, ui_url, admin_api, make_user, api_for):
    name, password, api = manager_at_a_new_site(admin_api, make_user, api_for, ui_url)
    site_id = api.get("/me").json()["sites"][0]
    survey = api.post("/surveys", {"title": "首单满意度", "language": "zh-CN", "site_id": site_id,
                                   "questions": [{"kind": "rating", "text": "满意吗？"}]})
    assert survey.status_code == 201, survey.text
    sign_in(page, ui_url, name, password)
    page.goto(ui_url + "/admin/automations")
    page.locator("[data-test=automation-templates]").click()
    card = page.locator("[data-test=template-survey_after_first_order]")
    card.locator("[data-test=template-enable-survey_after_first_order]").click()
    expect(card.locator("[data-test=template-error-survey_after_first_order]")).to_contain_text("调查")
    pick(page, "template-survey-survey_after_first_order", "template-survey-option-%s" % survey.json()["id"])
    card.locator("[data-test=template-enable-survey_after_first_order]").click()
    page.locator(".el-message--success").wait_for()
    rule = next(r for r in api.get("/automations").json()["items"] if r["template"] == "survey_after_first_order")
    assert rule["actions"] == [{"kind": "wait", "days": 14},
                               {"kind": "send_survey", "contacts": "primary", "survey_id": survey.json()["id"]}]
    shot(page, "automations_template_survey")
    assert api.delete("/automations/%s" % rule["id"]).status_code == 204
