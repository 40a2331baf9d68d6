"""feedback's conditional writes without findAndModify: of parallel callers one only wins a
version, a survey link's answer, an SLA breach or a site's first settings."""
import datetime

import pytest

from services.common.clock import utcnow
from services.feedback import store
from tests.common.concurrency import race


@pytest.fixture
def db(db_factory):
    database = db_factory("feedback")
    store.ensure_indexes(database)
    return database


def test_of_parallel_updates_of_one_item_version_one_wins(db):
    db.feedback.insert_one({"_id": "f1", "status": "open", "version": 1})
    won = [item for item in race(6, lambda n: store.update_feedback(db, "f1", 1, {"title": str(n)})) if item]
    assert len(won) == 1 and won[0]["version"] == 2
    assert store.update_feedback(db, "f1", 1, {"title": "stale"}) is None


def test_a_breach_is_marked_once(db):
    now = utcnow()
    db.feedback.insert_one({"_id": "f1", "status": "open", "due_at": now, "sla_breached_at": None})
    marked = [item for item in race(6, lambda _: store.mark_breached(db, "f1", ["open"], now)) if item]
    assert len(marked) == 1 and marked[0]["sla_met"] is False


def test_a_survey_link_is_answered_once_and_never_after_it_expired(db):
    now = utcnow()
    db.survey_links.insert_many([
        {"_id": "live", "used_at": None, "expires_at": now + datetime.timedelta(days=1), "version": 1},
        {"_id": "expired", "used_at": None, "expires_at": now - datetime.timedelta(seconds=1), "version": 1}])
    answered = [link for link in race(6, lambda n: store.answer_link(db, "live", utcnow(), {"score": n})) if link]
    assert len(answered) == 1 and answered[0]["used_at"] is not None
    assert store.answer_link(db, "expired", now, {"score": 1}) is None


def test_of_parallel_first_saves_of_settings_one_wins(db):
    saved = [found for found in race(6, lambda n: store.save_settings(db, "s1", 0, {"sla_hours": n})) if found]
    assert len(saved) == 1 and saved[0]["version"] == 1
    assert store.save_settings(db, "s1", 0, {"sla_hours": 1}) is None
    assert store.save_settings(db, "s1", 1, {"sla_hours": 2})["version"] == 2
