"""Automation rules through the gateway, on the real broker and database servers: triggers,
conditions on the event and the customer, each action, the run log, the loop limit, a delayed step
across a restart, templates, and who may see and set rules (issue: automation rules)."""
import datetime
import re
import time
import types
import uuid
import zoneinfo

import pytest
import requests

from tests.e2e.test_identity import create_user, signed_in
from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site
from tests.support.servers import service_database

RUN_WAIT = 40
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def crew(stack, admin_api):
    """Sites A and B; a manager and two sales users in A, a manager in B, all signed in."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {name: create_user(admin_api, [site["id"]], [role]) for name, site, role in (
        ("manager_a", site_a, "manager"), ("sales_a", site_a, "sales"), ("sales_a2", site_a, "sales"),
        ("manager_b", site_b, "manager"))}
    return types.SimpleNamespace(site_a=site_a, site_b=site_b, users=users,
                                 **{name: signed_in(stack, user) for name, user in users.items()})


def create_rule(api, expected=201, **body):
    response = api.post("/automations", body)
    assert response.status_code == expected, response.text
    return response.json()


def runs(api, rule_id, **params):
    """The rule's runs; none while the notifications service is restarting (503)."""
    response = api.get("/automations/%s/runs" % rule_id, params=params)
    if response.status_code == 503:
        return []
    assert response.status_code == 200, response.text
    return response.json()["items"]


def finished_runs(api, rule_id, count, timeout=RUN_WAIT):
    return eventually(lambda: runs(api, rule_id), lambda items: len(items) >= count and all(
        run["status"] not in ("due", "waiting") for run in items), timeout=timeout)


def test_a_trade_show_customer_is_tagged_given_a_follow_up_and_its_owner_told(crew):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Trade show leads",
                       trigger={"event_type": "customers.customer_created"},
                       conditions=[{"field": "customer.source_channel", "op": "eq", "value": "exhibition"}],
                       actions=[{"kind": "add_tag", "tag": "trade-show"},
                                {"kind": "create_followup", "title": "Call {{customer.legal_name}}", "due_in_days": 2},
                                {"kind": "notify", "title": "New lead {{event.legal_name}}", "body": "From the fair."}])
    assert rule["owner_id"] == crew.users["manager_a"]["id"] and rule["version"] == 1
    assert "sealed_grant" not in rule and "grant" not in str(rule)
    lead = create_customer(crew.sales_a, source_channel="exhibition")
    other = create_customer(crew.sales_a, source_channel="referral")
    done = {run["customer_id"]: run for run in finished_runs(crew.manager_a, rule["id"], 2)}
    assert done[lead["id"]]["status"] == "succeeded", done[lead["id"]]
    assert [step["status"] for step in done[lead["id"]]["steps"]] == ["done", "done", "done"]
    assert done[other["id"]]["status"] == "skipped" and "customer.source_channel" in done[other["id"]]["error"]
    assert done[other["id"]]["steps"] == []

    customer = crew.sales_a.get("/customers/%s" % lead["id"]).json()
    assert "trade-show" in customer["tags"]
    followups = crew.sales_a.get("/customers/%s/followups" % lead["id"]).json()["items"]
    assert [(f["title"], f["assignee_id"], f["due_date"]) for f in followups] == [
        ("Call %s" % lead["legal_name"], crew.users["sales_a"]["id"],
         (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=2)).isoformat())]
    inbox = eventually(lambda: crew.sales_a.get("/notifications").json()["items"],
                       lambda items: any(item["kind"] == "automation" for item in items))
    told = [item for item in inbox if item["kind"] == "automation"]
    assert told[0]["title"] == "New lead %s" % lead["legal_name"] and told[0]["link"] == "/customers/%s" % lead["id"]
    assert crew.sales_a.get("/customers/%s" % other["id"]).json()["tags"] == []

    audit = crew.manager_a.get("/audit", params={"entity_type": "automation_rule", "entity_id": rule["id"]}).json()
    entries = eventually(lambda: crew.manager_a.get("/audit", params={
        "entity_type": "automation_rule", "entity_id": rule["id"]}).json()["items"], lambda items: len(items) == 1)
    assert entries[0]["action"] == "created" and "grant" not in str(entries[0]) and audit is not None


