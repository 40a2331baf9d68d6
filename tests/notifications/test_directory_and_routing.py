"""The recipient directory from accounts events, and events routed to the right people (real DB)."""
import datetime

import pytest

from services.common.clock import isoformat, utcnow
from services.common.envelope import make_event
from services.notifications import directory, routing
from tests.notifications.conftest import MANAGER, SALES, customers_event, permissions_event, user_event


def inbox_of(db, user_id):
    return list(db.inbox.find({"user_id": user_id}))


def emails_to(db, address):
    return list(db.emails.find({"to": address}))


def test_the_directory_follows_user_events_in_order_and_erases_deleted_users(db):
    directory.apply(db, user_event("ann", ["s1"], SALES, at="2026-01-01T00:00:01Z"))
    directory.apply(db, user_event("ann", ["s1", "s2"], SALES, "user_updated", language="zh-CN",
                                   email="ann@new.test", at="2026-01-01T00:00:03Z"))
    late = user_event("ann", ["s1"], SALES, "user_updated", email="ann@old.test", at="2026-01-01T00:00:02Z")
    directory.apply(db, late)
    entry = db.directory.find_one({"_id": "ann"})
    assert entry["email"] == "ann@new.test" and entry["sites"] == ["s1", "s2"] and entry["language"] == "zh-CN"

    directory.apply(db, permissions_event("ann", MANAGER, at="2026-01-01T00:00:04Z"))
    assert [u["_id"] for u in directory.managers(db, "s2")] == ["ann"]

    deleted = make_event("accounts.user_deleted", {"user_id": "ann"})
    deleted["occurred_at"] = "2026-01-01T00:00:05Z"
    directory.apply(db, deleted)
    directory.apply(db, user_event("ann", ["s1"], SALES, "user_updated", at="2026-01-01T00:00:09Z"))
    assert db.directory.find_one({"_id": "ann"}) == {"_id": "ann", "status": "deleted",
                                                    "event_at": "2026-01-01T00:00:05Z"}
    assert directory.users(db, ["ann"]) == []


def test_a_user_first_heard_of_through_a_later_partial_event_still_gets_the_older_events_sites(db):
    """``permissions_changed`` carries no sites; when it overtakes ``user_created`` (another queue),
    the creation still gives the entry its sites and username, and takes nothing newer back."""
    directory.apply(db, permissions_event("bo", MANAGER, at="2026-01-01T00:00:02Z"))
    directory.apply(db, user_event("bo", ["s1"], SALES, at="2026-01-01T00:00:01Z"))
    entry = db.directory.find_one({"_id": "bo"})
    assert entry["sites"] == ["s1"] and entry["username"]
    assert entry["event_at"] == "2026-01-01T00:00:02Z" and set(MANAGER) <= set(entry["permissions"])
    assert [u["_id"] for u in directory.managers(db, "s1")] == ["bo"]


def test_managers_hold_reports_read_and_customers_write_on_the_site(db):
    directory.apply(db, user_event("boss", ["s1"], MANAGER))
    directory.apply(db, user_event("other_site_boss", ["s2"], MANAGER))
    directory.apply(db, user_event("seller", ["s1"], SALES))
    directory.apply(db, user_event("gone", ["s1"], MANAGER, status="disabled"))
    assert [u["_id"] for u in directory.managers(db, "s1")] == ["boss"]


def test_followup_due_goes_to_the_owner_inbox_and_mail_in_their_language(db):
    directory.apply(db, user_event("owner1", ["s1"], SALES, language="zh-CN"))
    directory.apply(db, user_event("boss", ["s1"], MANAGER))
    event = customers_event("followup_due", customer_id="c1", legal_name="华东机械有限公司", owner_id="owner1",
                            due_date="2026-03-01", followup_id="f1", reason="VIP cadence")
    assert routing.route(db, event) == 1
    [item] = inbox_of(db, "owner1")
    assert item["kind"] == "followup_due" and "华东机械有限公司" in item["title"] and "回访" in item["title"]
    assert item["link"] == "/customers/c1" and item["event_id"] == event["event_id"] and item["read_at"] is None
    [mail] = emails_to(db, "owner1@factory.test")
    assert mail["subject"] == item["title"] and "http://crm.test/customers/c1" in mail["body"]
    assert inbox_of(db, "boss") == []

    routing.route(db, event)
    assert len(inbox_of(db, "owner1")) == 1 and len(emails_to(db, "owner1@factory.test")) == 1


