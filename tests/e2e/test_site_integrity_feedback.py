"""Feedback and webhooks keep to live sites and live assignees, through the gateway on the real stack.

- Writes naming an unknown or a disabled site are 422 on ``site_id`` (``unknown_site``,
  ``site_disabled``): feedback for a customer of a disabled site, surveys, feedback settings,
  webhooks created or changed. A disabled site's feedback stays readable.
- Feedback whose assignee is disabled or moved to another site goes back to its site's queue
  (no assignee, status open, ``assignee_left``) and the site's manager is told; assigning feedback
  to a deleted user or to one of another site is 422 on ``assignee_id``.
"""
import types
import uuid

import pytest

from tests.support.api import eventually
from tests.support.customers import create_customer, create_site, create_user, signed_in, unique

QUESTIONS = [{"kind": "rating", "text": "How satisfied are you?"}]
UNKNOWN_SITE = uuid.uuid4().hex


def disable_site(admin_api, site):
    response = admin_api.patch("/sites/%s" % site["id"], {"status": "disabled", "version": site["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def learnt_disabled(admin_api, path, stale_change):
    """Wait until the service behind ``path`` learnt that the site is disabled: a change with a stale
    version (409 while the site is active, so nothing is written) becomes 422 ``site_disabled``."""
    eventually(lambda: admin_api.patch(path, stale_change), lambda r: r.status_code == 422, timeout=30)


def complaint(customer):
    return {"customer_id": customer["id"], "channel": "phone", "type": "complaint", "category": "quality",
            "text": "Seals leak."}


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    """Site A (active, with a manager, a customer and three engineers) and site C, disabled after a
    customer, an item and a webhook were recorded for it."""
    site_a, site_b, site_c = (create_site(admin_api, label) for label in ("A", "B", "C"))
    manager = signed_in(stack, create_user(admin_api, [site_a["id"]], ["manager"]))
    customer_a = create_customer(admin_api, site_id=site_a["id"])
    customer_c = create_customer(admin_api, site_id=site_c["id"])
    item_c = admin_api.post("/feedback", complaint(customer_c))
    assert item_c.status_code == 201, item_c.text
    hook_c = admin_api.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "event_types": ["feedback.*"],
                                          "site_id": site_c["id"]})
    assert hook_c.status_code == 201, hook_c.text
    disable_site(admin_api, site_c)
    learnt_disabled(admin_api, "/feedback/%s" % item_c.json()["id"], {"version": 0, "subject": "probe"})
    learnt_disabled(admin_api, "/webhooks/%s" % hook_c.json()["id"], {"version": 0, "description": "probe"})
    return types.SimpleNamespace(
        admin=admin_api, a=site_a["id"], b=site_b["id"], c=site_c["id"], manager=manager,
        customer_a=customer_a, customer_c=customer_c, item_c=item_c.json(), hook_c=hook_c.json(),
        engineer=lambda: create_user(admin_api, [site_a["id"]], ["service"]))


def assert_refused(response, code):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and list(error["fields"]) == ["site_id"], error


def test_feedback_for_a_customer_of_a_disabled_site_is_refused_and_its_items_stay_readable(plant):
    assert_refused(plant.admin.post("/feedback", complaint(plant.customer_c)), "site_disabled")
    item = plant.admin.get("/feedback/%s" % plant.item_c["id"])
    assert item.status_code == 200 and item.json()["site_id"] == plant.c
    change = plant.admin.patch("/feedback/%s" % plant.item_c["id"], {"version": item.json()["version"],
                                                                     "subject": "Still leaking"})
    assert_refused(change, "site_disabled")
    assert plant.admin.post("/feedback", complaint(plant.customer_a)).status_code == 201


def test_surveys_need_a_known_active_site(plant):
    def survey(site_id):
        return plant.admin.post("/surveys", {"title": unique("Q "), "language": "en", "site_id": site_id,
                                             "questions": QUESTIONS})

    assert_refused(survey(plant.c), "site_disabled")
    assert_refused(survey(UNKNOWN_SITE), "unknown_site")
    assert survey(plant.a).status_code == 201


def test_feedback_settings_need_a_known_active_site(plant):
    body = {"version": 0, "sla_hours": {"critical": 2}}
    assert_refused(plant.admin.put("/feedback/settings/%s" % plant.c, body), "site_disabled")
    assert_refused(plant.admin.put("/feedback/settings/%s" % UNKNOWN_SITE, body), "unknown_site")
    assert plant.admin.get("/feedback/settings/%s" % plant.c).status_code == 200


def test_webhooks_are_created_and_changed_on_known_active_sites_only(plant):
    def create(site_id):
        return plant.admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "event_types": ["customers.*"],
                                              "site_id": site_id})

    assert_refused(create(plant.c), "site_disabled")
    assert_refused(create(UNKNOWN_SITE), "unknown_site")
    hook = create(plant.a)
    assert hook.status_code == 201, hook.text
    path = "/webhooks/%s" % hook.json()["id"]
    assert_refused(plant.admin.patch(path, {"version": 1, "site_id": plant.c}), "site_disabled")
    assert_refused(plant.admin.patch(path, {"version": 1, "site_id": UNKNOWN_SITE}), "unknown_site")
    changed = plant.admin.patch(path, {"version": 1, "description": "ERP", "site_id": plant.b})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["site_id"], changed.json()["description"], changed.json()["version"]) == (plant.b, "ERP", 2)
    assert plant.admin.patch(path, {"version": 1, "description": "Old"}).status_code == 409

    stuck = "/webhooks/%s" % plant.hook_c["id"]
    assert_refused(plant.admin.patch(stuck, {"version": 1, "description": "x"}), "site_disabled")
    moved = plant.admin.patch(stuck, {"version": 1, "site_id": plant.a})
    assert moved.status_code == 200 and moved.json()["site_id"] == plant.a, moved.text
    assert plant.admin.delete(stuck).status_code == 204


