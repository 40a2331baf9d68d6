"""Webhooks need a known, active site; ``site_usage`` counts a site's hooks; work whose owner or
assignee left goes to the site's managers (real DB, accounts stubbed)."""
import pytest

from services.common import sites
from services.common.auth import Caller
from services.common.envelope import make_event
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.common.outbox import OUTBOX
from services.notifications import directory, routing, webhooks
from tests.notifications.conftest import MANAGER, SALES, customers_event, user_event
from tests.support import sites as sites_replica
from tests.support.sites import refused_on_site, site_entry

ADMIN = Caller("hq-admin", ["s1"], ["webhooks:admin", "sites:all"])
SITE_ADMIN = Caller("site-admin", ["s1", "s2"], ["webhooks:admin"])
ROOT = Caller("root", [], ["sites:admin", "sites:all"])


@pytest.fixture
def accounts_knows_no_other_site(monkeypatch):
    sites_replica.accounts_knows_no_other_site(monkeypatch)


def disable(db, site_id):
    sites.save(db, site_entry(site_id, "disabled", version=2))


def hook(db, caller=ADMIN, **body):
    return webhooks.create(db, caller, dict({"url": "http://127.0.0.1:9/hook", "event_types": ["customers.*"]},
                                            **body))


def test_a_hook_for_a_disabled_or_unknown_site_is_refused(db, accounts_knows_no_other_site):
    disable(db, "s3")
    assert refused_on_site(lambda: hook(db, site_id="s3")).code == "site_disabled"
    assert refused_on_site(lambda: hook(db, site_id="nowhere")).code == "unknown_site"
    assert db.webhooks.count_documents({}) == 0
    assert hook(db)["site_id"] is None


def test_a_hook_is_changed_with_its_version_and_audited(db):
    created = hook(db, SITE_ADMIN, site_id="s1")
    changed = webhooks.update(db, SITE_ADMIN, created["id"], {"version": 1, "description": "ERP",
                                                              "event_types": ["feedback.*", "feedback.*"]})
    assert changed["description"] == "ERP" and changed["event_types"] == ["feedback.*"] and changed["version"] == 2
    [audit] = [e for e in db.webhooks.find_one({"_id": created["id"]})[OUTBOX] if e["data"]["action"] == "updated"]
    assert audit["data"]["changes"]["description"] == {"before": None, "after": "ERP"}
    with pytest.raises(Conflict) as stale:
        webhooks.update(db, SITE_ADMIN, created["id"], {"version": 1, "description": "Old"})
    assert stale.value.code == "stale_version"
    with pytest.raises(ValidationFailed) as outside:
        webhooks.update(db, SITE_ADMIN, created["id"], {"version": 2, "site_id": "s3"})
    assert list(outside.value.fields) == ["site_id"]
    with pytest.raises(ValidationFailed) as everywhere:
        webhooks.update(db, SITE_ADMIN, created["id"], {"version": 2, "site_id": None})
    assert list(everywhere.value.fields) == ["site_id"]


def test_a_hook_of_a_disabled_site_can_only_move_to_an_active_site_or_go(db):
    created = hook(db, SITE_ADMIN, site_id="s1")
    other = hook(db, SITE_ADMIN, site_id="s1")
    disable(db, "s1")
    assert refused_on_site(webhooks.update, db, SITE_ADMIN, created["id"], {"version": 1, "description": "x"}).code \
        == "site_disabled"
    disable(db, "s3")
    to_disabled = {"version": 1, "site_id": "s3"}
    assert refused_on_site(webhooks.update, db, ADMIN, created["id"], to_disabled).code == "site_disabled"
    moved = webhooks.update(db, SITE_ADMIN, created["id"], {"version": 1, "site_id": "s2"})
    assert moved["site_id"] == "s2"
    assert webhooks.delete(db, SITE_ADMIN, other["id"]) == {}


