"""Privacy of webhooks, logs and copies kept by notifications (F9, F16, F22, F23; issue items 13, 14, 17).

Through the gateway against the real stack, a hook on ``*`` of one site to a loopback receiver:
- a survey invitation (live single-use link, contact's address) never reaches the hook, and a
  contact's address is stripped from the audit events that do;
- the hook's signing secret is not stored in clear, yet deliveries verify with it;
- a redelivery and a change of notification preferences (the text-message number) are audited;
- the text-message provider's log holds neither the number nor the text;
- a customer's owner on another site gets nothing about it;
- erasing a customer erases the inbox items, e-mails and webhook delivery bodies about it, and its
  deliveries can no longer be replayed.
"""
import json
import types
import uuid

import pytest
from nameko.standalone.events import event_dispatcher

from services.common import signing
from services.customers import events as customers_events
from tests.notifications.receiver import WebhookReceiver, signature_ok
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, create_user, signed_in, unique

NUMBER = "+86139%08d" % (uuid.uuid4().int % 10 ** 8)


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    site, elsewhere = create_site(admin_api, "N"), create_site(admin_api, "M")
    manager = create_user(admin_api, [site["id"]], ["manager"])
    owner = create_user(admin_api, [site["id"]], ["sales"])
    stranger = create_user(admin_api, [elsewhere["id"]], ["sales"])
    with WebhookReceiver() as receiver:
        hook = admin_api.post("/webhooks", {"url": receiver.url, "event_types": ["*"], "site_id": site["id"]})
        assert hook.status_code == 201, hook.text
        yield types.SimpleNamespace(
            site=site["id"], admin=admin_api, manager=signed_in(stack, manager), owner=owner,
            owner_api=signed_in(stack, owner), stranger=stranger, stranger_api=signed_in(stack, stranger),
            receiver=receiver, hook=hook.json())
        admin_api.delete("/webhooks/%s" % hook.json()["id"])


@pytest.fixture
def publish(test_env):
    dispatch = event_dispatcher({"AMQP_URI": test_env["AMQP_URI"], "serializer": "json"})

    def send(event):
        dispatch("customers", event["type"], signing.sign(event))
        return event

    return send


def customer_with_contact(plant):
    customer = create_customer(plant.admin, site_id=plant.site, force=True)
    contact = add_part(plant.admin, customer["id"], "contacts", {
        "name": unique("Li "), "email": "%s@buyer.example" % unique("li")})
    return customer, contact


def followup_due(plant, customer, owner_id, site_id=None):
    return customers_events.event("followup_due", {
        "customer_id": customer["id"], "legal_name": customer["legal_name"], "owner_id": owner_id,
        "due_date": "2026-12-24", "followup_id": uuid.uuid4().hex, "reason": "VIP cadence"},
        site_id=site_id or plant.site, actor="service:customers")


def received(plant, predicate):
    return [(request, json.loads(request["body"])) for request in plant.receiver.received()
            if predicate(json.loads(request["body"]))]


def about(*ids):
    return lambda event: bool({event["data"].get("customer_id"), event["data"].get("entity_id")} & set(ids))


