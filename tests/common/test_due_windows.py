"""Work due by a time read in windows (``windows.due``), on the real database server: a backlog is
taken a batch at a time, the longest due first, each row once, each batch reading about a window
of rows and not the backlog; rows that become visible late are found (within the clock skew at
once, any other at the next pass from the beginning)."""
import datetime
import random

import pytest
from pymongo import ASCENDING

from services.common import windows
from tests.support.windows import served_by, watching

NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc)
INDEX = [("status", ASCENDING), ("at", ASCENDING)]
GUARD = {"status": 1, "at": 1}


@pytest.fixture
def watched(test_env):
    yield from watching(test_env, "due_windows")


def seed(collection, times):
    collection.create_index(INDEX)
    rng = random.Random(11)
    if times:
        collection.insert_many([{"_id": "%032x" % rng.getrandbits(128), "status": "pending", "at": at}
                                for at in times])


def take(collection, rows, now):
    """Claim ``rows`` as a worker does: each leased past ``now``."""
    for row in rows:
        collection.update_one({"_id": row["_id"], "at": row["at"]}, {"$set": {"at": now + datetime.timedelta(hours=1)}})


def test_a_backlog_is_taken_a_batch_at_a_time_oldest_first_each_batch_reading_a_window(watched):
    """1 500 rows queued at 500 a second just before now (a campaign), 300 due over the ten years
    before (retries of an old outage), 50 not due yet: batches of 20 take every due row once, in
    order; no batch reads more than 2 s of the burst (500 rows), and the drain reads about five
    rows for each it takes (the backlog read whole for each batch would be some 80 000)."""
    db, finds = watched
    collection = db.backlog
    rng = random.Random(3)
    burst = [NOW - datetime.timedelta(milliseconds=2 * n) for n in range(1500)]
    old = [NOW - datetime.timedelta(hours=1 + rng.randrange(24 * 3650)) for _ in range(300)]
    later = [NOW + datetime.timedelta(minutes=1 + n) for n in range(50)]
    seed(collection, burst + old + later)
    taken, most, total = [], 0, 0
    for batch in range(200):
        finds.filters.clear()
        rows = windows.due(collection, {"status": "pending"}, "at", NOW, 20, GUARD)
        assert all(served_by(query, INDEX) for query in finds.filters), finds.filters
        read = sum(collection.count_documents(query) for query in finds.filters)
        most, total = max(most, read), total + read
        if not rows:
            break
        assert len(rows) == 20 or len(taken) + len(rows) == 1800
        taken += [row["at"] for row in rows]
        take(collection, rows, NOW)
    assert len(taken) == 1800 and taken == sorted(burst + old)
    assert most <= 520 and total <= 12000, (most, total)


def test_a_row_visible_late_is_found_within_the_skew_at_once_and_any_other_by_the_next_full_pass(watched):
    db, _ = watched
    collection = db.late
    seed(collection, [NOW - datetime.timedelta(seconds=1)])
    [row] = windows.due(collection, {"status": "pending"}, "at", NOW, 20, GUARD)
    take(collection, [row], NOW)
    assert windows.due(collection, {"status": "pending"}, "at", NOW, 20, GUARD) == []
    # written by a replica whose clock is 5 s behind, or landing 5 s after its writer read the time
    skewed = NOW - datetime.timedelta(seconds=5)
    collection.insert_one({"_id": "skewed", "status": "pending", "at": skewed})
    assert [row["_id"] for row in windows.due(collection, {"status": "pending"}, "at", NOW, 20, GUARD)] == ["skewed"]
    take(collection, [{"_id": "skewed", "at": skewed}], NOW)
    # a row written with a time long past, which no writer of due work does
    collection.insert_one({"_id": "backdated", "status": "pending", "at": NOW - datetime.timedelta(days=1)})
    soon = NOW + datetime.timedelta(seconds=1)
    assert windows.due(collection, {"status": "pending"}, "at", soon, 20, GUARD) == []
    full_pass = NOW + windows.DUE_FULL_PASS
    assert [row["_id"] for row in windows.due(collection, {"status": "pending"}, "at", full_pass, 20, GUARD)] == [
        "backdated"]


def test_the_clock_going_back_reads_from_the_beginning(watched):
    """A batch that found nothing a day ahead (a clock set wrong, then corrected) leaves its start
    a day ahead: the next batch, at the right time, reads from the beginning."""
    db, _ = watched
    collection = db.clock_back
    seed(collection, [])
    assert windows.due(collection, {"status": "pending"}, "at", NOW + datetime.timedelta(days=1), 5, GUARD) == []
    collection.insert_one({"_id": "due", "status": "pending", "at": NOW - datetime.timedelta(minutes=10)})
    assert [row["_id"] for row in windows.due(collection, {"status": "pending"}, "at", NOW, 5, GUARD)] == ["due"]
