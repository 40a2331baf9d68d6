"""Feedback over RPC on the real broker and DB, with customers and accounts answering its checks."""
import datetime

import pytest
from kombu import Connection

from services.accounts.permissions import ALL_PERMISSIONS
from services.accounts.service import AccountsService
from services.common import config
from services.common.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from services.common.mongo import connect
from services.common.signing import secret_of
from services.customers.service import CustomersService
from services.feedback import items, surveys
from services.feedback.service import FeedbackService
from tests.integration.test_outbox_and_consumers import bound_queue, wait_for

WRITER = ["feedback:read", "feedback:write", "customers:read", "customers:write", "contacts:read",
          "contacts:write", "reports:read", "settings:write"]
ADMIN = ALL_PERMISSIONS  # delegation never widens: whoever creates users holds what they grant
PASSWORD = "Amber-quarry-violin-88"


@pytest.fixture
def system(run_service, nameko_config, monkeypatch):
    """customers, accounts and feedback; service-to-service calls go to this test's vhost."""
    monkeypatch.setenv("AMQP_URI", nameko_config["AMQP_URI"])
    monkeypatch.setenv("FEEDBACK_SLA_SCAN_INTERVAL", "0.3")
    for cls in (CustomersService, AccountsService, FeedbackService):
        run_service(cls)


@pytest.fixture
def feedback_db(system):
    client = connect(config.mongo_uri("feedback"))
    yield client[config.database_name("feedback")]
    client.close()


@pytest.fixture
def events(nameko_config):
    """``received(type)``: the feedback events published so far (the queue is bound before the test acts)."""
    with Connection(nameko_config["AMQP_URI"]) as connection:
        queue = bound_queue(connection, "feedback.events", "feedback.#")
        seen = []

        def received(event_type, at_least=1):
            def collect():
                while True:
                    message = queue.get(no_ack=True)
                    if message is None:
                        break
                    seen.append(message.payload)
                found = [e for e in seen if e["type"] == event_type]
                return found if len(found) >= at_least else None
            return wait_for(collect, timeout=10)

        yield received


@pytest.fixture
def world(system, issue_token, rpc_as):
    """Two sites, a writer of site A, an engineer of each site and a viewer, and a customer in A."""
    with rpc_as(issue_token(ADMIN, [])) as cluster:
        site_a = cluster.accounts.create_site({"code": "FA", "name": "Plant A"})["id"]
        site_b = cluster.accounts.create_site({"code": "FB", "name": "Plant B"})["id"]

        def user(name, site, roles):
            return cluster.accounts.create_user({
                "username": name, "email": "%s@example.com" % name, "password": PASSWORD,
                "display_name": name.title(), "sites": [site], "roles": roles})["id"]

        engineer_a = user("engineer.a", site_a, ["service"])
        engineer_b = user("engineer.b", site_b, ["service"])
        viewer_a = user("viewer.a", site_a, ["viewer"])
    writer = issue_token(WRITER, [site_a])
    with rpc_as(writer) as cluster:
        customer = cluster.customers.create_customer({"legal_name": "Feedback Gearworks Ltd"})
    return {"site_a": site_a, "site_b": site_b, "engineer_a": engineer_a, "engineer_b": engineer_b,
            "viewer_a": viewer_a, "writer": writer, "customer": customer["id"]}


def complaint(customer_id, **extra):
    return dict({"customer_id": customer_id, "channel": "phone", "type": "complaint", "category": "quality",
                 "severity": "high", "text": "Gear teeth chipped on delivery."}, **extra)


