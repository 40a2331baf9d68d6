"""Survey answers: required questions named, ranges, choices, text bounds, and what counts as low."""
import pytest

from services.common.errors import ValidationFailed
from services.feedback import answers

QUESTIONS = [
    {"id": "q1", "kind": "rating", "text": "Satisfied?", "required": True},
    {"id": "q2", "kind": "nps", "text": "Recommend?", "required": True},
    {"id": "q3", "kind": "choice", "text": "Best?", "required": False, "options": ["quality", "price"]},
    {"id": "q4", "kind": "text", "text": "Else?", "required": False, "max_length": 10},
]


def test_a_complete_answer_is_cleaned():
    clean = answers.validate(QUESTIONS, {"q1": "4", "q2": 0, "q3": "price", "q4": "  fine  "})
    assert clean == {"q1": 4, "q2": 0, "q3": "price", "q4": "fine"}
    assert answers.scores(QUESTIONS, clean) == (4, 0)
    assert answers.texts(QUESTIONS, clean) == [("Else?", "fine")]


def test_a_missing_required_answer_is_named():
    with pytest.raises(ValidationFailed) as missing:
        answers.validate(QUESTIONS, {"q1": 3, "q2": "", "q4": ""})
    assert list(missing.value.fields) == ["q2"] and "q2" in missing.value.message
    assert "Recommend?" in missing.value.fields["q2"][0]


@pytest.mark.parametrize("given, bad", [
    ({"q1": 0, "q2": 5}, "q1"), ({"q1": 6, "q2": 5}, "q1"), ({"q1": 4.5, "q2": 5}, "q1"), ({"q1": True, "q2": 5}, "q1"),
    ({"q1": 3, "q2": 11}, "q2"), ({"q1": 3, "q2": "-1"}, "q2"), ({"q1": 3, "q2": 5, "q3": "speed"}, "q3"),
    ({"q1": 3, "q2": 5, "q4": "x" * 11}, "q4"), ({"q1": 3, "q2": 5, "q4": 7}, "q4"),
    ({"q1": 3, "q2": 5, "q9": 1}, "q9")])
def test_bad_answers_name_their_question(given, bad):
    with pytest.raises(ValidationFailed) as refused:
        answers.validate(QUESTIONS, given)
    assert list(refused.value.fields) == [bad]


def test_answers_must_be_an_object():
    with pytest.raises(ValidationFailed):
        answers.validate(QUESTIONS, ["q1", 3])


@pytest.mark.parametrize("rating, nps, low", [
    (2, None, True), (3, None, False), (None, 6, True), (None, 7, False), (5, 3, True), (None, None, False)])
def test_low_scores(rating, nps, low):
    assert answers.is_low(rating, nps) is low
