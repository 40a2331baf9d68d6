"""The SLA scan on the real database server: it marks each open overdue item once, the longest
overdue first, and its queries read only the items it has to mark, not the breached ones that stay
open until solved nor those solved in time."""
import datetime

import pytest

from services.feedback import items, store
from services.feedback.workflow import OPEN_STATES
from tests.support.windows import index_served, watching

NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def watched(test_env):
    yield from watching(test_env, "sla_scan")


def item(number, status, due_at, breached_at=None):
    return {"_id": "f-%04d" % number, "site_id": "s1", "customer_id": "c1", "severity": "high", "status": status,
            "assignee_id": None, "due_at": due_at, "sla_breached_at": breached_at, "created_at": due_at - 4 * HOUR}


def test_the_scan_marks_each_overdue_item_once_reading_only_those_it_marks(watched):
    db, finds = watched
    store.ensure_indexes(db)
    breached = [item(n, OPEN_STATES[n % 3], NOW - (n + 2) * HOUR, NOW - HOUR) for n in range(300)]
    solved = [item(300 + n, "resolved", NOW - (n + 2) * HOUR) for n in range(300)]
    later = [item(600 + n, "open", NOW + (n + 1) * HOUR) for n in range(20)]
    overdue = [item(700 + n, OPEN_STATES[n % 3], NOW - n * HOUR - datetime.timedelta(minutes=1)) for n in range(6)]
    db.feedback.insert_many(breached + solved + later + overdue)
    finds.filters.clear()
    due = store.overdue_unbreached(db, OPEN_STATES, NOW)
    assert [found["_id"] for found in due] == ["f-%04d" % n for n in range(705, 699, -1)]
    assert finds.filters and all(index_served(db.feedback, query) for query in finds.filters), finds.filters
    assert sum(db.feedback.count_documents(query) for query in finds.filters) == 6  # of 626 items
    assert items.scan_sla(db, NOW) == 6
    assert db.feedback.count_documents({"sla_breached_at": NOW}) == 6
    assert items.scan_sla(db, NOW) == 0
    assert [found["_id"] for found in store.overdue_unbreached(db, OPEN_STATES, NOW + 3 * HOUR)] == [
        "f-0600", "f-0601", "f-0602"]
