"""Tiers, lifecycle, churn risk, follow-ups, settings, the 360 view and reports over RPC on the
real broker and DB."""
import datetime
import time
import uuid

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook

from services.common.envelope import make_event
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.common.signing import sign

SALES = ["customers:read", "customers:write", "contacts:read", "contacts:write", "interactions:read",
         "interactions:write", "orders:read", "orders:write", "feedback:read"]
FINANCE = ["customers:read", "orders:read", "orders:write"]
MANAGER = SALES + ["reports:read", "settings:write"]


def today():
    """Today as the service sees it, read at each call: a run may cross midnight."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def ago(days):
    return (today() - datetime.timedelta(days=days)).isoformat()


def ahead(days):
    return (today() + datetime.timedelta(days=days)).isoformat()


class Published:
    """Events on ``customers.events``, kept as they arrive."""

    def __init__(self, queue):
        self.queue, self.seen = queue, []

    def drain(self, seconds=1.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.queue.get(no_ack=True)
            if message is None:
                eventlet.sleep(0.05)
            else:
                self.seen.append(message.payload)
        return self.seen

    def wait_for(self, event_type, match=lambda e: True, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.seen if e["type"] == event_type and match(e)]
            if found:
                return found[0]
            self.drain(0.2)
        raise AssertionError("no %s within %s s" % (event_type, timeout))

    def of(self, event_type):
        return [e for e in self.seen if e["type"] == event_type]


@pytest.fixture
def published(nameko_config):
    with Connection(nameko_config["AMQP_URI"]) as connection:
        queue = Queue(exchange=Exchange("customers.events", type="topic", durable=True), routing_key="customers.#",
                      auto_delete=True, exclusive=True, channel=connection.default_channel)
        queue.declare()
        yield Published(queue)


def order(cluster, customer_id, date, amount, **extra):
    return cluster.customers.create_part(customer_id, "orders", dict(
        {"number": "SO-" + uuid.uuid4().hex[:8], "order_date": date,
         "lines": [{"product": extra.pop("product", "Gearbox"), "quantity": 1, "amount": amount}]}, **extra))


def new_customer(cluster, name, **fields):
    return cluster.customers.create_customer(dict({"legal_name": "%s %s" % (name, uuid.uuid4().hex[:6])}, **fields),
                                             force=True)


def test_tier_changes_when_orders_cross_a_threshold_and_the_explanation_says_why(
        customers, issue_token, rpc_as, published):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        customer = new_customer(cluster, "Threshold Works")
        order(cluster, customer["id"], ago(40), 150000)
        general = cluster.customers.get_customer(customer["id"])
        assert general["tier"]["level"] == "general" and general["lifecycle_stage"] == "first_purchase"
        assert general["last_order_date"] == ago(40)
        order(cluster, customer["id"], ago(10), 100000)
        key = cluster.customers.get_customer(customer["id"])
        assert key["tier"]["level"] == "key" and key["lifecycle_stage"] == "repeat"
        assert key["tier"]["reasons"] == ["12-month amount 250 000 ≥ 200 000"]
        order(cluster, customer["id"], ago(500), 5000000)
        order(cluster, customer["id"], ago(5), 1000000)
        vip = cluster.customers.get_customer(customer["id"])
        assert vip["tier"]["level"] == "vip"
        assert vip["tier"]["reasons"] == ["12-month amount 1 250 000 ≥ 1 000 000"]
        history = cluster.customers.tier_history(customer["id"])["items"]
        assert [(h["old_tier"], h["new_tier"]) for h in history] == [("key", "vip"), ("general", "key")]
        assert history[0]["reasons"] == vip["tier"]["reasons"]
    changed = published.wait_for("customers.tier_changed", lambda e: e["data"]["new_tier"] == "vip")
    assert changed["data"]["old_tier"] == "key" and changed["data"]["overridden"] is False
    assert changed["data"]["reasons"] == ["12-month amount 1 250 000 ≥ 1 000 000"]
    published.wait_for("customers.audit", lambda e: e["data"]["action"] == "tier_changed")
    with rpc_as(issue_token(SALES, ["site-b"])) as cluster:
        with pytest.raises(NotFound):
            cluster.customers.tier_history(customer["id"])


def test_a_manual_override_wins_until_cleared_or_expired(customers, issue_token, rpc_as, published):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        customer = new_customer(cluster, "Override Works")
        with pytest.raises(ValidationFailed) as past:
            cluster.customers.set_tier_override(customer["id"], {"tier": "vip", "reason": "x",
                                                                 "expires_at": "2001-01-01T00:00:00+00:00"})
        assert "expires_at" in past.value.fields
        with pytest.raises(ValidationFailed):
            cluster.customers.set_tier_override(customer["id"], {"tier": "gold", "reason": "x"})
        vip = cluster.customers.set_tier_override(customer["id"], {"tier": "vip", "reason": "strategic account"})
        assert vip["tier"]["level"] == "vip" and vip["tier"]["overridden"] is True
        assert vip["tier"]["reasons"] == ["Set by hand: strategic account"]
        assert vip["tier"]["computed"]["level"] == "general"
        back = cluster.customers.clear_tier_override(customer["id"])
        assert back["tier"]["level"] == "general" and back["tier"]["overridden"] is False
        soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).isoformat()
        cluster.customers.set_tier_override(customer["id"], {"tier": "key", "reason": "trial", "expires_at": soon})
        assert cluster.customers.get_customer(customer["id"])["tier"]["level"] == "key"
        eventlet.sleep(2.5)
        with entrypoint_hook(customers, "scan_followups") as scan:
            scan()
        expired = cluster.customers.get_customer(customer["id"])
        assert expired["tier"]["level"] == "general" and "override" not in expired["tier"]
        moves = [(h["old_tier"], h["new_tier"], h["overridden"]) for h in
                 cluster.customers.tier_history(customer["id"])["items"]]
        assert moves == [("key", "general", False), ("general", "key", True), ("vip", "general", False),
                         ("general", "vip", True)]
    published.wait_for("customers.tier_changed", lambda e: e["data"]["overridden"] and e["data"]["new_tier"] == "vip")
    with rpc_as(issue_token(FINANCE, ["site-a"])) as cluster:
        with pytest.raises(Forbidden):
            cluster.customers.set_tier_override(customer["id"], {"tier": "vip", "reason": "x"})


@pytest.fixture
def feedback_peer(run_service, nameko_config, monkeypatch):
    """A stand-in feedback service on the test broker; ``answers`` sets what it does."""
    monkeypatch.setenv("AMQP_URI", nameko_config["AMQP_URI"])
    monkeypatch.setenv("RPC_TIMEOUT", "1")
    behaviour = {"delay": 0, "open": 3}

    class Feedback:
        name = "feedback"

        @rpc
        def open_feedback_count(self, customer_id):
            eventlet.sleep(behaviour["delay"])
            return {"customer_id": customer_id, "open": behaviour["open"], "overdue": 0}

    run_service(Feedback)
    return behaviour


def test_overview_shows_what_the_caller_may_see(customers, feedback_peer, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        group = new_customer(cluster, "Overview Group", account_type="group")
        entity = new_customer(cluster, "Overview Entity", parent_id=group["id"])
        plant = new_customer(cluster, "Overview Plant", parent_id=entity["id"], account_type="plant")
        order(cluster, group["id"], ago(20), 1000)
        order(cluster, entity["id"], ago(30), 2000)
        order(cluster, plant["id"], ago(40), 4000)
        order(cluster, plant["id"], ago(400), 8000)
        order(cluster, plant["id"], ago(10), 16000, status="cancelled")
        cluster.customers.create_part(group["id"], "contacts", {"name": "李雷", "phone": "13800138000"})
        for n in range(12):
            cluster.customers.create_part(group["id"], "interactions", {
                "kind": "call", "summary": "call %d" % n,
                "occurred_at": (datetime.datetime.now(datetime.timezone.utc)
                                - datetime.timedelta(days=30 - n)).isoformat()})
        cluster.customers.create_part(group["id"], "opportunities", {"title": "Line 2", "stage": "proposal",
                                                                     "expected_amount": 50000})
        cluster.customers.create_part(group["id"], "opportunities", {"title": "Lost one", "stage": "lost"})
        task = cluster.customers.create_part(group["id"], "followups", {"title": "Call back", "due_date": ahead(3)})
        view = cluster.customers.overview(group["id"])
        assert view["customer"]["id"] == group["id"] and len(view["contacts"]) == 1
        assert [i["summary"] for i in view["interactions"]] == ["call %d" % n for n in range(11, 1, -1)]
        assert [o["title"] for o in view["opportunities"]] == ["Line 2"]
        assert view["orders_12m"]["amount"] == 7000 and view["orders_12m"]["orders"] == 3
        assert view["orders_12m"]["own"] == {"amount": 1000, "orders": 1} and view["orders_12m"]["accounts"] == 3
        assert view["next_followup"]["date"] == ahead(3) and view["next_followup"]["followup"]["id"] == task["id"]
        assert view["open_feedback"] == 3
        assert view["tier"]["level"] == "general" and "12-month amount 1 000" in view["tier"]["explanation"]
        assert [c["id"] for c in view["children"]] == [entity["id"]]
        feedback_peer["delay"] = 3
        started = time.monotonic()
        slow = cluster.customers.overview(group["id"])
        assert slow["open_feedback"] == "unknown" and time.monotonic() - started < 3
    with rpc_as(issue_token(FINANCE, ["site-a"])) as cluster:
        view = cluster.customers.overview(group["id"])
        assert set(view) == {"customer", "tier", "orders_12m", "children"}
        assert view["orders_12m"]["amount"] == 7000
    with rpc_as(issue_token(SALES, ["site-b"])) as cluster:
        with pytest.raises(NotFound):
            cluster.customers.overview(group["id"])


def test_follow_ups_and_expiring_contracts_are_announced_once(customers, issue_token, rpc_as, published):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        quiet = new_customer(cluster, "Quiet Works")
        cluster.customers.create_part(quiet["id"], "interactions", {
            "kind": "visit", "summary": "site visit",
            "occurred_at": (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=100)).isoformat()})
        assert cluster.customers.get_customer(quiet["id"])["next_followup_date"] == ago(10)
        busy = new_customer(cluster, "Busy Works")
        task = cluster.customers.create_part(busy["id"], "followups", {"title": "Renewal call", "due_date": ago(1)})
        later = new_customer(cluster, "Later Works")
        cluster.customers.create_part(later["id"], "followups", {"title": "Not yet", "due_date": ahead(5)})
        month = order(cluster, later["id"], ago(300), 1000, contract_end_date=ahead(30))
        week = order(cluster, later["id"], ago(200), 1000, contract_end_date=ahead(7))
        order(cluster, later["id"], ago(100), 1000, contract_end_date=ahead(31))
        for _ in range(2):
            with entrypoint_hook(customers, "scan_followups") as scan:
                scan()
        published.drain(2)
    due = {e["data"]["customer_id"]: e["data"] for e in published.of("customers.followup_due")}
    assert len(published.of("customers.followup_due")) == 2 and set(due) == {quiet["id"], busy["id"]}
    assert due[quiet["id"]]["due_date"] == ago(10) and due[quiet["id"]]["followup_id"] is None
    assert "90 days after the last interaction" in due[quiet["id"]]["reason"]
    assert due[busy["id"]]["followup_id"] == task["id"] and due[busy["id"]]["due_date"] == ago(1)
    expiring = sorted((e["data"]["order_id"], e["data"]["days_left"])
                      for e in published.of("customers.contract_expiring"))
    assert expiring == sorted([(month["id"], 30), (week["id"], 7)])
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        cluster.customers.create_part(quiet["id"], "interactions", {
            "kind": "call", "summary": "short call",
            "occurred_at": (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=92)).isoformat()})
        with entrypoint_hook(customers, "scan_followups") as scan:
            scan()
    again = published.wait_for("customers.followup_due", lambda e: e["data"]["due_date"] == ago(2))
    assert again["data"]["customer_id"] == quiet["id"] and again["actor"] == "service:customers"


def feedback_event(event_type, customer_id, site_id, **data):
    fields = {"feedback.feedback_received": dict.fromkeys(
        ("feedback_id", "contact_id", "channel", "type", "category", "severity", "rating", "nps", "due_at")),
        "feedback.survey_response_received": dict.fromkeys(("survey_id", "contact_id", "rating", "nps", "feedback_id"))}
    return sign(make_event(event_type, dict(fields[event_type], customer_id=customer_id, **data), site_id, "u1"))


def test_low_feedback_scores_raise_churn_risk(customers, issue_token, rpc_as, published, nameko_config):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        customer = new_customer(cluster, "Unhappy Works")
    dispatch = event_dispatcher(nameko_config)
    dispatch("feedback", "feedback.survey_response_received", feedback_event(
        "feedback.survey_response_received", customer["id"], "site-a", rating=2, feedback_id="f-1"))
    dispatch("feedback", "feedback.feedback_received", feedback_event(
        "feedback.feedback_received", customer["id"], "site-a", rating=2, feedback_id="f-1"))
    detected = published.wait_for("customers.churn_risk_detected")
    assert detected["data"]["level"] == "low" and detected["data"]["customer_id"] == customer["id"]
    assert detected["data"]["reasons"] == ["1 low feedback score in the last 180 days (rating ≤ 2 or NPS ≤ 6)"]
    dispatch("feedback", "feedback.feedback_received", feedback_event(
        "feedback.feedback_received", customer["id"], "site-a", nps=3, feedback_id="f-2"))
    high = published.wait_for("customers.churn_risk_detected", lambda e: e["data"]["level"] == "high")
    assert high["data"]["reasons"] == ["2 low feedback scores in the last 180 days (rating ≤ 2 or NPS ≤ 6)"]
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        assert cluster.customers.get_customer(customer["id"])["churn_risk"]["level"] == "high"
        assert cluster.customers.list_customers({"churn_risk": "high"})["total"] == 1


def test_site_settings_change_tiers_and_cadence_after_the_recompute(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        customer = new_customer(cluster, "Settings Works")
        order(cluster, customer["id"], ago(20), 1000)
        order(cluster, customer["id"], ago(10), 1000)
        assert cluster.customers.get_customer(customer["id"])["tier"]["level"] == "general"
        defaults = cluster.customers.get_settings("site-a")
        assert defaults["version"] == 0 and defaults["followup_days"] == {"vip": 30, "key": 60, "general": 90}
        assert defaults["tier_thresholds"]["vip_amount"] == 1000000 and defaults["review_days"] == 90
        with pytest.raises(Forbidden):
            cluster.customers.update_settings("site-a", {"version": 0, "review_days": 30})
        with pytest.raises(NotFound):
            cluster.customers.get_settings("site-b")
    with rpc_as(issue_token(MANAGER, ["site-a"])) as cluster:
        with pytest.raises(ValidationFailed):
            cluster.customers.update_settings("site-a", {"version": 0, "tier_thresholds": {"key_amount": 2e6}})
        saved = cluster.customers.update_settings("site-a", {"version": 0, "tier_thresholds": {"key_orders": 2},
                                                             "followup_days": {"key": 14}})
        assert saved["version"] == 1 and saved["tier_thresholds"]["key_orders"] == 2
        assert saved["followup_days"] == {"vip": 30, "key": 14, "general": 90}
        with pytest.raises(Conflict):
            cluster.customers.update_settings("site-a", {"version": 0, "review_days": 30})
        with entrypoint_hook(customers, "recompute_customers") as recompute:
            recompute()
        after = cluster.customers.get_customer(customer["id"])
        assert after["tier"]["level"] == "key" and after["tier"]["reasons"] == ["2 orders in 12 months ≥ 2"]
        created = datetime.date.fromisoformat(after["created_at"][:10])
        assert after["next_followup_date"] == (created + datetime.timedelta(days=14)).isoformat()


def test_reports_over_the_callers_sites(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a", "site-b"])) as cluster:
        group = new_customer(cluster, "Report Group", site_id="site-a")
        plant = new_customer(cluster, "Report Plant", site_id="site-a", parent_id=group["id"])
        other = new_customer(cluster, "Report Other", site_id="site-b")
        order(cluster, group["id"], ago(15), 250000, product="Pump")
        order(cluster, plant["id"], ago(15), 100000, product="Valve")
        order(cluster, plant["id"], ago(45), 30000, product="Pump")
        order(cluster, other["id"], ago(15), 5000, product="Valve")
        order(cluster, other["id"], ago(15), 9999, product="Valve", status="cancelled")
        order(cluster, other["id"], ago(800), 7000, product="Valve")
        for stage, amount in (("proposal", 100), ("proposal", 50), ("won", 300), ("lost", 20), ("won", 1)):
            cluster.customers.create_part(group["id"], "opportunities", {"title": stage, "stage": stage,
                                                                         "expected_amount": amount})
        cluster.customers.set_tier_override(other["id"], {"tier": "vip", "reason": "board decision"})
    with rpc_as(issue_token(["reports:read", "orders:read", "interactions:read"], ["site-a", "site-b"])) as cluster:
        tiers = cluster.customers.report_tiers()
        assert tiers["distribution"] == {"vip": 1, "key": 1, "general": 1}
        assert sorted((m["from"], m["to"], m["count"]) for m in tiers["moves"]) == [
            ("general", "key", 1), ("general", "vip", 1)]
        assert cluster.customers.report_tiers({"site_id": "site-b"})["distribution"] == {"vip": 1, "key": 0,
                                                                                        "general": 0}
        sales = cluster.customers.report_sales({"since": ago(60), "until": today().isoformat()})
        assert sales["total"] == 385000 and sales["orders"] == 4
        assert {(p["product"], p["amount"]) for p in sales["by_product"]} == {("Pump", 280000), ("Valve", 105000)}
        assert [c["customer_id"] for c in sales["by_customer"]] == [group["id"], plant["id"], other["id"]]
        assert sales["by_group"][0] == {"customer_id": group["id"], "legal_name": group["legal_name"],
                                        "amount": 380000, "orders": 3, "accounts": 2}
        assert {s["site_id"]: s["amount"] for s in sales["by_site"]} == {"site-a": 380000, "site-b": 5000}
        assert sum(m["amount"] for m in sales["by_month"]) == 385000
        funnel = cluster.customers.report_funnel({})
        stages = {s["stage"]: (s["count"], s["amount"]) for s in funnel["stages"]}
        assert stages["proposal"] == (2, 150) and stages["won"] == (2, 301) and stages["identified"] == (0, 0)
        assert funnel["conversion"] == {"won": 2, "lost": 1, "rate": 0.6667}
    with rpc_as(issue_token(["reports:read", "orders:read"], ["site-b"])) as cluster:
        sales = cluster.customers.report_sales({"since": ago(60)})
        assert sales["total"] == 5000 and [c["customer_id"] for c in sales["by_customer"]] == [other["id"]]
        with pytest.raises(NotFound):
            cluster.customers.report_sales({"site_id": "site-a"})
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        with pytest.raises(Forbidden):
            cluster.customers.report_churn()


def test_churn_report_lists_customers_at_risk_with_reasons(customers, issue_token, rpc_as, nameko_config):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        falling = new_customer(cluster, "Falling Works")
        order(cluster, falling["id"], ago(400), 100000)
        order(cluster, falling["id"], ago(20), 20000)
        steady = new_customer(cluster, "Steady Works")
        order(cluster, steady["id"], ago(20), 20000)
    with rpc_as(issue_token(["reports:read"], ["site-a"])) as cluster:
        report = cluster.customers.report_churn({"site_id": "site-a"})
        assert report["total"] == 1 and report["items"][0]["customer_id"] == falling["id"]
        assert report["items"][0]["level"] == "high"
        assert "12-month spend 20 000 is 80 % below the previous 12 months (100 000)" in report["items"][0]["reasons"]