def test_a_complaint_goes_through_the_workflow(world, rpc_as, issue_token, events):
    with rpc_as(world["writer"]) as cluster:
        fb = cluster.feedback
        item = fb.create_feedback(complaint(world["customer"], rating=2))
        assert item["status"] == "open" and item["site_id"] == world["site_a"] and item["overdue"] is False
        received = events("feedback.feedback_received")[0]
        assert received["data"]["customer_id"] == world["customer"] and received["data"]["rating"] == 2
        with pytest.raises(Conflict) as illegal:
            fb.update_feedback(item["id"], {"version": 1, "status": "resolved", "resolution_summary": "x"})
        assert illegal.value.code == "illegal_transition" and illegal.value.extra["allowed"] == ["assigned"]
        item = fb.update_feedback(item["id"], {"version": 1, "assignee_id": world["engineer_a"]})
        assert item["status"] == "assigned" and item["assignee_id"] == world["engineer_a"]
        assert events("feedback.feedback_assigned")[0]["data"]["assignee_id"] == world["engineer_a"]
        item = fb.update_feedback(item["id"], {"version": 2, "status": "in_progress"})
        item = fb.add_response(item["id"], {"kind": "note", "text": "Checked the batch."})
        item = fb.add_response(item["id"], {"kind": "reply", "text": "We will replace the gears."})
        assert [r["kind"] for r in item["responses"]] == ["note", "reply"]
        with pytest.raises(ValidationFailed) as no_summary:
            fb.update_feedback(item["id"], {"version": item["version"], "status": "resolved"})
        assert "resolution_summary" in no_summary.value.fields
        item = fb.update_feedback(item["id"], {"version": item["version"], "status": "resolved",
                                               "resolution_summary": "Replaced 40 gears."})
        assert item["sla_met"] is True and events("feedback.feedback_resolved")[0]["data"]["sla_met"] is True
        item = fb.update_feedback(item["id"], {"version": item["version"], "status": "closed",
                                               "customer_confirmation": {"confirmed": True, "note": "OK by phone"}})
        assert item["customer_confirmation"]["confirmed"] is True and item["closed_at"]
        with pytest.raises(Conflict) as stale:
            fb.update_feedback(item["id"], {"version": 1, "status": "in_progress"})
        assert stale.value.code == "stale_version"
        item = fb.update_feedback(item["id"], {"version": item["version"], "status": "in_progress",
                                               "note": "Customer found more damage."})
        assert item["reopened_count"] == 1 and item["closed_at"] is None
        assert [(h["from"], h["to"]) for h in item["history"]] == [
            (None, "open"), ("open", "assigned"), ("assigned", "in_progress"), ("in_progress", "resolved"),
            ("resolved", "closed"), ("closed", "in_progress")]
        changed = events("feedback.feedback_status_changed", at_least=5)
        assert changed[-1]["data"]["reopened"] is True
        assert fb.list_feedback({"status": "in_progress", "customer_id": world["customer"]})["total"] == 1
        assert fb.list_feedback({"assignee_id": world["engineer_b"]})["total"] == 0
        minor = fb.create_feedback(complaint(world["customer"], severity="low", type="suggestion", channel="web"))
        by_severity = fb.list_feedback({"sort": "-severity"}, limit=1)
        assert [i["id"] for i in by_severity["items"]] == [item["id"]] and by_severity["total"] == 2
        rest = fb.list_feedback({"sort": "-severity"}, limit=1, cursor=by_severity["next_cursor"])
        assert [i["id"] for i in rest["items"]] == [minor["id"]] and rest["next_cursor"] is None
        assert [i["id"] for i in fb.list_feedback({"channel": "web", "type": "suggestion"})["items"]] == [minor["id"]]
        assert fb.open_feedback_count(world["customer"]) == {"customer_id": world["customer"], "open": 2,
                                                             "overdue": 0}
    audit = events("feedback.audit", at_least=8)
    assert {e["data"]["action"] for e in audit} >= {"created", "updated", "responded"}
    with rpc_as(issue_token(WRITER, [world["site_b"]])) as cluster:
        with pytest.raises(NotFound):
            cluster.feedback.get_feedback(item["id"])
        assert cluster.feedback.list_feedback({})["total"] == 0


def test_reopening_is_refused_after_thirty_days(world, rpc_as, feedback_db):
    with rpc_as(world["writer"]) as cluster:
        item = cluster.feedback.create_feedback(complaint(world["customer"]))
        for change in ({"assignee_id": world["engineer_a"]}, {"status": "in_progress"},
                       {"status": "resolved", "resolution_summary": "Done."}):
            item = cluster.feedback.update_feedback(item["id"], dict(change, version=item["version"]))
        long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=31)
        feedback_db.feedback.update_one({"_id": item["id"]}, {"$set": {"resolved_at": long_ago}})
        with pytest.raises(Conflict) as late:
            cluster.feedback.update_feedback(item["id"], {"version": item["version"], "status": "in_progress"})
        assert late.value.extra["allowed"] == ["closed"] and "30 days" in late.value.message


