"""Feedback, complaints and surveys through the gateway, on the real broker and DB (issue: feedback).

The tests run in order over one site: the satisfaction report at the end is checked against
everything the earlier tests created there.
"""
import datetime
import signal
import statistics
import uuid

import pytest
import requests

from services.common.signing import secret_of
from tests.support import events
from tests.support.api import Api

PASSWORD = "Granite-orchard-velvet-73"
SLA_REPLICA = "feedback#sla"


def unique(prefix):
    return "%s%s" % (prefix, uuid.uuid4().hex[:6])


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def fast_sla_scan(stack):
    """A second feedback replica scanning for SLA breaches every second (the first scans every minute)."""
    stack.start(SLA_REPLICA, FEEDBACK_SLA_SCAN_INTERVAL="1")
    yield
    stack.kill(SLA_REPLICA, signal.SIGTERM)


@pytest.fixture(scope="module")
def feedback_events(test_env):
    """``received(type, at_least, **data)``: feedback events published since the module started."""
    with events.tap(test_env["AMQP_URI"], "feedback") as tap:
        yield tap.received


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    """A site of its own with a manager, a service engineer and a customer with two contacts."""
    site = admin_api.post("/sites", {"code": unique("FB"), "name": "Feedback Plant"}).json()
    users = {}
    for role in ("manager", "service"):
        name = unique("%s." % role)
        created = admin_api.post("/users", {"username": name, "email": "%s@factory.test" % name, "password": PASSWORD,
                                            "display_name": name.title(), "sites": [site["id"]], "roles": [role]})
        assert created.status_code == 201, created.text
        users[role] = created.json()
    manager = Api(stack.url).login(users["manager"]["username"], PASSWORD)
    customer = manager.post("/customers", {"legal_name": unique("Feedback Valves Co "), "site_id": site["id"]})
    assert customer.status_code == 201, customer.text
    contacts = []
    for name in ("Li Na", "Wang Wei"):
        contact = manager.post("/customers/%s/contacts" % customer.json()["id"], {
            "name": name, "email": "%s@buyer.example" % name.split()[1].lower()})
        assert contact.status_code == 201, contact.text
        contacts.append(contact.json())
    return {"site": site, "manager": manager, "engineer": users["service"], "customer": customer.json(),
            "contacts": contacts, "started": now() - datetime.timedelta(seconds=5), "answers": []}


def test_a_complaint_from_creation_to_reopening(plant, feedback_events):
    api, customer_id = plant["manager"], plant["customer"]["id"]
    created = api.post("/feedback", {"customer_id": customer_id, "channel": "phone", "type": "complaint",
                                     "category": "quality", "severity": "high", "rating": 2,
                                     "text": "Valve seals leak after two weeks."})
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["status"], item["site_id"]) == ("open", plant["site"]["id"])
    assert at(item["due_at"]) - at(item["created_at"]) == datetime.timedelta(hours=24)
    received = feedback_events("feedback.feedback_received", feedback_id=item["id"])[0]["data"]
    assert (received["customer_id"], received["rating"], received["nps"]) == (customer_id, 2, None)

    illegal = api.patch("/feedback/%s" % item["id"], {"version": item["version"], "status": "closed"})
    assert illegal.status_code == 409
    error = illegal.json()["error"]
    assert error["code"] == "illegal_transition" and error["allowed"] == ["assigned"] and "assigned" in error["message"]

    def change(body, status=200):
        response = api.patch("/feedback/%s" % item["id"], dict(body, version=item["version"]))
        assert response.status_code == status, response.text
        return response.json()

    item = change({"assignee_id": plant["engineer"]["id"]})
    assert item["status"] == "assigned"
    feedback_events("feedback.feedback_assigned", feedback_id=item["id"], assignee_id=plant["engineer"]["id"])
    item = change({"status": "in_progress"})
    for kind, text in (("note", "Seal batch 7 suspected."), ("reply", "We are sending replacement seals.")):
        response = api.post("/feedback/%s/responses" % item["id"], {"kind": kind, "text": text})
        assert response.status_code == 201, response.text
        item = response.json()
    assert [(r["kind"], r["author_id"]) for r in item["responses"]] == [
        ("note", api.session["user"]["id"]), ("reply", api.session["user"]["id"])]
    assert "resolution_summary" in change({"status": "resolved"}, 422)["error"]["fields"]
    item = change({"status": "resolved", "resolution_summary": "Replaced the seals of batch 7."})
    assert item["sla_met"] is True
    feedback_events("feedback.feedback_resolved", feedback_id=item["id"])
    item = change({"status": "closed", "customer_confirmation": {"confirmed": True, "note": "Confirmed by phone."}})
    assert item["customer_confirmation"]["confirmed"] is True
    assert change({"status": "resolved"}, 409)["error"]["allowed"] == ["in_progress"]
    item = change({"status": "in_progress", "note": "Leaks again."})
    assert (item["status"], item["reopened_count"]) == ("in_progress", 1)
    assert [h["to"] for h in item["history"]] == [
        "open", "assigned", "in_progress", "resolved", "closed", "in_progress"]
    assert feedback_events("feedback.feedback_status_changed", feedback_id=item["id"], reopened=True)
    assert api.get("/feedback/%s" % item["id"]).json()["version"] == item["version"]
    listed = api.get("/feedback", params={"customer_id": customer_id, "status": "in_progress", "sort": "-severity"})
    assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
    audit = feedback_events("feedback.audit", at_least=7, entity_id=item["id"])
    assert {"created", "updated", "responded"} <= {e["data"]["action"] for e in audit}


