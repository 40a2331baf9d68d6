"""A campaign's queued recipients read a batch at a time (``store.queued_recipients``), on the real
database server: every recipient once, in id order, each batch reading about its own rows and not
every queued one; a recipient left queued behind a batch cut short is read once the end is reached."""
import uuid

import pytest

from services.notifications import store
from services.notifications.routing import derived_id
from tests.support.windows import served_by, watching

INDEX = [("campaign_id", 1), ("status", 1), ("_id", 1)]


@pytest.fixture
def watched(test_env):
    yield from watching(test_env, "campaign_batches")


def seed(db, campaign_id, count):
    store.ensure_indexes(db)
    db.recipients.insert_many([{"_id": derived_id("campaign", campaign_id, n), "campaign_id": campaign_id,
                                "status": "queued"} for n in range(count)])


def sent(db, rows):
    db.recipients.update_many({"_id": {"$in": [row["_id"] for row in rows]}}, {"$set": {"status": "sent"}})


def test_batches_take_every_recipient_once_in_order_each_reading_about_its_own_rows(watched):
    db, finds = watched
    campaign_id = "c-3000"  # a fresh database each run: the same ids, so the same reads
    seed(db, campaign_id, 3000)
    seed(db, "another", 500)
    taken, most = [], 0
    while True:
        finds.filters.clear()
        rows = store.queued_recipients(db, campaign_id, 200)
        assert all(served_by(query, INDEX) for query in finds.filters), finds.filters
        most = max(most, sum(db.recipients.count_documents(query) for query in finds.filters))
        if not rows:
            break
        taken += [row["_id"] for row in rows]
        sent(db, rows)
    assert taken == sorted(derived_id("campaign", campaign_id, n) for n in range(3000))
    assert most <= 2.5 * 200, most  # each batch from the last one's end; read whole, the first would be 3 000


def test_a_recipient_left_behind_a_cut_batch_is_read_once_the_end_is_reached(watched):
    db, _ = watched
    campaign_id = uuid.uuid4().hex
    seed(db, campaign_id, 300)
    first = store.queued_recipients(db, campaign_id, 100)
    left = first.pop(10)  # its batch stopped before it (a process killed mid-batch)
    sent(db, first)
    later = []
    while True:
        rows = store.queued_recipients(db, campaign_id, 100)
        if not rows:
            break
        later += [row["_id"] for row in rows]
        sent(db, rows)
    assert left["_id"] in later and len(later) == len(set(later)) == 201
