"""Every feedback write naming a site needs a known, active site; ``site_usage`` counts what a site
still holds (real DB, the replica of accounts' sites seeded, accounts itself stubbed)."""
import datetime

import pytest

from services.common.auth import Caller
from services.common.errors import Forbidden, ValidationFailed
from services.feedback import items, settings, site_usage, store, surveys
from tests.support.sites import accounts_knows_no_other_site, known_sites, refused_on_site

NOW = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.timezone.utc)
WRITER = ["feedback:read", "feedback:write", "settings:write", "customers:read", "contacts:read", "sites:all"]
HQ = Caller("hq", [], WRITER)
SITE_ADMIN = Caller("root", [], ["sites:admin", "sites:all"])
QUESTIONS = [{"kind": "rating", "text": "Satisfied?"}]
FEEDBACK = {"customer_id": "c1", "channel": "phone", "type": "complaint", "category": "quality", "text": "Leaks."}


@pytest.fixture
def db(db_factory, monkeypatch):
    database = db_factory("feedback")
    store.ensure_indexes(database)
    known_sites(database, "live")
    known_sites(database, "closed", status="disabled")
    accounts_knows_no_other_site(monkeypatch)
    return database


def add_item(db, site_id):
    item = items.new_item(dict(FEEDBACK, severity="normal"), site_id, NOW + datetime.timedelta(days=3), "hq", NOW)
    store.insert_feedback(db, item)
    return item


def test_feedback_for_a_customer_of_a_disabled_or_unknown_site_is_refused(db, monkeypatch):
    site_of_customer = {}
    monkeypatch.setattr(items.peers, "customer", lambda caller, cid: {"id": cid, "site_id": site_of_customer["id"]})
    site_of_customer["id"] = "closed"
    assert refused_on_site(items.create_feedback, db, HQ, dict(FEEDBACK)).code == "site_disabled"
    site_of_customer["id"] = "gone"
    assert refused_on_site(items.create_feedback, db, HQ, dict(FEEDBACK)).code == "unknown_site"
    assert store.count_feedback(db, {}) == 0
    site_of_customer["id"] = "live"
    assert items.create_feedback(db, HQ, dict(FEEDBACK))["site_id"] == "live"


def test_items_of_a_disabled_site_stay_readable_but_cannot_change(db):
    item = add_item(db, "closed")
    assert items.get_feedback(db, HQ, item["_id"])["site_id"] == "closed"
    change, response = {"version": 1, "subject": "New"}, {"kind": "note", "text": "Seen."}
    assert refused_on_site(items.update_feedback, db, HQ, item["_id"], change).code == "site_disabled"
    assert refused_on_site(items.add_response, db, HQ, item["_id"], response).code == "site_disabled"
    assert store.find_feedback(db, item["_id"])["version"] == 1


def test_surveys_need_an_active_site_to_be_created_and_sent(db, monkeypatch):
    assert refused_on_site(surveys.create_survey, db, HQ, {"title": "Q", "site_id": "closed",
                                                   "questions": QUESTIONS}).code == "site_disabled"
    assert refused_on_site(surveys.create_survey, db, HQ, {"title": "Q", "site_id": "gone",
                                                   "questions": QUESTIONS}).code == "unknown_site"
    survey = surveys.create_survey(db, HQ, {"title": "Q", "site_id": "live", "questions": QUESTIONS})
    db.surveys.update_one({"_id": survey["id"]}, {"$set": {"site_id": "closed"}})
    monkeypatch.setattr(surveys.peers, "customer", lambda *args: pytest.fail("customers asked"))
    assert refused_on_site(surveys.send_survey, db, HQ, survey["id"], {"customer_id": "c1",
                                                               "contact_ids": ["k1"]}).code == "site_disabled"
    assert store.count_links(db, {}) == 0


def test_settings_of_a_disabled_or_unknown_site_cannot_change(db):
    change = {"version": 0, "sla_hours": {"critical": 2}}
    assert refused_on_site(settings.update_settings, db, HQ, "closed", dict(change)).code == "site_disabled"
    assert refused_on_site(settings.update_settings, db, HQ, "gone", dict(change)).code == "unknown_site"
    assert settings.get_settings(db, HQ, "closed")["site_id"] == "closed"
    assert settings.update_settings(db, HQ, "live", dict(change))["sla_hours"]["critical"] == 2


def test_site_usage_counts_items_surveys_and_links_of_the_site_only(db):
    add_item(db, "closed")
    add_item(db, "closed")
    add_item(db, "live")
    db.surveys.insert_one({"_id": "sv1", "site_id": "closed", "created_at": NOW})
    db.survey_links.insert_one({"_id": "l1", "survey_id": "sv1", "site_id": "closed", "created_at": NOW})
    assert site_usage.site_usage(db, SITE_ADMIN, "closed") == {
        "counts": {"feedback": 2, "surveys": 1, "survey_links": 1}}
    assert site_usage.site_usage(db, SITE_ADMIN, "empty") == {"counts": {}}


def test_site_usage_needs_sites_admin_and_sites_all(db):
    for caller in (Caller("a", [], ["sites:all"]), Caller("b", ["closed"], ["sites:admin"])):
        with pytest.raises(Forbidden):
            site_usage.site_usage(db, caller, "closed")
    with pytest.raises(ValidationFailed):
        site_usage.site_usage(db, SITE_ADMIN, 42)