def test_an_unknown_customer_is_422_on_customer_id(plant):
    response = plant["manager"].post("/feedback", {"customer_id": "no-such-customer", "channel": "email",
                                                   "type": "question", "category": "price", "text": "Price list?"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["customer_id"]


def test_an_sla_breach_is_fired_by_the_timer(plant, fast_sla_scan, feedback_events):
    api = plant["manager"]
    created = api.post("/feedback", {"customer_id": plant["customer"]["id"], "channel": "visit",
                                     "type": "complaint", "category": "delivery", "severity": "critical",
                                     "text": "Line stopped: wrong valves delivered.",
                                     "due_at": (now() + datetime.timedelta(seconds=2)).isoformat()})
    assert created.status_code == 201, created.text
    item = created.json()
    breach = feedback_events("feedback.sla_breached", feedback_id=item["id"])
    assert len(breach) == 1 and breach[0]["actor"] == "service:feedback"
    stored = api.get("/feedback/%s" % item["id"]).json()
    assert stored["sla_breached_at"] and stored["overdue"] is True and stored["sla_met"] is False
    overdue = api.get("/feedback", params={"overdue": "true", "site_id": plant["site"]["id"]}).json()
    assert [i["id"] for i in overdue["items"]] == [item["id"]]


def public(stack, method, token, **kwargs):
    return requests.request(method, "%s/s/%s" % (stack.url, token), timeout=20, **kwargs)


def test_a_survey_to_two_contacts(stack, plant, feedback_events):
    api = plant["manager"]
    survey = api.post("/surveys", {"title": "Delivery satisfaction", "language": "en", "site_id": plant["site"]["id"],
                                   "questions": [{"kind": "rating", "text": "How satisfied are you?"},
                                                 {"kind": "nps", "text": "Would you recommend us?"},
                                                 {"kind": "text", "text": "What should we improve?",
                                                  "required": False}]})
    assert survey.status_code == 201, survey.text
    survey = survey.json()
    contact_ids = [c["id"] for c in plant["contacts"]]
    sent = api.post("/surveys/%s/send" % survey["id"], {"customer_id": plant["customer"]["id"],
                                                        "contact_ids": contact_ids})
    assert sent.status_code == 201, sent.text
    assert [r["contact_id"] for r in sent.json()["sent"]] == contact_ids
    invitations = {e["data"]["contact_id"]: dict(e["data"], **secret_of(e))
                   for e in feedback_events("feedback.survey_sent", at_least=2, survey_id=survey["id"])}
    assert invitations[contact_ids[0]]["email"] == "na@buyer.example"
    assert invitations[contact_ids[0]]["survey_title"] == "Delivery satisfaction"
    li, wang = (invitations[c]["link"].rsplit("/s/", 1)[1] for c in contact_ids)

    shown = public(stack, "GET", li, headers={"Accept": "application/json"})
    assert shown.status_code == 200 and [q["kind"] for q in shown.json()["questions"]] == ["rating", "nps", "text"]
    missing = public(stack, "POST", li, json={"answers": {"q1": 4}})
    assert missing.status_code == 422 and "q2" in missing.json()["error"]["fields"]
    answered = public(stack, "POST", li, json={"answers": {"q1": 4, "q2": 3, "q3": "Deliver on time."}})
    assert answered.status_code == 200 and answered.json()["status"] == "received"
    plant["answers"].append({"rating": 4, "nps": 3})
    alert = feedback_events("feedback.low_score_alert", survey_id=survey["id"])[0]["data"]
    assert (alert["contact_id"], alert["nps"]) == (contact_ids[0], 3)
    item = api.get("/feedback/%s" % alert["feedback_id"])
    assert item.status_code == 200
    assert (item.json()["channel"], item.json()["nps"], item.json()["customer_id"]) == (
        "survey", 3, plant["customer"]["id"])

    reused = public(stack, "POST", li, json={"answers": {"q1": 5, "q2": 10}})
    assert reused.status_code == 410 and reused.json()["error"]["code"] == "survey_link_used"
    assert public(stack, "GET", li, headers={"Accept": "application/json"}).status_code == 410

    page = public(stack, "GET", wang, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Delivery satisfaction" in page.text and 'name="q2"' in page.text and "http" not in page.text
    incomplete = public(stack, "POST", wang, data={"q2": "10"})
    assert incomplete.status_code == 422 and "An answer is required" in incomplete.text
    thanks = public(stack, "POST", wang, data={"q1": "5", "q2": "10", "q3": ""})
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    plant["answers"].append({"rating": 5, "nps": 10})
    again = public(stack, "POST", wang, data={"q1": "5", "q2": "10"})
    # a used link's page knows no survey: it speaks the browser's language (Chinese by default)
    assert again.status_code == 410 and "已通过此链接填写过问卷" in again.text
    again = public(stack, "POST", wang, data={"q1": "5", "q2": "10"}, headers={"Accept-Language": "en-US,en"})
    assert again.status_code == 410 and "already answered" in again.text
    assert len(feedback_events("feedback.survey_response_received", at_least=2, survey_id=survey["id"])) == 2
    assert api.get("/surveys/%s" % survey["id"]).json()["response_count"] == 2

    results = api.get("/surveys/%s/results" % survey["id"])
    assert results.status_code == 200, results.text
    results = results.json()
    assert (results["sent"], results["answered"], results["response_rate"]) == (2, 2, 1.0)
    rating, nps, text = results["questions"]
    assert (rating["average"], rating["satisfied_share"]) == (4.5, 1.0)
    assert rating["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert nps["nps"] == {"promoters": 1, "passives": 0, "detractors": 1, "score": 0.0, "count": 2} and nps["average"] == 6.5
    assert text["texts"] == ["Deliver on time."] and text["answered"] == 1
    assert [r["contact_id"] for r in results["responses"]] == [contact_ids[1], contact_ids[0]]
    assert results["responses"][1]["answers"] == {"q1": 4, "q2": 3, "q3": "Deliver on time."}
    assert results["responses"][1]["feedback_id"] == alert["feedback_id"]
    assert api.get("/surveys/no-such-survey/results").status_code == 404


def test_the_satisfaction_report_matches_the_data(plant):
    api = plant["manager"]
    items = api.get("/feedback", params={"site_id": plant["site"]["id"], "limit": 500}).json()["items"]
    assert len(items) == 3
    response = api.get("/reports/satisfaction", params={"site_id": plant["site"]["id"],
                                                        "since": plant["started"].isoformat()})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["feedback"]["total"] == 3
    assert report["feedback"]["by_category"] == {"quality": 1, "delivery": 1, "other": 1}
    assert report["feedback"]["by_severity"] == {"high": 2, "critical": 1}
    assert report["top_categories"][0]["complaints"] == 1 and len(report["top_categories"]) == 3
    ratings = [2] + [a["rating"] for a in plant["answers"]]
    assert report["csat"] == {"average": round(statistics.fmean(ratings), 2), "count": 3,
                              "satisfied_share": round(2 / 3, 4)}
    assert report["nps"] == {"score": 0.0, "promoters": 1, "passives": 0, "detractors": 1, "count": 2}
    assert report["response_rate"] == {"sent": 2, "answered": 2, "rate": 1.0}
    assert report["sla"] == {"met": 1, "missed": 1, "compliance": 0.5}
    resolved = [i for i in items if i["first_resolved_at"]]
    hours = (at(resolved[0]["first_resolved_at"]) - at(resolved[0]["created_at"])).total_seconds() / 3600
    assert report["median_hours_to_resolve"] == round(hours, 2)
    assert sum(m["feedback"] for m in report["trend"]) == 3 and sum(m["responses"] for m in report["trend"]) == 2
    assert {m["month"] for m in report["trend"]} == {i["created_at"][:7] for i in items}
    elsewhere = api.get("/reports/satisfaction", params={"site_id": "no-such-site"})
    assert elsewhere.status_code == 404
