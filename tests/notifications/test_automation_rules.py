"""The rules of automation rules: conditions, placeholders, the loop depth, templates, when a date or
schedule trigger fires."""
import datetime
import zoneinfo

import pytest

from services.common.errors import ValidationFailed
from services.common.schemas import load
from services.customers import contract as customers
from services.feedback import contract as feedback
from services.notifications import automation_actions, automation_clock, automation_rules as rules, contract, occasions

CUSTOMER = {"legal_name": "Acme Gears", "tags": ["oem", "export"], "tier": {"level": "vip"}, "employees": 120,
            "notes": None, "customer_since": "2019-03-01"}


@pytest.mark.parametrize("op, actual, value, expected", [
    ("eq", "vip", "vip", True), ("eq", "vip", "key", False), ("ne", "vip", "key", True),
    ("eq", ["oem", "export"], "oem", True), ("ne", ["oem"], "oem", False),
    ("in", "vip", ["vip", "key"], True), ("in", "general", ["vip", "key"], False),
    ("in", ["oem", "x"], ["oem"], True), ("in", [], ["oem"], False),
    ("gt", 120, 100, True), ("gt", 120, 120, False), ("lt", "2019-03-01", "2020-01-01", True),
    ("gt", "120", 100, False), ("gt", None, 1, False), ("lt", True, 2, False),
    ("contains", "Acme Gears", "gear", True), ("contains", ["oem"], "oem", True), ("contains", 5, "5", False),
    ("is_empty", None, None, True), ("is_empty", "", None, True), ("is_empty", [], None, True),
    ("is_empty", "x", None, False), ("is_not_empty", ["x"], None, True), ("eq", None, None, True),
])
def test_each_operator(op, actual, value, expected):
    assert rules.met(op, actual, value) is expected


def test_conditions_read_the_event_and_the_customer_by_dotted_paths():
    conditions = [{"field": "event.new_tier", "op": "eq", "value": "vip"},
                  {"field": "customer.tier.level", "op": "eq", "value": "vip"},
                  {"field": "customer.tier.level.deeper", "op": "is_empty", "value": None},
                  {"field": "customer.missing", "op": "eq", "value": "x"}]
    found = rules.outcomes(conditions, {"new_tier": "vip"}, CUSTOMER)
    assert [(outcome["actual"], outcome["met"]) for outcome in found] == [
        ("vip", True), ("vip", True), (None, True), (None, False)]
    assert rules.event_conditions(conditions) == conditions[:1]


def test_placeholders_are_filled_with_values_and_nothing_else():
    text = "Call {{customer.legal_name}} ({{ customer.tags }}) about {{event.number}}{{customer.nothing}} {{x.y}}"
    assert rules.fill(text, {"number": "SO-1"}, CUSTOMER) == "Call Acme Gears (oem, export) about SO-1 {{x.y}}"
    assert rules.fill("{{customer.tier}}", {}, CUSTOMER) == ""
    assert rules.fill("{{customer.__class__}}", {}, CUSTOMER) == "{{customer.__class__}}"
    assert rules.fill(None, {}, CUSTOMER) is None
    assert rules.needs_customer({"conditions": [], "actions": [{"kind": "notify", "title": "{{customer.legal_name}}"}]})
    assert not rules.needs_customer({"conditions": [{"field": "event.x", "op": "is_empty"}],
                                     "actions": [{"kind": "add_tag", "tag": "x"}]})


def test_the_depth_of_an_event_comes_from_the_request_id_its_cause_carried():
    assert rules.depth_of({"request_id": None}) == 0
    assert rules.depth_of({"request_id": "4f1c2a"}) == 0
    run_id = "a" * 32
    assert rules.depth_of({"request_id": rules.request_id_for(0, run_id)}) == 1
    assert rules.depth_of({"request_id": rules.request_id_for(2, run_id)}) == 3 == rules.MAX_DEPTH
    assert rules.depth_of({"request_id": "automation.x.y"}) == rules.MAX_DEPTH


def test_round_robin_takes_each_user_in_turn():
    assert [rules.in_turn(["a", "b", "c"], n) for n in range(5)] == ["a", "b", "c", "a", "b"]
    assert rules.in_turn([], 3) is None


def test_every_trigger_is_an_event_of_the_catalogues_that_names_a_customer():
    published = dict(customers.CATALOGUE.types, **feedback.CATALOGUE.types)
    for event_type in contract.AUTOMATION_TRIGGERS:
        assert "customer_id" in published[event_type], event_type


def test_every_template_is_a_valid_rule_of_the_catalogue():
    assert tuple(rules.TEMPLATES) == contract.AUTOMATION_TEMPLATES
    for key, template in rules.TEMPLATES.items():
        # a survey is the site's own, chosen as the template is enabled
        actions = [dict(a, survey_id="survey-1") if a["kind"] == "send_survey" else a for a in template["actions"]]
        loaded = load(contract.AutomationCreateSchema(), dict(template, name=key, actions=actions))
        trigger = loaded["trigger"]
        assert trigger.get("event_type") in contract.AUTOMATION_TRIGGERS or trigger["kind"] == "date"
        assert loaded["actions"][-1]["kind"] != "wait"