def test_each_trigger_runs_a_rule_once_and_the_test_endpoint_writes_nothing(crew, stack):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Tier watch",
                       trigger={"event_type": "customers.customer_updated"},
                       conditions=[{"field": "event.changed_fields", "op": "contains", "value": "notes"}],
                       actions=[{"kind": "add_tag", "tag": "noted"}])
    customer = create_customer(crew.sales_a)
    tried = crew.manager_a.post("/automations/%s/test" % rule["id"], {
        "customer_id": customer["id"], "event": {"changed_fields": ["notes"]}})
    assert tried.status_code == 200, tried.text
    assert tried.json()["would_run"] is True and tried.json()["conditions"][0]["actual"] == ["notes"]
    assert tried.json()["actions"] == [{"kind": "add_tag", "tag": "noted"}]
    assert crew.manager_a.post("/automations/%s/test" % rule["id"], {"customer_id": customer["id"]}).json()[
        "would_run"] is False
    assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["tags"] == []
    assert runs(crew.manager_a, rule["id"]) == []

    updated = crew.sales_a.patch("/customers/%s" % customer["id"], {"notes": "met at the fair",
                                                                    "version": customer["version"]})
    assert updated.status_code == 200, updated.text
    first = finished_runs(crew.manager_a, rule["id"], 1)
    assert [run["status"] for run in first] == ["succeeded"] and first[0]["depth"] == 0
    # the tag's own update is an event at depth 1 whose changed fields hold no notes: no run
    assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["tags"] == ["noted"]
    assert len(runs(crew.manager_a, rule["id"])) == 1


def test_rules_that_trigger_each_other_stop_at_the_loop_limit(crew):
    common = dict(site_id=crew.site_a["id"], trigger={"event_type": "customers.customer_updated"},
                  conditions=[{"field": "customer.legal_name", "op": "contains", "value": "Pingpong"}])
    adding = create_rule(crew.manager_a, name="Add flag", actions=[{"kind": "add_tag", "tag": "flag"}], **common)
    removing = create_rule(crew.manager_a, name="Drop flag", actions=[{"kind": "remove_tag", "tag": "flag"}],
                           **common)
    customer = create_customer(crew.sales_a, legal_name="Pingpong Gears %s" % adding["id"][:6])
    crew.sales_a.patch("/customers/%s" % customer["id"], {"notes": "start", "version": customer["version"]})
    refused = eventually(lambda: runs(crew.manager_a, adding["id"], status="refused") +
                         runs(crew.manager_a, removing["id"], status="refused"), lambda items: len(items) >= 1,
                         timeout=RUN_WAIT)
    assert all(run["depth"] == 3 and "limit" in run["error"] for run in refused)
    # each event starts both rules, and each write may cause more than one event (the customers
    # service's own upkeep of the record carries the request id on): the depth bounds them all
    def state():
        return (crew.sales_a.get("/customers/%s" % customer["id"]).json()["version"],
                runs(crew.manager_a, adding["id"], limit=500) + runs(crew.manager_a, removing["id"], limit=500))

    seen, deadline = state(), time.monotonic() + RUN_WAIT
    while True:  # settled: nothing changes for 3 s, every run finished
        time.sleep(3)
        now = state()
        if now[0] == seen[0] and len(now[1]) == len(seen[1]) and all(
                run["status"] not in ("due", "waiting") for run in now[1]):
            break
        assert time.monotonic() < deadline, "the rules did not stop"
        seen = now
    every = now[1]
    assert len({run["event_id"] for run in every if run["depth"] == 0}) == 1
    assert max(run["depth"] for run in every) == 3 and {run["depth"] for run in every if run["status"] != "refused"} \
        == {0, 1, 2}


def test_a_waiting_step_survives_a_restart_and_goes_on_when_its_day_comes(crew, stack):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Later",
                       trigger={"event_type": "customers.customer_created"},
                       conditions=[{"field": "event.legal_name", "op": "contains", "value": "Patience"}],
                       actions=[{"kind": "wait", "days": 3}, {"kind": "add_tag", "tag": "three-days-on"}])
    customer = create_customer(crew.sales_a, legal_name="Patience Tools %s" % rule["id"][:6])
    waiting = eventually(lambda: runs(crew.manager_a, rule["id"]),
                         lambda items: items and items[0]["status"] == "waiting", timeout=RUN_WAIT)[0]
    resume = datetime.datetime.fromisoformat(waiting["resume_at"].replace("Z", "+00:00"))
    assert datetime.timedelta(days=2, hours=23) < resume - datetime.datetime.now(datetime.timezone.utc)
    assert [step["kind"] for step in waiting["steps"]] == ["wait"]
    stack.kill("notifications")
    try:
        # three days pass while it is down
        service_database(stack.env, "notifications").automation_runs.update_one(
            {"_id": waiting["id"]}, {"$set": {"resume_at": datetime.datetime.now(datetime.timezone.utc)}})
    finally:
        stack.start("notifications")
    done = finished_runs(crew.manager_a, rule["id"], 1, timeout=60)
    assert done[0]["status"] == "succeeded" and [s["kind"] for s in done[0]["steps"]] == ["wait", "add_tag"]
    assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["tags"] == ["three-days-on"]


