"""Feedback stays within sites (F5, F12 feedback side; issue item 2).

Attacks through the gateway on the real stack:
- a survey of site A sent to a customer of site B (the answers then showed in A's results);
- a customer moved from A to B: its complaints and survey answers must leave site A's reads,
  lists, results and report, and reach site B's (feedback learns it from
  ``customers.customer_moved``);
- an erased customer: the survey answers and feedback kept about it no longer say which contact
  gave them (from ``customers.customer_erased``).
Mails come through the test SMTP sink, the only place a survey link is readable.
"""
import re
import types

import pytest
import requests

from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, create_user, signed_in, unique

LINK = re.compile(r"http://crm\.test/s/([A-Za-z0-9_-]+)")
QUESTIONS = [{"kind": "rating", "text": "How satisfied are you?"},
             {"kind": "text", "text": "What should we improve?", "required": False}]


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")

    def member(site, role):
        return signed_in(stack, create_user(admin_api, [site["id"]], [role]))

    return types.SimpleNamespace(a=site_a["id"], b=site_b["id"], admin=admin_api, stack=stack,
                                 viewer_a=member(site_a, "viewer"), viewer_b=member(site_b, "viewer"))


def customer_with_contact(plant, site_id):
    customer = create_customer(plant.admin, site_id=site_id)
    email = "%s@buyer.example" % unique("c.")
    contact = add_part(plant.admin, customer["id"], "contacts", {"name": "Zhao %s" % unique(), "email": email})
    return customer, contact


def survey_of(plant, site_id):
    created = plant.admin.post("/surveys", {"title": unique("Delivery "), "language": "en", "site_id": site_id,
                                            "questions": QUESTIONS})
    assert created.status_code == 201, created.text
    return created.json()


def answer_by_mail(plant, smtp_server, survey, customer, contact, answers):
    sent = plant.admin.post("/surveys/%s/send" % survey["id"], {"customer_id": customer["id"],
                                                                "contact_ids": [contact["id"]]})
    assert sent.status_code == 201, sent.text
    [mail] = eventually(lambda: smtp_server.to(contact["email"]), bool, timeout=30)
    token = LINK.search(mail.get_content()).group(1)
    answered = requests.post("%s/s/%s" % (plant.stack.url, token), json={"answers": answers}, timeout=20)
    assert answered.status_code == 200, answered.text


def results(api, survey):
    response = api.get("/surveys/%s/results" % survey["id"])
    assert response.status_code == 200, response.text
    return response.json()


def test_a_survey_is_not_sent_to_a_customer_of_another_site(plant):
    survey = survey_of(plant, plant.a)
    customer, contact = customer_with_contact(plant, plant.b)
    attack = plant.admin.post("/surveys/%s/send" % survey["id"], {"customer_id": customer["id"],
                                                                  "contact_ids": [contact["id"]]})
    assert attack.status_code == 422, attack.text
    assert "customer_id" in attack.json()["error"]["fields"]
    assert results(plant.viewer_a, survey)["sent"] == 0
    assert plant.admin.get("/surveys/%s" % survey["id"]).json()["sent_count"] == 0


def test_a_moved_customer_takes_its_feedback_and_answers_to_its_new_site(plant, smtp_server):
    customer, contact = customer_with_contact(plant, plant.a)
    survey = survey_of(plant, plant.a)
    answer_by_mail(plant, smtp_server, survey, customer, contact, {"q1": 1, "q2": "Late again."})
    complaint = plant.admin.post("/feedback", {"customer_id": customer["id"], "contact_id": contact["id"],
                                               "channel": "phone", "type": "complaint", "category": "quality",
                                               "text": "Cracked housings."})
    assert complaint.status_code == 201, complaint.text
    low_score = eventually(lambda: plant.viewer_a.get("/feedback", params={"customer_id": customer["id"]}).json(),
                           lambda page: len(page["items"]) == 2)
    item_ids = {item["id"] for item in low_score["items"]}
    assert [r["customer_id"] for r in results(plant.viewer_a, survey)["responses"]] == [customer["id"]]
    assert plant.viewer_b.get("/feedback/%s" % complaint.json()["id"]).status_code == 404

    current = plant.admin.get("/customers/%s" % customer["id"]).json()
    moved = plant.admin.patch("/customers/%s" % customer["id"], {"site_id": plant.b, "version": current["version"]})
    assert moved.status_code == 200, moved.text

    for item_id in item_ids:
        eventually(lambda: plant.viewer_a.get("/feedback/%s" % item_id).status_code, lambda status: status == 404)
        shown = plant.viewer_b.get("/feedback/%s" % item_id)
        assert shown.status_code == 200 and shown.json()["site_id"] == plant.b, shown.text
    assert plant.viewer_a.get("/feedback", params={"customer_id": customer["id"]}).json()["items"] == []
    listed_b = plant.viewer_b.get("/feedback", params={"customer_id": customer["id"]}).json()
    assert {item["id"] for item in listed_b["items"]} == item_ids
    left = eventually(lambda: results(plant.viewer_a, survey), lambda r: r["sent"] == 0)
    assert left["responses"] == [] and left["questions"][0]["answered"] == 0
    report_a = plant.viewer_a.get("/reports/satisfaction", params={"site_id": plant.a}).json()
    assert report_a["response_rate"]["sent"] == 0 and report_a["feedback"]["total"] == 0
    report_b = plant.viewer_b.get("/reports/satisfaction", params={"site_id": plant.b}).json()
    assert report_b["response_rate"] == {"sent": 1, "answered": 1, "rate": 1.0}
    assert report_b["feedback"]["total"] == 2 and report_b["csat"]["count"] == 1
    assert [r["customer_id"] for r in results(plant.admin, survey)["responses"]] == [customer["id"]]


def test_an_erased_customers_feedback_no_longer_names_its_contacts(plant, smtp_server):
    customer, contact = customer_with_contact(plant, plant.a)
    survey = survey_of(plant, plant.a)
    answer_by_mail(plant, smtp_server, survey, customer, contact, {"q1": 4, "q2": "Fine."})
    item = plant.admin.post("/feedback", {"customer_id": customer["id"], "contact_id": contact["id"],
                                          "channel": "phone", "type": "praise", "category": "quality",
                                          "text": "Good service."})
    assert item.status_code == 201, item.text
    [response] = results(plant.admin, survey)["responses"]
    assert (response["contact_id"], response["name"]) == (contact["id"], contact["name"])

    erased = plant.admin.delete("/customers/%s" % customer["id"], params={"erase": "true"})
    assert erased.status_code == 204, erased.text

    anonymous = eventually(lambda: results(plant.admin, survey)["responses"],
                           lambda found: found and found[0]["name"] is None)
    assert anonymous[0]["contact_id"] is None and anonymous[0]["answers"] == {"q1": 4, "q2": "Fine."}
    assert results(plant.admin, survey)["answered"] == 1
    kept = eventually(lambda: plant.admin.get("/feedback/%s" % item.json()["id"]).json(),
                      lambda found: found["contact_id"] is None)
    assert kept["text"] == "Good service." and kept["customer_id"] == customer["id"]