def test_tier_changes_reach_owner_and_managers_once_each(db):
    directory.apply(db, user_event("owner1", ["s1"], MANAGER, language="zh-CN"))
    directory.apply(db, user_event("boss", ["s1"], MANAGER, language="en"))
    event = customers_event("tier_changed", customer_id="c1", legal_name="Acme", owner_id="owner1", old_tier="key",
                            new_tier="vip", reasons=["12-month amount 1 250 000 ≥ 1 000 000"], overridden=False)
    assert routing.route(db, event) == 2
    [item] = inbox_of(db, "boss")
    assert item["title"] == "Tier changed: Acme is now VIP" and "from tier Key to VIP" in item["body"]
    assert "12-month amount 1 250 000 ≥ 1 000 000" in item["body"]
    # the owner reads Chinese: the tiers' labels and the reason in Chinese
    [chinese] = inbox_of(db, "owner1")
    assert chinese["title"] == "客户分级变更：Acme 现为 VIP" and "由 重点 变为 VIP" in chinese["body"]
    assert "近 12 个月订单金额 1 250 000 ≥ 1 000 000" in chinese["body"]


def test_preferences_decide_which_kinds_are_mailed(db):
    directory.apply(db, user_event("quiet", ["s1"], SALES))
    db.preferences.insert_one({"_id": "quiet", "email_kinds": ["tier_changed"], "sms_kinds": [], "version": 1})
    routing.route(db, customers_event("followup_due", customer_id="c1", legal_name="Acme", owner_id="quiet",
                                      due_date="2026-03-01", followup_id="f1", reason=None))
    assert len(inbox_of(db, "quiet")) == 1 and emails_to(db, "quiet@factory.test") == []


def test_texts_go_through_the_provider_by_preference(db, monkeypatch):
    from services.notifications import sms

    provider = sms.LoggingProvider()
    monkeypatch.setattr(sms, "_provider", provider)
    directory.apply(db, user_event("texter", ["s1"], SALES))
    db.preferences.insert_one({"_id": "texter", "email_kinds": [], "sms_kinds": ["contract_expiring"],
                               "sms_number": "+8613800000000", "version": 1})
    routing.route(db, customers_event("contract_expiring", customer_id="c1", legal_name="Acme", owner_id="texter",
                                      order_id="o1", number="SO-1", contract_end_date="2026-04-01", days_left=30))
    assert provider.sent == [("+8613800000000", "Contract ending in 30 days: Acme")]


def test_feedback_events_reach_assignee_and_managers(db):
    from services.feedback import events as feedback_events

    directory.apply(db, user_event("agent", ["s1"], ["feedback:write"]))
    directory.apply(db, user_event("boss", ["s1"], MANAGER))
    assigned = feedback_events.event("feedback_assigned", {
        "feedback_id": "fb1", "customer_id": "c1", "assignee_id": "agent", "previous_assignee_id": None,
        "due_at": "2026-03-01T08:00:00Z"}, site_id="s1", actor="boss")
    assert routing.route(db, assigned) == 1
    breached = feedback_events.event("sla_breached", {
        "feedback_id": "fb1", "customer_id": "c1", "severity": "high", "assignee_id": "agent", "status": "assigned",
        "due_at": "2026-03-01T08:00:00Z"}, site_id="s1", actor="service:feedback")
    assert routing.route(db, breached) == 2
    alert = feedback_events.event("low_score_alert", {
        "feedback_id": "fb2", "survey_id": "sv1", "customer_id": "c1", "contact_id": "k1", "rating": None,
        "nps": 3}, site_id="s1", actor="contact:k1")
    assert routing.route(db, alert) == 1
    assert sorted(i["kind"] for i in inbox_of(db, "boss")) == ["low_score_alert", "sla_breached"]
    assert inbox_of(db, "agent")[0]["link"] == "/feedback/fb1"


