"""The feedback service killed: a scorecard still answers, its feedback measures left out and named
``incomplete``, and whole again once feedback is back."""
import datetime

import pytest

from tests.support.api import eventually
from tests.support.customers import add_part, create_customer


def scorecard(api):
    response = api.get("/scorecards")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.timeout(180)
def test_a_scorecard_answers_without_the_feedback_service_and_says_so(stack, site, writer):
    customer = create_customer(writer, site_id=site["id"])
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    add_part(writer, customer["id"], "interactions", {"kind": "visit", "summary": "Plant tour", "occurred_at": now})
    whole = scorecard(writer)
    assert whole["incomplete"] == [] and whole["measures"]["feedback_assigned"] == 0
    assert whole["measures"]["interactions"]["visit"] == 1
    try:
        stack.kill("feedback")
        cut = scorecard(writer)
        assert cut["incomplete"] == ["feedback"]
        assert [cut["measures"][key] for key in ("feedback_assigned", "feedback_resolved", "csat", "nps")] == [
            None, None, None, None]
        assert cut["measures"]["interactions"] == whole["measures"]["interactions"]
        assert cut["measures"]["new_customers"] == 1
    finally:
        stack.start("feedback")
    stack.wait_ready()
    eventually(lambda: scorecard(writer), lambda card: card["incomplete"] == [], timeout=60)