def test_resuming_a_disabled_hook_clears_its_count(db):
    created = hook(db)
    db.webhooks.update_one({"_id": created["id"]}, {"$set": {"active": False, "consecutive_exhausted": 20}})
    resumed = webhooks.update(db, ADMIN, created["id"], {"version": 1, "active": True})
    assert resumed["active"] is True and resumed["consecutive_exhausted"] == 0 and resumed["disabled_at"] is None
    paused = webhooks.update(db, ADMIN, created["id"], {"version": 2, "active": False})
    assert paused["active"] is False and paused["disabled_at"] is not None
    unchanged = webhooks.update(db, ADMIN, created["id"], {"version": 3, "active": False})
    assert unchanged["version"] == 3


def test_site_usage_counts_the_live_hooks_of_the_site(db):
    hook(db, site_id="s1")
    gone = hook(db, site_id="s1")
    hook(db, site_id="s2")
    webhooks.delete(db, ADMIN, gone["id"])
    assert webhooks.site_usage(db, ROOT, "s1") == {"counts": {"webhooks": 1}}
    assert webhooks.site_usage(db, ROOT, "s3") == {"counts": {}}
    for caller in (ADMIN, Caller("x", ["s1"], ["sites:admin"])):
        with pytest.raises(Forbidden):
            webhooks.site_usage(db, caller, "s1")


def inbox_of(db, user_id):
    return list(db.inbox.find({"user_id": user_id}))


@pytest.fixture
def plant(db):
    """A manager and a salesman on s1, a manager on s2."""
    directory.apply(db, user_event("boss", ["s1"], MANAGER))
    directory.apply(db, user_event("seller", ["s1"], SALES))
    directory.apply(db, user_event("far_boss", ["s2"], MANAGER))
    return db


@pytest.mark.parametrize("name, data", [
    ("followup_due", {"customer_id": "c1", "legal_name": "Acme", "due_date": "2026-03-01", "followup_id": "f1",
                      "reason": None}),
    ("contract_expiring", {"customer_id": "c1", "legal_name": "Acme", "order_id": "o1", "number": "PO-1",
                           "contract_end_date": "2026-03-01", "days_left": 30}),
])
def test_customer_work_with_no_owner_goes_to_the_sites_managers(plant, name, data):
    assert routing.route(plant, customers_event(name, site_id="s1", owner_id=None, **data)) == 1
    [item] = inbox_of(plant, "boss")
    assert item["kind"] == name and "no owner" in item["body"]
    assert inbox_of(plant, "seller") == [] and inbox_of(plant, "far_boss") == []
    assert routing.route(plant, customers_event(name, site_id="s1", owner_id="seller", **data)) == 1
    assert len(inbox_of(plant, "boss")) == 1 and len(inbox_of(plant, "seller")) == 1


def test_feedback_back_in_the_queue_goes_to_the_sites_managers(plant):
    returned = make_event("feedback.feedback_assigned", {
        "feedback_id": "fb1", "customer_id": "c1", "assignee_id": None, "previous_assignee_id": "gone",
        "due_at": "2026-03-01T08:00:00Z"}, site_id="s1", actor="service:feedback")
    assert routing.route(plant, returned) == 1
    [item] = inbox_of(plant, "boss")
    assert item["title"].startswith("Feedback back in your site's queue") and item["link"] == "/feedback/fb1"
    breached = make_event("feedback.sla_breached", {
        "feedback_id": "fb1", "customer_id": "c1", "severity": "high", "assignee_id": None, "status": "open",
        "due_at": "2026-03-01T08:00:00Z"}, site_id="s1", actor="service:feedback")
    assert routing.route(plant, breached) == 1
    assigned = make_event("feedback.feedback_assigned", {
        "feedback_id": "fb2", "customer_id": "c1", "assignee_id": "seller", "previous_assignee_id": None,
        "due_at": "2026-03-01T08:00:00Z"}, site_id="s1", actor="lead")
    assert routing.route(plant, assigned) == 1
    assert [i["title"] for i in inbox_of(plant, "seller")][0].startswith("Feedback assigned to you")
    assert len(inbox_of(plant, "boss")) == 2
