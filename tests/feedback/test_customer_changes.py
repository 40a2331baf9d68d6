"""Feedback follows a customer to its new site and forgets its contacts on erasure (real DB)."""
import datetime
import uuid

import pytest

from services.common.auth import Caller
from services.common.errors import Forbidden, NotFound, ValidationFailed
from services.feedback import customer_changes, items, settings, store, surveys
from tests.support.sites import known_sites

NOW = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.timezone.utc)
READER_A = Caller("u-a", ["site-a"], ["feedback:read"])
READER_B = Caller("u-b", ["site-b"], ["feedback:read"])
HQ = Caller("u-hq", [], ["feedback:read", "sites:all"])


@pytest.fixture
def db(db_factory):
    database = db_factory("feedback")
    store.ensure_indexes(database)
    known_sites(database, "site-a", "site-b")
    return database


def add_item(db, customer_id, site_id, contact_id="k1"):
    data = {"customer_id": customer_id, "contact_id": contact_id, "channel": "phone", "type": "complaint",
            "category": "quality", "severity": "normal", "text": "Leaks."}
    item = items.new_item(data, site_id, NOW + datetime.timedelta(days=3), "u-a", NOW)
    store.insert_feedback(db, item)
    return item["_id"]


def add_link(db, survey_id, customer_id, site_id, contact_id, answers=None):
    link = {"_id": uuid.uuid4().hex, "link_id": uuid.uuid4().hex, "survey_id": survey_id, "site_id": site_id,
            "customer_id": customer_id, "contact_id": contact_id, "name": "Name %s" % contact_id,
            "email": "%s@buyer.example" % contact_id, "created_at": NOW, "updated_at": NOW, "version": 1,
            "expires_at": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30),
            "used_at": NOW if answers else None, "answered_at": NOW if answers else None, "answers": answers,
            "rating": (answers or {}).get("q1"), "nps": None, "feedback_id": None}
    store.insert_links(db, [link])
    return link


def add_survey(db, site_id):
    survey = {"_id": uuid.uuid4().hex, "site_id": site_id, "title": "After delivery", "language": "en",
              "questions": [{"id": "q1", "kind": "rating", "text": "Satisfied?", "required": True}],
              "created_at": NOW, "updated_at": NOW, "version": 1}
    store.insert_survey(db, survey)
    return survey["_id"]


def moved(customer_id, event_id="e1"):
    return {"event_id": event_id, "type": "customers.customer_moved", "actor": "u-admin", "site_id": "site-b",
            "data": {"customer_id": customer_id, "from_site_id": "site-a", "to_site_id": "site-b"}}


def test_a_move_takes_the_customers_items_and_links_to_the_new_site(db):
    mine, other = add_item(db, "c1", "site-a"), add_item(db, "c2", "site-a")
    survey = add_survey(db, "site-a")
    add_link(db, survey, "c1", "site-a", "k1", {"q1": 2})
    add_link(db, survey, "c2", "site-a", "k2", {"q1": 5})
    assert customer_changes.move_customer(db, moved("c1")) == 1
    assert store.find_feedback(db, mine)["site_id"] == "site-b"
    assert store.find_feedback(db, other)["site_id"] == "site-a"
    with pytest.raises(NotFound):
        items.get_feedback(db, READER_A, mine)
    assert items.get_feedback(db, READER_B, mine)["site_id"] == "site-b"
    assert [i["id"] for i in items.list_feedback(db, READER_A, {}, 50, None)["items"]] == [other]
    assert [r["customer_id"] for r in surveys.survey_results(db, READER_A, survey)["responses"]] == ["c2"]
    assert {r["customer_id"] for r in surveys.survey_results(db, HQ, survey)["responses"]} == {"c1", "c2"}
    assert customer_changes.move_customer(db, moved("c1", "e2")) == 0