def test_password_mail_and_survey_invitations_go_to_the_address_in_the_event(db):
    from services.accounts import events as accounts_events
    from services.feedback import events as feedback_events

    reset = accounts_events.event("password_reset_requested", {
        "user_id": "u9", "display_name": "U Nine", "language": "en", "expires_at": "2026-01-01T00:30:00Z"},
        secret={"email": "u9@factory.test", "reset_url": "http://crm.test/reset-password?token=abc"})
    assert routing.route(db, reset) == 1
    [mail] = emails_to(db, "u9@factory.test")
    assert "http://crm.test/reset-password?token=abc" in mail["body"] and mail["kind"] == "password_reset_requested"
    assert db.inbox.count_documents({}) == 0

    survey = feedback_events.event("survey_sent", {
        "survey_id": "sv1", "survey_title": "2026 满意度调查", "customer_id": "c1", "contact_id": "k1",
        "name": "王经理", "expires_at": "2026-02-01T00:00:00Z", "language": "zh-CN"}, site_id="s1",
        secret={"email": "buyer@customer.test", "link": "http://crm.test/s/tok1"})
    assert routing.route(db, survey) == 1
    [invite] = emails_to(db, "buyer@customer.test")
    assert invite["subject"].startswith("2026 满意度调查") and "http://crm.test/s/tok1" in invite["body"]
    assert "王经理" in invite["body"]


def test_a_recipient_not_in_the_directory_yet_makes_the_event_wait_then_gives_up(db):
    event = customers_event("followup_due", customer_id="c1", legal_name="Acme", owner_id="newcomer",
                            due_date="2026-03-01", followup_id="f1", reason=None)
    with pytest.raises(routing.RecipientNotKnownYet):
        routing.route(db, event)
    directory.apply(db, user_event("newcomer", ["s1"], SALES))
    assert routing.route(db, event) == 1

    stale = dict(event, event_id="old", occurred_at=isoformat(utcnow() - datetime.timedelta(hours=2)),
                 data=dict(event["data"], owner_id="never-known"))
    assert routing.route(db, stale) == 0
    gone = make_event("accounts.user_deleted", {"user_id": "left"})
    directory.apply(db, gone)
    assert routing.route(db, dict(event, event_id="e3", data=dict(event["data"], owner_id="left"))) == 0
    assert routing.route(db, customers_event("customer_created", customer_id="c1")) == 0


def test_times_in_messages_read_as_dates_not_raw_timestamps():
    from services.notifications.templates import moment, render

    assert moment("2026-03-01T16:00:00+08:00") == "2026-03-01 08:00 UTC"
    assert moment("not a time") == "not a time"
    subject, body = render("feedback_assigned", "en", name="Li", link="http://crm.test/f/1",
                           data={"due_at": "2026-03-01T08:00:00Z"})
    assert subject == "Feedback assigned to you, due 2026-03-01 08:00 UTC"
    assert "T08:00:00" not in body


def test_the_directory_is_read_by_id_site_or_permission(db):
    directory.apply(db, user_event("boss", ["s1"], MANAGER))
    directory.apply(db, user_event("seller", ["s1"], SALES))
    directory.apply(db, user_event("hooks", ["s2"], MANAGER + ["webhooks:admin"]))
    directory.apply(db, user_event("gone", ["s1"], MANAGER + ["webhooks:admin"], status="disabled"))
    assert [u["_id"] for u in directory.users(db, ["gone", "seller", "nobody", "boss", "seller"])] == ["seller", "boss"]
    assert [u["_id"] for u in directory.managers(db, "s2")] == ["hooks"] and directory.managers(db, None) == []
    assert [u["_id"] for u in directory.admins(db)] == ["hooks"]