def test_bad_input_unknown_customer_and_assignees_outside_the_rules(world, rpc_as, issue_token):
    with rpc_as(world["writer"]) as cluster:
        with pytest.raises(ValidationFailed) as unknown:
            cluster.feedback.create_feedback(complaint("no-such-customer"))
        assert set(unknown.value.fields) == {"customer_id"}
        with pytest.raises(ValidationFailed) as bad:
            cluster.feedback.create_feedback(complaint(world["customer"], text="x" * 4001, rating=6,
                                                       channel="fax", extra=1))
        assert {"text", "rating", "channel", "extra"} <= set(bad.value.fields)
        with pytest.raises(ValidationFailed) as category:
            cluster.feedback.create_feedback(complaint(world["customer"], category="weather"))
        assert "category" in category.value.fields
        item = cluster.feedback.create_feedback(complaint(world["customer"]))
        for stranger in (world["engineer_b"], world["viewer_a"], "no-such-user"):
            with pytest.raises(ValidationFailed) as refused:
                cluster.feedback.update_feedback(item["id"], {"version": 1, "assignee_id": stranger})
            assert "assignee_id" in refused.value.fields
    with rpc_as(issue_token(WRITER, [world["site_b"]])) as cluster:
        with pytest.raises(ValidationFailed) as elsewhere:
            cluster.feedback.create_feedback(complaint(world["customer"]))
        assert "customer_id" in elsewhere.value.fields


def test_site_settings_change_categories_and_due_times(world, rpc_as):
    with rpc_as(world["writer"]) as cluster:
        settings = cluster.feedback.get_settings(world["site_a"])
        assert settings["sla_hours"] == {"critical": 4, "high": 24, "normal": 72, "low": 168}
        assert settings["version"] == 0
        changed = cluster.feedback.update_settings(world["site_a"], {
            "version": 0, "categories": ["quality", "packaging"], "sla_hours": {"critical": 2}})
        assert changed["sla_hours"]["critical"] == 2 and changed["sla_hours"]["high"] == 24
        with pytest.raises(Conflict):
            cluster.feedback.update_settings(world["site_a"], {"version": 0, "categories": ["other"]})
        item = cluster.feedback.create_feedback(complaint(world["customer"], category="packaging",
                                                          severity="critical"))
        created = datetime.datetime.fromisoformat(item["created_at"])
        assert datetime.datetime.fromisoformat(item["due_at"]) - created == datetime.timedelta(hours=2)
        with pytest.raises(NotFound):
            cluster.feedback.get_settings(world["site_b"])


def test_the_timer_marks_an_sla_breach_once(world, rpc_as, feedback_db, events):
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    with rpc_as(world["writer"]) as cluster:
        item = cluster.feedback.create_feedback(complaint(world["customer"], severity="critical",
                                                          due_at=soon.isoformat()))
        breach = events("feedback.sla_breached")
        assert [e["data"]["feedback_id"] for e in breach] == [item["id"]]
        assert breach[0]["actor"] == "service:feedback"
        stored = cluster.feedback.get_feedback(item["id"])
        assert stored["sla_breached_at"] and stored["sla_met"] is False and stored["overdue"] is True
        assert cluster.feedback.list_feedback({"overdue": True})["total"] == 1
        assert cluster.feedback.open_feedback_count(world["customer"])["overdue"] == 1
        with pytest.raises(ValidationFailed) as too_late:
            cluster.feedback.create_feedback(complaint(world["customer"], due_at="2099-01-01T00:00:00+00:00"))
        assert "due_at" in too_late.value.fields
    assert items.scan_sla(feedback_db) == 0


