"""The workflow of a feedback item: allowed moves, reopening within 30 days, and the 409 it names."""
import datetime

import pytest

from services.common.errors import Conflict
from services.feedback import workflow

NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone.utc)


def item(status, resolved_days_ago=None):
    resolved = NOW - datetime.timedelta(days=resolved_days_ago) if resolved_days_ago is not None else None
    return {"status": status, "resolved_at": resolved}


@pytest.mark.parametrize("current, target", [
    ("open", "assigned"), ("assigned", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")])
def test_the_forward_path(current, target):
    workflow.check_transition(item(current, 1), target, NOW)


@pytest.mark.parametrize("current, target, allowed", [
    ("open", "in_progress", ["assigned"]), ("open", "closed", ["assigned"]), ("assigned", "resolved", ["in_progress"]),
    ("in_progress", "closed", ["resolved"]), ("resolved", "open", ["closed", "in_progress"]),
    ("closed", "resolved", ["in_progress"])])
def test_any_other_move_is_a_conflict_naming_the_allowed_ones(current, target, allowed):
    with pytest.raises(Conflict) as refused:
        workflow.check_transition(item(current, 1), target, NOW)
    assert refused.value.code == "illegal_transition"
    assert refused.value.extra == {"current_status": current, "allowed": allowed}
    assert all(name in refused.value.message for name in allowed)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_reopening_within_thirty_days(status):
    workflow.check_transition(item(status, 30), "in_progress", NOW)
    assert workflow.is_reopen(status, "in_progress")
    with pytest.raises(Conflict) as late:
        workflow.check_transition(item(status, 31), "in_progress", NOW)
    assert "30 days" in late.value.message
    assert "in_progress" not in late.value.extra["allowed"]
