"""Open feedback goes back to its site's queue when accounts says its assignee may no longer
handle it: disabled, deleted, without feedback:write, or moved away from the item's site (real DB)."""
import datetime

import pytest

from services.accounts import events as accounts_events
from services.common.outbox import OUTBOX
from services.feedback import departures, items, store

NOW = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.timezone.utc)
HANDLER = ["feedback:read", "feedback:write", "customers:read"]


@pytest.fixture
def db(db_factory):
    database = db_factory("feedback")
    store.ensure_indexes(database)
    return database


def add_item(db, site_id, assignee_id, status="assigned"):
    data = {"customer_id": "c1", "contact_id": None, "channel": "phone", "type": "complaint",
            "category": "quality", "severity": "normal", "text": "Leaks."}
    item = items.new_item(data, site_id, NOW + datetime.timedelta(days=3), "u-lead", NOW)
    item.update(assignee_id=assignee_id, status=status)
    store.insert_feedback(db, item)
    return item["_id"]


def user_updated(user_id, sites, permissions=HANDLER, status="active"):
    data = {"user_id": user_id, "username": user_id, "sites": sites, "roles": ["service"],
            "email": "%s@factory.test" % user_id, "display_name": user_id.title(), "language": "en",
            "status": status, "permissions": permissions, "changed_fields": ["sites", "status"]}
    return accounts_events.event("user_updated", data, sites[0] if sites else None, "admin")


def permissions_changed(user_id, permissions):
    data = {"user_id": user_id, "roles": ["viewer"], "grants": [], "revocations": [], "effective": permissions,
            "email": "%s@factory.test" % user_id, "display_name": user_id.title(), "language": "en",
            "status": "active", "permissions": permissions}
    return accounts_events.event("permissions_changed", data, None, "admin")


def user_deleted(user_id):
    return accounts_events.event("user_deleted", {"user_id": user_id}, None, "admin")


def queued_events(db, feedback_id):
    return [event for event in db.feedback.find_one({"_id": feedback_id}).get(OUTBOX, [])]


def test_a_disabled_user_leaves_every_open_item_to_its_sites_queue(db):
    assigned = add_item(db, "s1", "eng")
    working = add_item(db, "s2", "eng", status="in_progress")
    resolved = add_item(db, "s1", "eng", status="resolved")
    colleague = add_item(db, "s1", "other")

    assert departures.handle(db, user_updated("eng", ["s1", "s2"], status="disabled"), now=NOW) == 2

    for feedback_id, old_status in ((assigned, "assigned"), (working, "in_progress")):
        item = store.find_feedback(db, feedback_id)
        assert item["assignee_id"] is None and item["status"] == "open" and item["version"] == 2
        assert item["assignee_left"]["user_id"] == "eng"
        assert item["history"][-1]["from"] == old_status and item["history"][-1]["to"] == "open"
        queued = {event["type"]: event for event in queued_events(db, feedback_id)}
        assert queued["feedback.feedback_assigned"]["data"]["assignee_id"] is None
        assert queued["feedback.feedback_assigned"]["data"]["previous_assignee_id"] == "eng"
        assert queued["feedback.feedback_status_changed"]["data"]["new_status"] == "open"
        changes = queued["feedback.audit"]["data"]["changes"]
        assert changes["assignee_id"] == {"before": "eng", "after": None}
        assert changes["status"] == {"before": old_status, "after": "open"}
    assert store.find_feedback(db, resolved)["assignee_id"] == "eng"
    assert store.find_feedback(db, colleague)["assignee_id"] == "other"


def test_the_same_event_twice_changes_nothing_more(db):
    feedback_id = add_item(db, "s1", "eng")
    event = user_deleted("eng")
    assert departures.handle(db, event) == 1
    assert departures.handle(db, event) == 0
    item = store.find_feedback(db, feedback_id)
    assert item["version"] == 2 and len(queued_events(db, feedback_id)) == 3


def test_a_user_moved_to_another_site_keeps_only_that_sites_items(db):
    left_behind = add_item(db, "s1", "eng")
    kept = add_item(db, "s2", "eng")
    assert departures.handle(db, user_updated("eng", ["s2"])) == 1
    assert store.find_feedback(db, left_behind)["assignee_id"] is None
    assert store.find_feedback(db, kept)["assignee_id"] == "eng"
    assert store.find_feedback(db, kept)["status"] == "assigned"


def test_a_deleted_user_leaves_every_open_item(db):
    first, second = add_item(db, "s1", "eng"), add_item(db, "s2", "eng", status="in_progress")
    assert departures.handle(db, user_deleted("eng")) == 2
    assert {store.find_feedback(db, i)["status"] for i in (first, second)} == {"open"}


def test_losing_feedback_write_leaves_every_open_item_keeping_it_leaves_them_alone(db):
    feedback_id = add_item(db, "s1", "eng")
    assert departures.handle(db, permissions_changed("eng", ["feedback:read", "feedback:write"])) == 0
    assert store.find_feedback(db, feedback_id)["assignee_id"] == "eng"
    assert departures.handle(db, permissions_changed("eng", ["feedback:read"])) == 1
    assert store.find_feedback(db, feedback_id)["assignee_id"] is None


def test_an_hq_user_moved_between_sites_keeps_every_item(db):
    feedback_id = add_item(db, "s1", "hq")
    assert departures.handle(db, user_updated("hq", ["s2"], HANDLER + ["sites:all"])) == 0
    assert store.find_feedback(db, feedback_id)["assignee_id"] == "hq"


def test_more_items_than_a_batch_all_go_back(db, monkeypatch):
    monkeypatch.setattr(departures, "BATCH", 3)
    ids = [add_item(db, "s1", "eng") for _ in range(7)]
    assert departures.handle(db, user_deleted("eng")) == 7
    assert all(store.find_feedback(db, i)["assignee_id"] is None for i in ids)


def test_a_new_assignee_clears_the_mark_of_the_one_who_left(db, monkeypatch):
    from services.common.auth import Caller
    from tests.support.sites import known_sites

    known_sites(db, "s1")
    feedback_id = add_item(db, "s1", "eng")
    departures.handle(db, user_deleted("eng"))
    monkeypatch.setattr(items.peers, "check_assignee", lambda caller, user_id, site_id: None)
    lead = Caller("lead", ["s1"], HANDLER)
    version = store.find_feedback(db, feedback_id)["version"]
    updated = items.update_feedback(db, lead, feedback_id, {"version": version, "assignee_id": "eng2"})
    assert updated["assignee_id"] == "eng2" and updated["status"] == "assigned"
    assert updated["assignee_left"] is None