def survey_body():
    return {"title": "Delivery survey", "language": "en", "questions": [
        {"kind": "rating", "text": "How satisfied are you?"},
        {"kind": "nps", "text": "Would you recommend us?"},
        {"kind": "choice", "text": "Best part?", "options": ["quality", "price"], "required": False},
        {"kind": "text", "text": "Anything else?", "required": False, "max_length": 50}]}


def test_a_survey_link_is_single_use_and_a_low_score_raises_an_alert(world, rpc_as, events, feedback_db):
    with rpc_as(world["writer"]) as cluster:
        contacts = [cluster.customers.create_part(world["customer"], "contacts", {
            "name": name, "email": "%s@buyer.example" % name.lower()})["id"] for name in ("Li", "Wang")]
        no_mail = cluster.customers.create_part(world["customer"], "contacts", {"name": "Zhao"})["id"]
        survey = cluster.feedback.create_survey(survey_body())
        assert [q["id"] for q in survey["questions"]] == ["q1", "q2", "q3", "q4"]
        with pytest.raises(ValidationFailed) as mailless:
            cluster.feedback.send_survey(survey["id"], {"customer_id": world["customer"], "contact_ids": [no_mail]})
        assert "contact_ids" in mailless.value.fields
        sent = cluster.feedback.send_survey(survey["id"], {"customer_id": world["customer"], "contact_ids": contacts})
        assert [r["contact_id"] for r in sent["sent"]] == contacts
    links = {e["data"]["contact_id"]: secret_of(e)["link"] for e in events("feedback.survey_sent", at_least=2)}
    assert all(link.startswith("http://crm.test/s/") for link in links.values())
    token_li, token_wang = (links[c].rsplit("/", 1)[1] for c in contacts)
    assert feedback_db.survey_links.count_documents({"_id": token_li}) == 0
    with rpc_as(None) as public:
        shown = public.feedback.survey_for_token(token_li)
        assert shown["title"] == "Delivery survey" and shown["recipient"] == "Li"
        with pytest.raises(ValidationFailed) as missing:
            public.feedback.answer_survey(token_li, {"q1": 4, "q4": "y" * 51})
        assert set(missing.value.fields) == {"q2", "q4"} and "q2" in missing.value.message
        with pytest.raises(ValidationFailed):
            public.feedback.answer_survey(token_li, {"q1": 4, "q2": 11, "q3": "speed"})
        kept = public.feedback.answer_survey(token_li, {"q1": "4", "q2": 3, "q4": "Late twice."})
        assert kept["status"] == "received"
        with pytest.raises(BadRequest) as reused:
            public.feedback.answer_survey(token_li, {"q1": 5, "q2": 10})
        assert reused.value.code == "survey_link_used"
        feedback_db.survey_links.update_one({"contact_id": contacts[1]}, {"$set": {
            "expires_at": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)}})
        with pytest.raises(BadRequest) as expired:
            public.feedback.survey_for_token(token_wang)
        assert expired.value.code == "survey_link_expired"
        with pytest.raises(NotFound):
            public.feedback.survey_for_token("not-a-token")
        with pytest.raises(Unauthorized):
            public.feedback.get_survey(survey["id"])
    alert = events("feedback.low_score_alert")[0]["data"]
    assert (alert["rating"], alert["nps"], alert["contact_id"]) == (4, 3, contacts[0])
    response = events("feedback.survey_response_received")[0]["data"]
    assert response["feedback_id"] == alert["feedback_id"]
    with rpc_as(world["writer"]) as cluster:
        item = cluster.feedback.get_feedback(alert["feedback_id"])
        assert (item["channel"], item["nps"], item["customer_id"]) == ("survey", 3, world["customer"])
        assert "Late twice." in item["text"] and item["severity"] == "high"
        assert cluster.feedback.get_survey(survey["id"])["response_count"] == 1