def assigned_item(plant, engineer):
    created = plant.admin.post("/feedback", complaint(plant.customer_a))
    assert created.status_code == 201, created.text
    item = created.json()
    assigned = plant.admin.patch("/feedback/%s" % item["id"], {"version": item["version"],
                                                               "assignee_id": engineer["id"]})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned"
    return assigned.json()


def change_user(plant, user, changes):
    current = plant.admin.get("/users/%s" % user["id"])
    assert current.status_code == 200, current.text
    response = plant.admin.patch("/users/%s" % user["id"], dict(changes, version=current.json()["version"]))
    assert response.status_code == 200, response.text


def back_in_the_queue(plant, item, engineer):
    returned = eventually(lambda: plant.admin.get("/feedback/%s" % item["id"]).json(),
                          lambda found: found["assignee_id"] is None, timeout=30)
    assert returned["status"] == "open" and returned["assignee_left"]["user_id"] == engineer["id"]
    assert returned["history"][-1]["to"] == "open" and returned["history"][-1]["by"] == "service:feedback"
    return returned


def test_feedback_of_a_disabled_engineer_goes_back_to_the_queue_and_the_manager_is_told(plant):
    engineer = plant.engineer()
    item = assigned_item(plant, engineer)
    change_user(plant, engineer, {"status": "disabled"})
    back_in_the_queue(plant, item, engineer)
    told = eventually(lambda: plant.manager.get("/notifications").json()["items"],
                      lambda items: any(i["kind"] == "feedback_assigned" and i["link"] == "/feedback/%s" % item["id"]
                                        for i in items), timeout=30)
    titles = [i["title"] for i in told if i["link"] == "/feedback/%s" % item["id"]]
    assert any("queue" in title or "退回待分派" in title for title in titles), titles  # en or zh-CN


def test_feedback_of_an_engineer_moved_to_another_site_goes_back_and_cannot_be_given_again(plant):
    engineer = plant.engineer()
    item = assigned_item(plant, engineer)
    change_user(plant, engineer, {"sites": [plant.b]})
    returned = back_in_the_queue(plant, item, engineer)
    again = plant.admin.patch("/feedback/%s" % item["id"], {"version": returned["version"],
                                                            "assignee_id": engineer["id"]})
    assert again.status_code == 422 and list(again.json()["error"]["fields"]) == ["assignee_id"], again.text


def test_feedback_cannot_be_assigned_to_a_deleted_user(plant):
    engineer = plant.engineer()
    deleted = plant.admin.delete("/users/%s" % engineer["id"], params={"confirm": engineer["username"]})
    assert deleted.status_code == 204, deleted.text
    created = plant.admin.post("/feedback", complaint(plant.customer_a)).json()
    refused = plant.admin.patch("/feedback/%s" % created["id"], {"version": created["version"],
                                                                 "assignee_id": engineer["id"]})
    assert refused.status_code == 422 and list(refused.json()["error"]["fields"]) == ["assignee_id"], refused.text


def test_a_site_with_feedback_surveys_or_webhooks_cannot_be_deleted(plant):
    site = create_site(plant.admin, "D")
    customer = create_customer(plant.admin, site_id=site["id"])
    assert plant.admin.post("/feedback", complaint(customer)).status_code == 201
    assert plant.admin.post("/surveys", {"title": unique("Q "), "language": "en", "site_id": site["id"],
                                         "questions": QUESTIONS}).status_code == 201
    hook = plant.admin.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "event_types": ["feedback.*"],
                                          "site_id": site["id"]}).json()
    disable_site(plant.admin, site)

    def counts():
        response = plant.admin.delete("/sites/%s" % site["id"], params={"confirm": site["code"]})
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "site_in_use"
        return response.json()["error"]["counts"]

    found = counts()
    assert (found["feedback.feedback"], found["feedback.surveys"], found["notifications.webhooks"]) == (1, 1, 1)
    assert plant.admin.delete("/webhooks/%s" % hook["id"]).status_code == 204
    assert "notifications.webhooks" not in counts()


def test_a_survey_moved_out_of_a_disabled_site_no_longer_keeps_it_from_being_deleted(plant):
    site = create_site(plant.admin, "E")
    created = plant.admin.post("/surveys", {"title": unique("Q "), "language": "en", "site_id": site["id"],
                                            "questions": QUESTIONS})
    assert created.status_code == 201, created.text
    survey = created.json()
    disable_site(plant.admin, site)
    path = "/sites/%s" % site["id"]

    in_use = plant.admin.delete(path, params={"confirm": site["code"]})
    assert in_use.status_code == 409, in_use.text
    assert in_use.json()["error"]["code"] == "site_in_use"
    assert in_use.json()["error"]["counts"] == {"feedback.surveys": 1}

    moved = plant.admin.patch("/surveys/%s" % survey["id"], {"site_id": plant.a, "version": survey["version"]})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["site_id"], moved.json()["version"]) == (plant.a, survey["version"] + 1)
    stale = plant.admin.patch("/surveys/%s" % survey["id"], {"site_id": plant.b, "version": survey["version"]})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version", stale.text
    assert plant.admin.get("/surveys/%s" % survey["id"]).json()["site_id"] == plant.a
    eventually(lambda: plant.admin.delete(path, params={"confirm": site["code"]}), lambda r: r.status_code == 204,
               timeout=30)