def test_a_template_in_one_click_assigns_trade_show_customers_in_turn(crew):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], template="trade_show_round_robin",
                       actions=[{"kind": "set_owner", "user_ids": [crew.users["sales_a"]["id"],
                                                                   crew.users["sales_a2"]["id"]]}])
    assert rule["template"] == "trade_show_round_robin" and rule["trigger"]["event_type"] == \
        "customers.customer_created" and rule["name"]
    made = [create_customer(crew.manager_a, source_channel="exhibition") for _ in range(4)]
    finished_runs(crew.manager_a, rule["id"], 4)
    owners = [crew.manager_a.get("/customers/%s" % c["id"]).json()["owner_id"] for c in made]
    assert sorted(owners) == sorted([crew.users["sales_a"]["id"], crew.users["sales_a2"]["id"]] * 2)
    templates = crew.manager_a.get("/automation-templates").json()["items"]
    assert {t["key"] for t in templates} >= {"vip_followup_30_days", "contract_expiry", "critical_complaint_alert",
                                            "churn_risk_follow_up", "survey_after_first_order"}
    assert all(t["name"] and t["description"] for t in templates)
    crew.manager_a.patch("/automations/%s" % rule["id"], {"enabled": False, "version": rule["version"]})


def test_a_rule_whose_owner_left_fails_its_runs_with_the_reason(crew, stack, admin_api):
    owner = create_user(admin_api, [crew.site_a["id"]], ["manager"])
    rule = create_rule(signed_in(stack, owner), site_id=crew.site_a["id"], name="Orphan",
                       trigger={"event_type": "customers.customer_created"},
                       conditions=[{"field": "event.legal_name", "op": "contains", "value": "Orphaned"}],
                       actions=[{"kind": "add_tag", "tag": "never"}])
    disabled = admin_api.patch("/users/%s" % owner["id"], {"status": "disabled", "version": owner["version"]})
    assert disabled.status_code == 200, disabled.text
    customer = create_customer(crew.sales_a, legal_name="Orphaned Castings %s" % rule["id"][:6])
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert done[0]["status"] == "failed" and "no longer an active user" in done[0]["error"]
    assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["tags"] == []