def test_a_low_score_item_lost_to_a_crash_is_created_by_the_scan(world, rpc_as, feedback_db):
    with rpc_as(world["writer"]) as cluster:
        contact = cluster.customers.create_part(world["customer"], "contacts", {
            "name": "Sun", "email": "sun@buyer.example"})["id"]
        survey = cluster.feedback.create_survey(survey_body())
        cluster.feedback.send_survey(survey["id"], {"customer_id": world["customer"], "contact_ids": [contact]})
    token = "t-crash"
    feedback_db.survey_links.update_one({"contact_id": contact}, {"$set": {
        "used_at": datetime.datetime.now(datetime.timezone.utc),
        "answered_at": datetime.datetime.now(datetime.timezone.utc), "answers": {"q1": 1, "q2": 9},
        "rating": 1, "nps": 9, "feedback_id": "fb-" + token, "feedback_pending": True}})
    wait_for(lambda: feedback_db.feedback.find_one({"_id": "fb-" + token}), timeout=10)
    # the scan writes the item, then clears the link's mark: wait for the second write too
    wait_for(lambda: feedback_db.survey_links.count_documents(
        {"contact_id": contact, "feedback_pending": True}) == 0, timeout=10)
    assert surveys.complete_low_score_items(feedback_db) == 0


def test_staff_measures_count_an_assignees_items_and_a_customers_scores(world, rpc_as, issue_token, events):
    with rpc_as(world["writer"]) as cluster:
        fb = cluster.feedback
        done = fb.create_feedback(complaint(world["customer"]))
        fb.create_feedback(complaint(world["customer"], severity="low"))
        fb.create_feedback(complaint(world["customer"], severity="normal"))  # stays in the site's queue
        for change in ({"assignee_id": world["engineer_a"]}, {"status": "in_progress"},
                       {"status": "resolved", "resolution_summary": "Replaced."}):
            done = fb.update_feedback(done["id"], dict(change, version=done["version"]))
        assert done["first_resolved_assignee_id"] == world["engineer_a"] and done["sla_met"] is True
        waiting = fb.list_feedback({"status": "open", "severity": "low"})["items"][0]
        fb.update_feedback(waiting["id"], {"version": waiting["version"], "assignee_id": world["engineer_a"]})
        contact = cluster.customers.create_part(world["customer"], "contacts", {
            "name": "Qian", "email": "qian@buyer.example"})["id"]
        survey = fb.create_survey(survey_body())
        fb.send_survey(survey["id"], {"customer_id": world["customer"], "contact_ids": [contact]})
    token = secret_of(events("feedback.survey_sent")[0])["link"].rsplit("/", 1)[1]
    with rpc_as(None) as public:
        public.feedback.answer_survey(token, {"q1": 4, "q2": 8})
    # the site counts days in Asia/Shanghai: yesterday and today there hold everything made above
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    since, until = (today - datetime.timedelta(days=1)).isoformat(), today.isoformat()
    expected = {
        "assignees": {world["engineer_a"]: {"assigned": 2, "resolved": 1, "resolved_within_sla": 1,
                                            "median_hours_to_resolve": 0.0}},
        "customers": {world["customer"]: {"csat_sum": 4, "csat_count": 1, "promoters": 0, "passives": 1,
                                          "detractors": 0}}}
    for perms in (["feedback:read"], ["targets:manage"]):
        with rpc_as(issue_token(perms, [world["site_a"]])) as cluster:
            found = cluster.feedback.staff_measures(world["site_a"], since, until)
        hours = found["assignees"][world["engineer_a"]].pop("resolve_hours")
        assert found == expected and len(hours) == 1 and 0 <= hours[0] < 0.05
    with rpc_as(world["writer"]) as cluster:
        later = (today + datetime.timedelta(days=1)).isoformat()
        assert cluster.feedback.staff_measures(world["site_a"], later, later) == {"assignees": {}, "customers": {}}
        with pytest.raises(ValidationFailed) as backwards:
            cluster.feedback.staff_measures(world["site_a"], until, since)
        assert set(backwards.value.fields) == {"until"}
    with rpc_as(issue_token(["feedback:read", "targets:manage"], [world["site_b"]])) as cluster:
        with pytest.raises(NotFound):
            cluster.feedback.staff_measures(world["site_a"], since, until)
    with rpc_as(issue_token(["customers:read"], [world["site_a"]])) as cluster:
        with pytest.raises(Forbidden):
            cluster.feedback.staff_measures(world["site_a"], since, until)