def deliveries(plant):
    response = plant.admin.get("/webhooks/%s/deliveries" % plant.hook["id"], params={"limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def handled(notifications_db, event):
    marker = notifications_db.processed_events.find_one({"_id": "on_customers_event/%s" % event["event_id"]})
    return marker is not None and not marker.get("pending")


def test_survey_links_and_contact_addresses_never_reach_webhooks(plant, smtp_server):
    customer, contact = customer_with_contact(plant)
    [(_, audit)] = eventually(lambda: received(plant, lambda e: e["type"] == "customers.audit"
                                               and e["data"]["entity_id"] == contact["id"]), bool, timeout=30)
    assert audit["data"]["changes"]["name"]["after"] == contact["name"] and "email" not in audit["data"]["changes"]

    survey = plant.manager.post("/surveys", {"title": unique("Survey "), "language": "en", "site_id": plant.site,
                                             "questions": [{"kind": "rating", "text": "How satisfied are you?"}]})
    assert survey.status_code == 201, survey.text
    sent = plant.manager.post("/surveys/%s/send" % survey.json()["id"], {"customer_id": customer["id"],
                                                                       "contact_ids": [contact["id"]]})
    assert sent.status_code == 201, sent.text
    [invitation] = eventually(lambda: smtp_server.to(contact["email"]), bool, timeout=30)
    link = next(word for word in invitation.get_content().split() if "/s/" in word)
    eventually(lambda: received(plant, lambda e: e["type"] == "feedback.audit"
                                and e["data"]["entity_id"] == survey.json()["id"]), bool, timeout=30)

    assert "feedback.survey_sent" not in {d["event_type"] for d in deliveries(plant)}
    for request in plant.receiver.requests:
        assert contact["email"].encode() not in request["body"] and link.encode() not in request["body"]
        assert b'"sealed"' not in request["body"]
    refused = plant.admin.post("/webhooks", {"url": plant.receiver.url, "event_types": ["feedback.survey_sent"],
                                             "site_id": plant.site})
    assert refused.status_code == 422 and "event_types" in refused.json()["error"]["fields"]


def test_the_signing_secret_is_not_stored_in_clear(plant, notifications_db):
    customer_with_contact(plant)
    request = eventually(plant.receiver.received, bool, timeout=30)[0]
    assert signature_ok(plant.hook["secret"], request)
    stored = notifications_db.webhooks.find_one({"_id": plant.hook["id"]})
    assert stored["sealed_secret"] and "secret" not in stored
    assert plant.hook["secret"] not in json.dumps(stored, default=str)


def test_a_redelivery_is_audited(plant):
    customer, _ = customer_with_contact(plant)
    [(request, _)] = eventually(lambda: received(plant, lambda e: e["type"] == "customers.customer_created"
                                                 and e["data"]["customer_id"] == customer["id"]), bool, timeout=30)
    again = plant.admin.post("/deliveries/%s/redeliver" % request["headers"]["X-CRM-Delivery"])
    assert again.status_code == 202, again.text
    [entry] = eventually(lambda: plant.admin.get("/audit", params={
        "entity_type": "webhook_delivery", "entity_id": again.json()["id"]}).json()["items"], bool, timeout=30)
    assert entry["action"] == "redelivered" and entry["actor"] == plant.admin.get("/me").json()["id"]
    assert entry["changes"]["redelivery_of"]["after"] == request["headers"]["X-CRM-Delivery"]


def test_preference_changes_are_audited_and_texts_are_not_logged_in_clear(stack, plant, publish):
    current = plant.owner_api.get("/notifications/preferences").json()
    changed = plant.owner_api.put("/notifications/preferences", {
        "email_kinds": current["email_kinds"], "sms_kinds": ["followup_due"], "sms_number": NUMBER,
        "version": current["version"]})
    assert changed.status_code == 200, changed.text
    [entry] = eventually(lambda: plant.admin.get("/audit", params={
        "entity_type": "notification_preferences", "entity_id": plant.owner["id"]}).json()["items"], bool,
        timeout=30)
    masked = NUMBER[:3] + "*" * (len(NUMBER) - 7) + NUMBER[-4:]
    assert entry["actor"] == plant.owner["id"] and entry["changes"]["sms_number"] == {"before": None,
                                                                                      "after": masked}
    assert entry["changes"]["sms_kinds"] == {"before": [], "after": ["followup_due"]}

    customer, _ = customer_with_contact(plant)
    publish(followup_due(plant, customer, plant.owner["id"]))

    def log():
        with open(stack.log_path("notifications"), encoding="utf-8", errors="replace") as f:
            return f.read()

    eventually(log, lambda text: masked in text, timeout=30)
    name = customer["legal_name"]
    assert NUMBER not in log() and name not in log() and json.dumps(name)[1:-1] not in log()


def test_the_owner_on_another_site_gets_nothing_about_this_sites_customer(plant, publish, notifications_db):
    customer, _ = customer_with_contact(plant)
    foreign = publish(followup_due(plant, customer, plant.stranger["id"]))
    control = publish(followup_due(plant, customer, plant.owner["id"]))
    eventually(lambda: handled(notifications_db, foreign) and handled(notifications_db, control), bool, timeout=30)
    mine = plant.owner_api.get("/notifications", params={"limit": 500}).json()["items"]
    assert control["event_id"] in {item["event_id"] for item in mine}
    theirs = plant.stranger_api.get("/notifications", params={"limit": 500}).json()["items"]
    assert foreign["event_id"] not in {item["event_id"] for item in theirs}
    assert notifications_db.emails.count_documents({"event_id": foreign["event_id"]}) == 0


def test_erasing_a_customer_erases_notifications_copies(plant, publish, notifications_db):
    customer, contact = customer_with_contact(plant)
    due = publish(followup_due(plant, customer, plant.owner["id"]))
    eventually(lambda: plant.owner_api.get("/notifications", params={"limit": 500}).json()["items"],
               lambda items: due["event_id"] in {item["event_id"] for item in items}, timeout=30)
    kept = eventually(lambda: received(plant, about(customer["id"], contact["id"])),
                      lambda found: {"customers.customer_created", "customers.followup_due", "customers.audit"}
                      <= {event["type"] for _, event in found} and any(  # the contact's own audit too
                          event["data"].get("entity_id") == contact["id"] for _, event in found), timeout=30)
    delivery_ids = {request["headers"]["X-CRM-Delivery"] for request, _ in kept}

    def stored():
        return json.dumps(list(notifications_db.deliveries.find({"_id": {"$in": list(delivery_ids)}})), default=str,
                          ensure_ascii=False)

    assert customer["legal_name"] in stored() and contact["name"] in stored()
    assert plant.admin.delete("/customers/%s" % customer["id"], params={"erase": "true"}).status_code == 204

    eventually(lambda: plant.owner_api.get("/notifications", params={"limit": 500}).json()["items"],
               lambda items: due["event_id"] not in {item["event_id"] for item in items}, timeout=30)
    erased = eventually(lambda: {d["id"]: d for d in deliveries(plant) if d["id"] in delivery_ids},
                        lambda found: len(found) == len(delivery_ids) and all(d["erased"] for d in found.values()),
                        timeout=30)
    refused = plant.admin.post("/deliveries/%s/redeliver" % next(iter(erased)))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "delivery_erased"

    assert customer["legal_name"] not in stored() and contact["name"] not in stored()
    mail = notifications_db.emails.find_one({"event_id": due["event_id"]})
    assert mail["subject"] == "(erased)" and "body" not in mail
