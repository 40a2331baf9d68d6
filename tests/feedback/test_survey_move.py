"""A survey moves to another of the caller's active sites, so a retired site can be emptied (real DB,
the replica of accounts' sites seeded, accounts itself stubbed)."""
import datetime

import pytest

from services.common.auth import Caller
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.feedback import site_usage, store, surveys
from tests.support.sites import accounts_knows_no_other_site, known_sites, refused_on_site

QUESTIONS = [{"kind": "rating", "text": "Satisfied?"}]
WRITER = ["feedback:read", "feedback:write"]
HQ = Caller("hq", [], WRITER + ["sites:all"])
PLANT_A = Caller("u-a", ["site-a", "site-b"], WRITER)
PLANT_C = Caller("u-c", ["site-c"], WRITER)
READER = Caller("u-r", ["site-a", "site-b"], ["feedback:read"])
SITE_ADMIN = Caller("root", [], ["sites:admin", "sites:all"])


@pytest.fixture
def db(db_factory, monkeypatch):
    database = db_factory("feedback")
    store.ensure_indexes(database)
    known_sites(database, "site-a", "site-b", "site-c")
    known_sites(database, "closed", status="disabled")
    accounts_knows_no_other_site(monkeypatch)
    return database


def new_survey(db, site_id="site-a"):
    return surveys.create_survey(db, HQ, {"title": "After delivery", "site_id": site_id, "questions": QUESTIONS})


def survey_at_disabled_site(db):
    survey = new_survey(db)
    db.surveys.update_one({"_id": survey["id"]}, {"$set": {"site_id": "closed"}})
    return dict(survey, site_id="closed")


def moves_of(db, survey_id):
    outbox = db.surveys.find_one({"_id": survey_id})["_outbox"]
    return [e for e in outbox if e["type"] == "feedback.audit" and e["data"]["action"] == "moved"]


def test_a_survey_moves_to_another_of_the_callers_sites_and_its_version_goes_up(db):
    survey = new_survey(db)
    moved = surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-b", "version": 1})
    assert (moved["id"], moved["site_id"], moved["version"]) == (survey["id"], "site-b", 2)
    assert moved["title"] == "After delivery" and moved["questions"] == survey["questions"]
    assert surveys.get_survey(db, PLANT_A, survey["id"])["site_id"] == "site-b"
    assert [s["id"] for s in surveys.list_surveys(db, Caller("u-b", ["site-b"], WRITER), 50, None)["items"]] == [
        survey["id"]]
    assert surveys.list_surveys(db, Caller("u-a", ["site-a"], WRITER), 50, None)["items"] == []


def test_the_move_is_audited_with_the_site_before_and_after(db):
    survey = new_survey(db)
    surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-b", "version": 1})
    (audit,) = moves_of(db, survey["id"])
    assert (audit["actor"], audit["site_id"]) == ("u-a", "site-b")
    assert audit["data"]["entity_type"] == "survey" and audit["data"]["entity_id"] == survey["id"]
    assert audit["data"]["changes"] == {"site_id": {"before": "site-a", "after": "site-b"}}


def test_a_stale_version_is_a_conflict_and_nothing_moves(db):
    survey = new_survey(db)
    surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-b", "version": 1})
    with pytest.raises(Conflict) as conflict:
        surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-a", "version": 1})
    assert conflict.value.code == "stale_version" and list(conflict.value.fields) == ["version"]
    assert store.find_survey(db, survey["id"])["site_id"] == "site-b"
    with pytest.raises(Conflict):
        surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-b", "version": 1})
    assert len(moves_of(db, survey["id"])) == 1


def test_a_disabled_or_unknown_target_is_refused_on_site_id(db):
    survey = new_survey(db)
    assert refused_on_site(surveys.update_survey, db, HQ, survey["id"],
                           {"site_id": "closed", "version": 1}).code == "site_disabled"
    assert refused_on_site(surveys.update_survey, db, HQ, survey["id"],
                           {"site_id": "gone", "version": 1}).code == "unknown_site"
    stored = store.find_survey(db, survey["id"])
    assert (stored["site_id"], stored["version"]) == ("site-a", 1)
    assert moves_of(db, survey["id"]) == []


def test_a_site_that_is_not_the_callers_is_refused_on_site_id(db):
    survey = new_survey(db)
    refusal = refused_on_site(surveys.update_survey, db, PLANT_A, survey["id"], {"site_id": "site-c", "version": 1})
    assert refusal.fields["site_id"] == ["Not one of your sites."]
    assert store.find_survey(db, survey["id"])["site_id"] == "site-a"


def test_bad_input_names_its_field(db):
    survey = new_survey(db)
    with pytest.raises(ValidationFailed) as failure:
        surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-b"})
    assert list(failure.value.fields) == ["version"]
    with pytest.raises(ValidationFailed) as failure:
        surveys.update_survey(db, PLANT_A, survey["id"], {"version": 1})
    assert list(failure.value.fields) == ["site_id"]


def test_moving_out_of_a_disabled_site_empties_it(db):
    survey = survey_at_disabled_site(db)
    assert site_usage.site_usage(db, SITE_ADMIN, "closed")["counts"] == {"surveys": 1}
    moved = surveys.update_survey(db, HQ, survey["id"], {"site_id": "site-a", "version": 1})
    assert (moved["site_id"], moved["version"]) == ("site-a", 2)
    assert site_usage.site_usage(db, SITE_ADMIN, "closed")["counts"] == {}
    assert moves_of(db, survey["id"])[0]["data"]["changes"]["site_id"] == {"before": "closed", "after": "site-a"}


def test_staying_at_a_disabled_site_is_refused(db):
    survey = survey_at_disabled_site(db)
    assert refused_on_site(surveys.update_survey, db, HQ, survey["id"],
                           {"site_id": "closed", "version": 1}).code == "site_disabled"


def test_naming_the_survey_s_own_active_site_changes_nothing(db):
    survey = new_survey(db)
    same = surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-a", "version": 1})
    assert (same["site_id"], same["version"]) == ("site-a", 1)
    assert moves_of(db, survey["id"]) == []
    with pytest.raises(Conflict):
        surveys.update_survey(db, PLANT_A, survey["id"], {"site_id": "site-a", "version": 7})


def test_a_survey_of_another_site_is_not_found_and_readers_cannot_move(db):
    survey = new_survey(db)
    with pytest.raises(NotFound):
        surveys.update_survey(db, PLANT_C, survey["id"], {"site_id": "site-c", "version": 1})
    with pytest.raises(NotFound):
        surveys.update_survey(db, PLANT_A, "no-such-survey", {"site_id": "site-b", "version": 1})
    with pytest.raises(Forbidden):
        surveys.update_survey(db, READER, survey["id"], {"site_id": "site-b", "version": 1})
    assert store.find_survey(db, survey["id"])["site_id"] == "site-a"


def test_the_links_already_sent_stay_with_their_customers_sites(db):
    survey = new_survey(db)
    now = datetime.datetime.now(datetime.timezone.utc)
    store.insert_links(db, [{"_id": "h1", "link_id": "l1", "survey_id": survey["id"], "site_id": "site-a",
                             "customer_id": "c1", "contact_id": "k1", "name": "Li", "email": "li@example.com",
                             "created_at": now, "updated_at": now, "version": 1,
                             "expires_at": now + datetime.timedelta(days=30), "used_at": None}])
    surveys.update_survey(db, HQ, survey["id"], {"site_id": "site-b", "version": 1})
    assert store.find_link(db, "h1")["site_id"] == "site-a"
