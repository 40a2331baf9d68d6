"""Survey results: per-question summaries from the answered links."""
import datetime

from services.feedback import results

SURVEY = {"_id": "s1", "questions": [
    {"id": "q1", "kind": "rating", "text": "Satisfied?"},
    {"id": "q2", "kind": "nps", "text": "Recommend?"},
    {"id": "q3", "kind": "choice", "text": "Channel?", "options": ["phone", "mail"]},
    {"id": "q4", "kind": "text", "text": "Anything else?", "required": False},
]}


def link(n, answers=None, minute=0):
    answered = datetime.datetime(2026, 11, 1, 9, minute, tzinfo=datetime.timezone.utc) if answers else None
    return {"link_id": "l%d" % n, "customer_id": "c1", "contact_id": "k%d" % n, "name": "Contact %d" % n,
            "answered_at": answered, "answers": answers, "rating": (answers or {}).get("q1"),
            "nps": (answers or {}).get("q2"), "feedback_id": None}


def test_nps_is_promoters_minus_detractors():
    assert results.nps([10, 9, 8, 6, 0]) == {"promoters": 2, "passives": 1, "detractors": 2, "score": 0.0,
                                             "count": 5}
    assert results.nps([10, 10, 7])["score"] == 66.7
    assert results.nps([])["score"] is None


def test_summary_of_answered_links_newest_first():
    links = [link(1, {"q1": 5, "q2": 10, "q3": "phone", "q4": "Fast delivery"}, minute=1),
             link(2, {"q1": 2, "q2": 3, "q3": "mail"}, minute=5),
             link(3)]
    summary = results.summarise(SURVEY, links)
    assert (summary["sent"], summary["answered"], summary["response_rate"]) == (3, 2, 0.667)
    rating, nps, choice, text = summary["questions"]
    assert rating["average"] == 3.5 and rating["satisfied_share"] == 0.5
    assert rating["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert nps["nps"]["score"] == 0.0 and len(nps["distribution"]) == 11
    assert choice["distribution"] == {"phone": 1, "mail": 1}
    assert text["texts"] == ["Fast delivery"] and text["answered"] == 1
    assert [r["link_id"] for r in summary["responses"]] == ["l2", "l1"]
    assert summary["responses"][0]["answered_at"] == "2026-11-01T09:05:00Z"


def test_a_survey_nobody_got_has_no_rates():
    summary = results.summarise(SURVEY, [])
    assert summary["response_rate"] is None and summary["questions"][0]["average"] is None
    assert summary["responses"] == []
