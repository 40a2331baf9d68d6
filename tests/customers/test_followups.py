"""Follow-up cadence and contract notices as plain functions."""
import datetime

from services.customers import followups, settings

CADENCE = settings.DEFAULTS["followup_days"]
CREATED = datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.timezone.utc)


def test_cadence_runs_from_the_last_interaction_or_creation():
    due, task, reason = followups.next_followup("vip", CADENCE, None, CREATED, None)
    assert (due, task) == ("2026-01-31", None)
    assert reason == "VIP-tier cadence: 30 days after the customer created on 2026-01-01"
    seen = datetime.datetime(2026, 3, 1, 23, tzinfo=datetime.timezone.utc)
    assert followups.next_followup("key", CADENCE, seen, CREATED, None)[0] == "2026-04-30"
    assert followups.next_followup("general", CADENCE, seen, CREATED, None)[0] == "2026-05-30"


def test_an_earlier_open_task_sets_the_date():
    task = {"_id": "f1", "due_date": "2026-01-10", "title": "Call about the renewal"}
    assert followups.next_followup("general", CADENCE, None, CREATED, task) == (
        "2026-01-10", "f1", "Follow-up task due: Call about the renewal")
    late = dict(task, due_date="2026-12-01")
    assert followups.next_followup("general", CADENCE, None, CREATED, late)[1] is None


def test_contract_notices_at_30_and_7_days_each_once():
    today = datetime.date(2026, 6, 1)
    order = {"contract_end_date": "2026-07-01"}
    assert followups.contract_notice(order, today, set()) == (30, ["2026-07-01:30"])
    assert followups.contract_notice(order, today, {"2026-07-01:30"}) is None
    assert followups.contract_notice(dict(order, contract_end_date="2026-07-02"), today, set()) is None
    soon = {"contract_end_date": "2026-06-06"}
    assert followups.contract_notice(soon, today, {"2026-06-06:30"}) == (5, ["2026-06-06:30", "2026-06-06:7"])
    assert followups.contract_notice(soon, today, {"2026-06-06:30", "2026-06-06:7"}) is None
    assert followups.contract_notice({"contract_end_date": "2026-05-31"}, today, set()) is None
    assert followups.contract_notice({"contract_end_date": None}, today, set()) is None


def test_a_new_contract_end_date_is_announced_again():
    today = datetime.date(2026, 6, 1)
    renewed = {"contract_end_date": "2026-06-20"}
    assert followups.contract_notice(renewed, today, {"2026-06-05:30", "2026-06-05:7"}) == (19, ["2026-06-20:30"])
