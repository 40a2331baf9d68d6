"""Feedback when customers does not answer: 503 (Unavailable) and nothing half-written."""
import pytest

from services.common import config
from services.common.errors import Unavailable
from services.common.mongo import connect
from services.feedback.service import FeedbackService
from tests.support.sites import known_sites

WRITER = ["feedback:read", "feedback:write", "customers:read", "contacts:read"]


@pytest.fixture
def feedback_alone(run_service, nameko_config, monkeypatch):
    """Only the feedback container: its calls to customers go unanswered."""
    monkeypatch.setenv("AMQP_URI", nameko_config["AMQP_URI"])
    run_service(FeedbackService)
    client = connect(config.mongo_uri("feedback"))
    db = client[config.database_name("feedback")]
    known_sites(db, "site-a")  # known before accounts stopped answering
    yield db
    client.close()


def test_customers_down_means_unavailable_and_nothing_written(feedback_alone, issue_token, rpc_as):
    db = feedback_alone
    with rpc_as(issue_token(WRITER, ["site-a"])) as cluster:
        with pytest.raises(Unavailable) as down:
            cluster.feedback.create_feedback({"customer_id": "c1", "channel": "phone", "type": "complaint",
                                              "category": "quality", "text": "Broken seal."})
        assert down.value.extra["service"] == "customers"
        survey = cluster.feedback.create_survey({"title": "Q3", "questions": [{"kind": "nps", "text": "Recommend?"}]})
        with pytest.raises(Unavailable):
            cluster.feedback.send_survey(survey["id"], {"customer_id": "c1", "contact_ids": ["p1"]})
    assert db.feedback.count_documents({}) == 0
    assert db.survey_links.count_documents({}) == 0
    assert db.surveys.find_one({"_id": survey["id"]})["sent_count"] == 0
    assert db.outbox.count_documents({}) == 0