def test_the_move_is_audited_per_item_by_the_mover(db):
    mine = add_item(db, "c1", "site-a")
    customer_changes.move_customer(db, moved("c1"))
    outbox = db.feedback.find_one({"_id": mine})["_outbox"]
    audit = [e for e in outbox if e["type"] == "feedback.audit" and e["data"]["action"] == "moved"]
    assert len(audit) == 1 and audit[0]["actor"] == "u-admin" and audit[0]["site_id"] == "site-b"
    assert audit[0]["data"]["changes"] == {"site_id": {"before": "site-a", "after": "site-b"}}


def test_an_erasure_blanks_the_contacts_and_keeps_the_anonymised_answers(db):
    item, kept = add_item(db, "c1", "site-a"), add_item(db, "c2", "site-a")
    survey = add_survey(db, "site-a")
    answered = add_link(db, survey, "c1", "site-a", "k1", {"q1": 2})
    live = add_link(db, survey, "c1", "site-a", "k3")
    add_link(db, survey, "c2", "site-a", "k2", {"q1": 5})
    customer_changes.erase_customer(db, {"event_id": "e3", "data": {"customer_id": "c1", "contact_ids": ["k1", "k3"]}})
    for link_id in (answered["_id"], live["_id"]):
        link = store.find_link(db, link_id)
        assert (link["name"], link["email"], link["contact_id"]) == (None, None, None)
    assert store.find_link(db, answered["_id"])["answers"] == {"q1": 2}
    assert store.find_link(db, live["_id"])["expires_at"].replace(tzinfo=None) <= datetime.datetime.utcnow()
    assert store.find_feedback(db, item)["contact_id"] is None
    assert store.find_feedback(db, kept)["contact_id"] == "k1"
    results = surveys.survey_results(db, READER_A, survey)
    assert results["answered"] == 2 and {r["name"] for r in results["responses"]} == {None, "Name k2"}


def test_feedback_settings_change_only_with_settings_write(db):
    handler = Caller("u-s", ["site-a"], ["feedback:read", "feedback:write"])
    with pytest.raises(Forbidden) as refused:
        settings.update_settings(db, handler, "site-a", {"version": 0, "sla_hours": {"critical": 8760}})
    assert refused.value.extra == {"permission": "settings:write"}
    manager = Caller("u-m", ["site-a"], ["feedback:read", "settings:write"])
    saved = settings.update_settings(db, manager, "site-a", {"version": 0, "sla_hours": {"critical": 2}})
    assert saved["sla_hours"]["critical"] == 2


def test_a_survey_goes_only_to_customers_of_its_site(db, monkeypatch):
    survey = add_survey(db, "site-a")
    monkeypatch.setattr(surveys.peers, "customer", lambda caller, cid: {"id": cid, "site_id": "site-b"})
    monkeypatch.setattr(surveys.peers, "contacts", lambda *args: pytest.fail("contacts asked"))
    hq = Caller("u-hq", [], ["feedback:write", "sites:all"])
    with pytest.raises(ValidationFailed) as refused:
        surveys.send_survey(db, hq, survey, {"customer_id": "c9", "contact_ids": ["k9"]})
    assert "customer_id" in refused.value.fields
    assert store.count_links(db, {"survey_id": survey}) == 0


def test_an_erased_customers_items_and_links_no_longer_keep_its_site_from_being_deleted(db):
    erased, kept = add_item(db, "c1", "site-a"), add_item(db, "c2", "site-a")
    survey = add_survey(db, "site-a")
    add_link(db, survey, "c1", "site-a", "k1", answers={"q1": 2})
    add_link(db, survey, "c2", "site-a", "k2")
    before = store.count_site_records(db, "site-a")
    assert (before["feedback"], before["survey_links"]) == (2, 2)

    event = {"event_id": "e-erase", "type": "customers.customer_erased", "site_id": "site-a",
             "data": {"customer_id": "c1", "contact_ids": ["k1"], "records": {}, "fields": []}}
    customer_changes.erase_customer(db, event)
    customer_changes.erase_customer(db, event)
    assert store.count_site_records(db, "site-a") == {"feedback": 1, "surveys": 1, "survey_links": 1}
    assert store.find_feedback(db, erased)["customer_erased"] is True
    assert "customer_erased" not in store.find_feedback(db, kept)