def test_who_may_see_and_set_rules(crew, admin_api):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Private to A",
                       trigger={"event_type": "feedback.feedback_received"},
                       actions=[{"kind": "notify", "recipients": "managers", "title": "Feedback"}])
    assert crew.sales_a.get("/automations").status_code == 403
    assert crew.sales_a.post("/automations", {"site_id": crew.site_a["id"], "template": "contract_expiry"}
                             ).status_code == 403
    assert crew.manager_b.get("/automations/%s" % rule["id"]).status_code == 404
    assert rule["id"] not in [item["id"] for item in crew.manager_b.get("/automations").json()["items"]]
    assert crew.manager_b.patch("/automations/%s" % rule["id"], {"enabled": False, "version": 1}).status_code == 404
    assert crew.manager_b.delete("/automations/%s" % rule["id"]).status_code == 404
    assert crew.manager_b.get("/automations/%s/runs" % rule["id"]).status_code == 404
    outside = crew.manager_a.post("/automations", {"site_id": crew.site_b["id"], "template": "contract_expiry"})
    assert outside.status_code == 422 and "site_id" in outside.json()["error"]["fields"]
    everywhere = crew.manager_a.post("/automations", {"site_id": None, "template": "contract_expiry"})
    assert everywhere.status_code == 422 and "site_id" in everywhere.json()["error"]["fields"]
    stranger = crew.manager_a.post("/automations", {
        "site_id": crew.site_a["id"], "template": "trade_show_round_robin",
        "actions": [{"kind": "set_owner", "user_ids": [crew.users["manager_b"]["id"]]}]})
    assert stranger.status_code == 422 and "actions.0.user_ids" in stranger.json()["error"]["fields"], stranger.text
    customer_b = create_customer(crew.manager_b)
    assert crew.manager_a.post("/automations/%s/test" % rule["id"], {"customer_id": customer_b["id"]}
                               ).status_code == 404
    assert admin_api.get("/automations/%s" % rule["id"]).status_code == 200
    stale = crew.manager_a.patch("/automations/%s" % rule["id"], {"name": "Renamed", "version": 0})
    assert stale.status_code == 409
    assert crew.manager_a.delete("/automations/%s" % rule["id"]).status_code == 204
    assert crew.manager_a.get("/automations/%s" % rule["id"]).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"trigger": {"event_type": "customers.audit"}}, "trigger"),
    ({"actions": [{"kind": "create_followup"}]}, "actions"),
    ({"actions": [{"kind": "notify", "title": "x"}, {"kind": "wait", "days": 2}]}, "actions"),
    ({"conditions": [{"field": "customer.__class__", "op": "eq", "value": 1}]}, "conditions"),
    ({"conditions": [{"field": "event.level", "op": "in", "value": "high"}]}, "conditions"),
    ({"conditions": [{"field": "event.level", "op": "eq", "value": {"$gt": ""}}]}, "conditions"),
    ({"actions": [{"kind": "wait", "days": 0}, {"kind": "notify", "title": "x"}]}, "actions"),
    ({"name": ""}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_rule_is_422_naming_the_field(crew, body, field):
    base = {"site_id": crew.site_a["id"], "name": "Bad", "trigger": {"event_type": "customers.customer_created"},
            "actions": [{"kind": "add_tag", "tag": "x"}]}
    response = crew.manager_a.post("/automations", dict(base, **body))
    assert response.status_code == 422, response.text
    assert any(name == field or name.startswith(field + ".") for name in response.json()["error"]["fields"]), \
        response.text


def move_clock_to_next_fire(stack, rule_id):
    """The clock moved to the rule's next time: its ``next_fire_at`` is now."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    service_database(stack.env, "notifications").automation_rules.update_one(
        {"_id": rule_id}, {"$set": {"next_fire_at": now}})
    return now


def test_a_birthday_rule_fires_on_the_contacts_birthday_once(crew, stack):
    today = datetime.datetime.now(SHANGHAI).date()
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Birthdays",
                       trigger={"kind": "date", "date": "contact_birthday", "hour": 8},
                       actions=[{"kind": "add_tag", "tag": "birthday-%s" % today.isoformat()},
                                {"kind": "notify", "title": "Birthday at {{customer.legal_name}}"}])
    fires = datetime.datetime.fromisoformat(rule["next_fire_at"].replace("Z", "+00:00"))
    assert fires > datetime.datetime.now(datetime.timezone.utc) and fires.astimezone(SHANGHAI).hour == 8
    celebrating, other = create_customer(crew.sales_a), create_customer(crew.sales_a)
    add_part(crew.sales_a, celebrating["id"], "contacts", {"name": "Wang Fang", "birthday": "1985-%s" % today.strftime(
        "%m-%d")})
    add_part(crew.sales_a, other["id"], "contacts", {"name": "Li Lei", "birthday": "1985-%s" % (
        today + datetime.timedelta(days=1)).strftime("%m-%d")})
    moved_to = move_clock_to_next_fire(stack, rule["id"])
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert [(run["customer_id"], run["status"], run["event_type"]) for run in done] == [
        (celebrating["id"], "succeeded", "date.contact_birthday")]
    assert crew.sales_a.get("/customers/%s" % celebrating["id"]).json()["tags"] == ["birthday-%s" % today]
    assert crew.sales_a.get("/customers/%s" % other["id"]).json()["tags"] == []
    moved = eventually(lambda: crew.manager_a.get("/automations/%s" % rule["id"]).json()["next_fire_at"],
                       lambda at: at and datetime.datetime.fromisoformat(at.replace("Z", "+00:00")) > moved_to)
    assert datetime.datetime.fromisoformat(moved.replace("Z", "+00:00")).astimezone(SHANGHAI).hour == 8
    # the same day fired again (a crash before it moved on) runs nothing twice
    service_database(stack.env, "notifications").automation_rules.update_one(
        {"_id": rule["id"]}, {"$set": {"next_fire_at": datetime.datetime.now(datetime.timezone.utc)}})
    eventually(lambda: crew.manager_a.get("/automations/%s" % rule["id"]).json()["next_fire_at"],
               lambda at: at == moved)
    assert [run["id"] for run in runs(crew.manager_a, rule["id"])] == [done[0]["id"]]


def test_a_schedule_rule_tells_the_managers_at_its_times(crew, stack):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Weekly review",
                       trigger={"kind": "schedule", "cron": "0 9 * * 1"},
                       actions=[{"kind": "notify", "recipients": "managers", "title": "Weekly pipeline review"}])
    fires = datetime.datetime.fromisoformat(rule["next_fire_at"].replace("Z", "+00:00")).astimezone(SHANGHAI)
    assert (fires.weekday(), fires.hour, fires.minute) == (0, 9, 0)
    move_clock_to_next_fire(stack, rule["id"])
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert done[0]["status"] == "succeeded" and done[0]["customer_id"] is None and done[0]["event_type"] == "schedule"
    inbox = eventually(lambda: crew.manager_a.get("/notifications").json()["items"],
                       lambda items: any(item["title"] == "Weekly pipeline review" for item in items))
    assert [item["link"] for item in inbox if item["title"] == "Weekly pipeline review"] == [None]
    refused = crew.manager_a.post("/automations", {
        "site_id": crew.site_a["id"], "name": "No record", "trigger": {"kind": "schedule", "cron": "0 9 * * *"},
        "actions": [{"kind": "add_tag", "tag": "x"}]})
    assert refused.status_code == 422 and "actions.0.kind" in refused.json()["error"]["fields"]
    assert crew.manager_a.post("/automations", {
        "site_id": crew.site_a["id"], "name": "Bad cron", "trigger": {"kind": "schedule", "cron": "every monday"},
        "actions": [{"kind": "notify", "recipients": "managers", "title": "x"}]}).status_code == 422


def test_birthday_wishes_reach_the_contact_and_not_one_who_opted_out(crew, stack, smtp_server):
    today = datetime.datetime.now(SHANGHAI).date()
    tag = uuid.uuid4().hex[:8]
    people = []
    for n in range(2):
        customer = create_customer(crew.sales_a)
        address = "birthday%d.%s@care.test" % (n, tag)
        add_part(crew.sales_a, customer["id"], "contacts", {
            "name": "Birthday %d" % n, "email": address, "birthday": "1990-%s" % today.strftime("%m-%d")})
        people.append(address)

    def fire_template():
        rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], template="birthday_wishes")
        assert rule["trigger"] == {"kind": "date", "date": "contact_birthday", "hour": 9}
        move_clock_to_next_fire(stack, rule["id"])
        return [run for run in finished_runs(crew.manager_a, rule["id"], 1) if run["customer_id"]]

    first = fire_template()
    assert len(first) >= 2 and all(run["status"] == "succeeded" for run in first)
    mails = [eventually(lambda: smtp_server.to(address), lambda found: len(found) == 1, timeout=30)[0]
             for address in people]
    assert all("Birthday" in mail.get_body(("plain",)).get_content() for mail in mails)
    assert "生日快乐" in mails[0]["Subject"]
    link = re.search(r"http://crm\.test(/u/[A-Za-z0-9.]+)", mails[1].get_body(("plain",)).get_content()).group(1)
    assert requests.post(stack.url + link).json()["opted_out"] is True

    fire_template()
    eventually(lambda: smtp_server.to(people[0]), lambda found: len(found) == 2, timeout=30)
    time.sleep(2)
    assert len(smtp_server.to(people[1])) == 1


def test_the_first_order_template_sends_the_chosen_survey_two_weeks_later(crew, stack, smtp_server):
    refused = crew.manager_a.post("/automations", {"template": "survey_after_first_order",
                                                   "site_id": crew.site_a["id"]})
    assert refused.status_code == 422 and "actions.1.survey_id" in refused.json()["error"]["fields"], refused.text
    survey = crew.manager_a.post("/surveys", {"title": "Your first order", "language": "en",
                                              "site_id": crew.site_a["id"],
                                              "questions": [{"kind": "rating", "text": "How was it?"}]})
    assert survey.status_code == 201, survey.text
    template = next(t for t in crew.manager_a.get("/automation-templates").json()["items"]
                    if t["key"] == "survey_after_first_order")
    actions = [dict(a, survey_id=survey.json()["id"]) if a["kind"] == "send_survey" else a
               for a in template["actions"]]
    tag = uuid.uuid4().hex[:8]
    rule = create_rule(crew.manager_a, template="survey_after_first_order", site_id=crew.site_a["id"],
                       actions=actions, conditions=template["conditions"] + [
                           {"field": "event.number", "op": "contains", "value": tag}])
    customer = create_customer(crew.sales_a)
    address = "first.%s@care.test" % tag
    add_part(crew.sales_a, customer["id"], "contacts", {"name": "Buyer", "email": address, "primary": True})
    add_part(crew.manager_a, customer["id"], "orders", {"number": "SO-%s" % tag, "order_date": "2026-11-20",
                                                        "lines": [{"product": "Gear", "quantity": 1, "amount": 900}]})
    waiting = eventually(lambda: runs(crew.manager_a, rule["id"]),
                         lambda items: items and items[0]["status"] == "waiting", timeout=RUN_WAIT)[0]
    service_database(stack.env, "notifications").automation_runs.update_one(
        {"_id": waiting["id"]}, {"$set": {"resume_at": datetime.datetime.now(datetime.timezone.utc)}})
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert done[0]["status"] == "succeeded" and "survey sent to 1" in done[0]["steps"][1]["result"], done
    [mail] = eventually(lambda: smtp_server.to(address), lambda found: len(found) == 1, timeout=30)
    assert "/s/" in mail.get_body(("plain",)).get_content()


def test_a_rule_naming_another_site_s_survey_sends_nothing_and_says_why(crew, smtp_server):
    """The acting token is the owner's at the rule's site: a survey of site B is no survey to it."""
    survey = crew.manager_b.post("/surveys", {"title": "Plant B survey", "language": "en",
                                              "site_id": crew.site_b["id"],
                                              "questions": [{"kind": "rating", "text": "How was it?"}]})
    assert survey.status_code == 201, survey.text
    tag = uuid.uuid4().hex[:8]
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Borrowed survey %s" % tag,
                       trigger={"event_type": "customers.customer_updated"},
                       conditions=[{"field": "event.legal_name", "op": "contains", "value": tag}],
                       actions=[{"kind": "send_survey", "survey_id": survey.json()["id"]}])
    customer = create_customer(crew.sales_a, legal_name="Borrow Tools %s" % tag)
    address = "borrow.%s@care.test" % tag
    add_part(crew.sales_a, customer["id"], "contacts", {"name": "Buyer", "email": address, "primary": True})
    changed = crew.sales_a.patch("/customers/%s" % customer["id"], {"notes": "Asked for a survey",
                                                                     "version": customer["version"]})
    assert changed.status_code == 200, changed.text
    done = finished_runs(crew.manager_a, rule["id"], 1)
    assert done[0]["status"] == "failed" and done[0]["steps"][0]["status"] == "failed", done
    assert "survey" in done[0]["steps"][0]["error"].lower()
    time.sleep(2)
    assert smtp_server.to(address) == []


def test_a_won_opportunity_moves_on_and_its_customer_gets_the_survey(crew, smtp_server):
    survey = crew.manager_a.post("/surveys", {"title": "After the deal", "language": "en",
                                              "site_id": crew.site_a["id"],
                                              "questions": [{"kind": "rating", "text": "How was it?"}]})
    assert survey.status_code == 201, survey.text
    tag = uuid.uuid4().hex[:8]
    create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Proposal to negotiation %s" % tag,
                trigger={"event_type": "customers.opportunity_stage_changed"},
                conditions=[{"field": "event.new_stage", "op": "eq", "value": "proposal"},
                            {"field": "event.title", "op": "contains", "value": tag}],
                actions=[{"kind": "move_opportunity", "stage": "negotiation"},
                         {"kind": "set_field", "field": "opportunity.probability", "value": 70},
                         {"kind": "set_field", "field": "opportunity.expected_close_date", "value": "2027-02-28"}])
    surveying = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Survey on a win %s" % tag,
                            trigger={"event_type": "customers.opportunity_stage_changed"},
                            conditions=[{"field": "event.new_stage", "op": "eq", "value": "won"},
                                        {"field": "event.title", "op": "contains", "value": tag}],
                            actions=[{"kind": "send_survey", "survey_id": survey.json()["id"]}])
    customer = create_customer(crew.sales_a)
    address = "buyer.%s@care.test" % tag
    add_part(crew.sales_a, customer["id"], "contacts", {"name": "Buyer", "email": address, "primary": True})
    opportunity = add_part(crew.sales_a, customer["id"], "opportunities", {
        "title": "Line %s" % tag, "expected_amount": 90000, "expected_close_date": "2027-03-31"})
    path = "/customers/%s/opportunities/%s" % (customer["id"], opportunity["id"])
    assert crew.sales_a.patch(path, {"stage": "proposal", "version": opportunity["version"]}).status_code == 200
    moved = eventually(lambda: crew.sales_a.get("/customers/%s/opportunities" % customer["id"]).json()["items"][0],
                       lambda o: o["stage"] == "negotiation" and o.get("probability") == 70
                       and o.get("expected_close_date") == "2027-02-28", timeout=RUN_WAIT)
    assert crew.sales_a.patch(path, {"stage": "won", "version": moved["version"]}).status_code == 200
    done = finished_runs(crew.manager_a, surveying["id"], 1)
    assert done[0]["status"] == "succeeded" and "survey sent to 1" in done[0]["steps"][0]["result"]
    [mail] = eventually(lambda: smtp_server.to(address), lambda found: len(found) == 1, timeout=30)
    assert "/s/" in mail.get_body(("plain",)).get_content()


def test_a_rule_sets_a_field_and_calls_a_webhook_with_a_signed_delivery(crew, admin_api):
    tag = uuid.uuid4().hex[:8]
    with WebhookReceiver() as receiver:
        hook = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_deleted"],
                                            "site_id": crew.site_a["id"]})
        assert hook.status_code == 201, hook.text
        hook = hook.json()
        body = dict(site_id=crew.site_a["id"], name="Dormant lead %s" % tag,
                    trigger={"event_type": "customers.customer_created"},
                    conditions=[{"field": "event.legal_name", "op": "contains", "value": tag}],
                    actions=[{"kind": "set_field", "field": "status", "value": "inactive"},
                             {"kind": "call_webhook", "webhook_id": hook["id"]}])
        refused = crew.manager_a.post("/automations", body)
        assert refused.status_code == 422 and "actions.1.kind" in refused.json()["error"]["fields"]
        rule = create_rule(admin_api, **body)
        customer = create_customer(crew.sales_a, legal_name="Lead %s Castings" % tag)
        done = finished_runs(admin_api, rule["id"], 1)
        assert done[0]["status"] == "succeeded", done
        assert crew.sales_a.get("/customers/%s" % customer["id"]).json()["status"] == "inactive"
        [delivered] = eventually(receiver.events, lambda found: len(found) == 1, timeout=30)
        assert delivered["type"] == "notifications.automation_webhook"
        assert delivered["data"] == {"rule_id": rule["id"], "run_id": done[0]["id"], "customer_id": customer["id"],
                                     "trigger_type": "customers.customer_created",
                                     "trigger_event_id": done[0]["event_id"]}
        assert signature_ok(hook["secret"], receiver.received("notifications.automation_webhook")[0])


def test_the_automation_and_campaign_reports_count_what_the_rules_did(crew):
    rule = create_rule(crew.manager_a, site_id=crew.site_a["id"], name="Counted",
                       trigger={"event_type": "customers.customer_created"},
                       conditions=[{"field": "event.legal_name", "op": "contains", "value": "Counted Co"}],
                       actions=[{"kind": "add_tag", "tag": "counted"}])
    create_customer(crew.sales_a, legal_name="Counted Co %s" % rule["id"][:6])
    finished_runs(crew.manager_a, rule["id"], 1)
    report = crew.manager_a.get("/reports/automations", params={"site_id": crew.site_a["id"]})
    assert report.status_code == 200, report.text
    [row] = [row for row in report.json()["rules"] if row["rule_id"] == rule["id"]]
    assert (row["runs"], row["succeeded"]) == (1, 1) and report.json()["totals"]["runs"] >= 1
    assert crew.manager_a.get("/reports/campaigns").status_code == 200
    assert crew.sales_a.get("/reports/automations").status_code == 403
    assert crew.manager_b.get("/reports/automations", params={"site_id": crew.site_a["id"]}).status_code == 404