@pytest.mark.parametrize("action, field", [
    ({"kind": "create_followup"}, "title"), ({"kind": "add_tag"}, "tag"), ({"kind": "wait"}, "days"),
    ({"kind": "create_followup", "title": "x", "assignee": "users"}, "user_ids"),
    ({"kind": "notify", "title": "x", "recipients": "users"}, "user_ids"),
    ({"kind": "set_field", "field": "owner_id", "value": "u1"}, "field"),
    ({"kind": "notify", "title": "x" * 201}, "title"),
])
def test_an_action_missing_what_its_kind_needs_is_refused_on_that_field(action, field):
    with pytest.raises(ValidationFailed) as refused:
        load(contract.AutomationCreateSchema(), {"name": "x", "trigger": {"event_type": "customers.customer_created"},
                                                 "actions": [action]})
    assert field in str(refused.value.fields)


def test_the_dates_a_rule_can_wait_for_are_those_the_customers_service_answers():
    assert contract.AUTOMATION_DATES == customers.DATE_KINDS


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("trigger, after, expected", [
    ({"kind": "schedule", "cron": "0 9 * * 1"}, "2026-12-06T12:00:00+00:00", "2026-12-07T01:00:00+00:00"),
    ({"kind": "schedule", "cron": "*/15 * * * *"}, "2026-12-06T12:07:00+00:00", "2026-12-06T12:15:00+00:00"),
    ({"kind": "date", "date": "contact_birthday"}, "2026-12-06T12:00:00+00:00", "2026-12-07T00:00:00+00:00"),
    ({"kind": "date", "date": "contact_birthday", "hour": 22}, "2026-12-06T12:00:00+00:00",
     "2026-12-06T14:00:00+00:00"),
    ({"kind": "date", "date": "contact_birthday", "hour": 8}, "2026-12-07T00:00:00+00:00",
     "2026-12-08T00:00:00+00:00"),
    ({"kind": "event", "event_type": "customers.customer_created"}, "2026-12-06T12:00:00+00:00", None),
])
def test_a_date_or_schedule_trigger_fires_next_in_the_sites_time_zone(trigger, after, expected):
    found = automation_clock.next_fire(trigger, SHANGHAI, datetime.datetime.fromisoformat(after))
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize("trigger, field", [
    ({"kind": "schedule"}, "cron"), ({"kind": "schedule", "cron": "61 * * * *"}, "cron"),
    ({"kind": "date"}, "date"), ({"kind": "date", "date": "days_after_last_order"}, "days"),
    ({}, "event_type"), ({"kind": "date", "date": "contact_birthday", "hour": 24}, "hour"),
])
def test_a_trigger_missing_what_its_kind_needs_is_refused_on_that_field(trigger, field):
    with pytest.raises(ValidationFailed) as refused:
        load(contract.AutomationCreateSchema(), {"name": "x", "trigger": trigger,
                                                 "actions": [{"kind": "add_tag", "tag": "x"}]})
    assert field in str(refused.value.fields)


def test_the_occasions_are_chinas_public_holidays_lunar_ones_included():
    assert tuple(occasions.NAMES) == contract.CAMPAIGN_OCCASIONS
    found = occasions.dates(2027)
    assert found == {"new_year": datetime.date(2027, 1, 1), "spring_festival": datetime.date(2027, 2, 6),
                     "qingming": datetime.date(2027, 4, 5), "labour_day": datetime.date(2027, 5, 1),
                     "dragon_boat": datetime.date(2027, 6, 9), "mid_autumn": datetime.date(2027, 9, 15),
                     "national_day": datetime.date(2027, 10, 1)}
    assert occasions.next_date("spring_festival", datetime.date(2027, 2, 7)) == datetime.date(2028, 1, 26)
    soon = occasions.upcoming(datetime.date(2026, 12, 6))
    assert [item["occasion"] for item in soon][:2] == ["new_year", "spring_festival"]
    assert all(item["date"] >= datetime.date(2026, 12, 6) for item in soon)


def test_the_stages_an_opportunity_can_be_moved_to_are_the_customers_services():
    assert contract.OPPORTUNITY_STAGES == customers.STAGES


def test_an_owner_is_placed_by_province_or_industry_else_none():
    by_region = {"assign_by": "region", "table": {"320000": "u-js", "310000": "u-sh"}}
    by_industry = {"assign_by": "industry", "table": {"C36": "u-auto", "C": "u-make"}}
    jiangsu = {"addresses": [{"province_code": None}, {"province_code": "320000"}], "industry_code": "C34"}
    assert automation_actions.placed_by(by_region, jiangsu) == "u-js"
    assert automation_actions.placed_by(by_region, {"addresses": [{"province_code": "440000"}]}) is None
    assert automation_actions.placed_by(by_industry, jiangsu) == "u-make"
    assert automation_actions.placed_by(by_industry, {"industry_code": "C36"}) == "u-auto"
    assert automation_actions.placed_by(by_industry, {"industry_code": None}) is None
    assert automation_actions.placed_by({"kind": "set_owner"}, jiangsu) is None
