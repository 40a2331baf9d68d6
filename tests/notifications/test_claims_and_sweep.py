"""notifications' work items claimed without findAndModify (each due e-mail or delivery taken by
one replica only), webhook counters under parallel outcomes, and the sweep of sent e-mails."""
import datetime

from services.common.clock import utcnow
from services.notifications import mail, store
from tests.common.concurrency import race

DAY = datetime.timedelta(days=1)


def claim_all(collection):
    """Claim due items until none is left; the ids taken."""
    taken = []
    while True:
        items = store.claim_due(collection, utcnow(), 60, 1)
        if not items:
            return taken
        taken.append(items[0]["_id"])


def test_parallel_senders_take_each_due_email_once(db):
    for n in range(12):
        mail.queue(db, "e%d" % n, "ann@factory.test", "S", "B\n", "followup_due", "s1")
    taken = [email_id for ids in race(4, lambda _: claim_all(db.emails)) for email_id in ids]
    assert sorted(taken) == sorted("e%d" % n for n in range(12))
    assert store.claim_due(db.emails, utcnow(), 60, 5) == []


def test_the_most_overdue_item_is_claimed_first_and_a_lease_hides_it(db):
    now = utcnow()
    db.deliveries.insert_many([
        {"_id": "d-late", "status": "pending", "next_attempt_at": now - DAY},
        {"_id": "d-later", "status": "pending", "next_attempt_at": now - 2 * DAY},
        {"_id": "d-future", "status": "pending", "next_attempt_at": now + DAY},
        {"_id": "d-done", "status": "succeeded", "next_attempt_at": now - 3 * DAY},
    ])
    [first] = store.claim_due(db.deliveries, now, 60, 1)
    assert first["_id"] == "d-later" and first["claim"] and first["next_attempt_at"] > now
    assert [item["_id"] for item in store.claim_due(db.deliveries, now, 60, 5)] == ["d-late"]
    assert store.claim_due(db.deliveries, now, 60, 5) == []
    assert store.finish_attempt(db.deliveries, first, {"$set": {"status": "succeeded"}})["status"] == "succeeded"
    assert store.finish_attempt(db.deliveries, dict(first, claim="stolen"), {"$set": {"status": "x"}}) is None


def test_parallel_exhausted_deliveries_are_all_counted_and_disable_the_hook_once(db):
    db.webhooks.insert_one({"_id": "h1", "active": True, "consecutive_exhausted": 0, "url": "https://x.test"})
    counted = race(6, lambda _: store.count_exhausted(db, "h1", True)["consecutive_exhausted"])
    assert db.webhooks.find_one({"_id": "h1"})["consecutive_exhausted"] == 6
    assert all(1 <= count <= 6 for count in counted) and max(counted) == 6
    disabled = [hook for hook in race(6, lambda _: store.disable_webhook(db, "h1", 3)) if hook]
    assert len(disabled) == 1 and disabled[0]["active"] is False
    assert store.count_exhausted(db, "h1", False)["consecutive_exhausted"] == 0


def test_of_parallel_updates_of_one_hook_version_one_wins_and_a_deleted_hook_takes_none(db):
    db.webhooks.insert_one({"_id": "h1", "active": True, "version": 1, "deleted": False})
    won = [hook for hook in race(6, lambda n: store.update_webhook(db, "h1", 1, {"description": str(n)})) if hook]
    assert len(won) == 1 and won[0]["version"] == 2
    assert store.delete_webhook(db, "h1")["deleted"] is True
    assert store.delete_webhook(db, "h1") is None
    assert store.update_webhook(db, "h1", 2, {"description": "late"}) is None


def test_the_sweep_deletes_only_emails_sent_more_than_30_days_ago(db):
    now = utcnow()
    db.emails.insert_many([
        {"_id": "sent-old", "status": "sent", "sent_at": now - 31 * DAY},
        {"_id": "sent-recent", "status": "sent", "sent_at": now - 29 * DAY},
        {"_id": "pending", "status": "pending", "sent_at": None, "created_at": now - 90 * DAY},
        {"_id": "failed", "status": "failed", "sent_at": None, "failed_at": now - 90 * DAY},
    ])
    assert store.sweep_sent_emails(db, now) == 1
    assert sorted(email["_id"] for email in db.emails.find()) == ["failed", "pending", "sent-recent"]


def test_ensure_indexes_replaces_the_ttl_index_on_sent_emails(db_factory):
    database = db_factory("notifications")
    database.emails.create_index("sent_at", expireAfterSeconds=store.SENT_EMAIL_DAYS * 24 * 3600)
    store.ensure_indexes(database)
    indexes = database.emails.index_information().values()
    assert not any("expireAfterSeconds" in index for index in indexes)
    assert [("sent_at", 1)] in [index["key"] for index in indexes]
