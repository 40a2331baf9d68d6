"""Checking a survey answer against the survey's questions, and what it says about satisfaction."""
from services.common.errors import ValidationFailed
from services.common.schemas import text_problem

RANGES = {"rating": (1, 5), "nps": (0, 10)}
TEXT_MAX = 2000


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value, low, high):
    """An int in [low, high] from JSON (int) or a form (digits); None when it is not one."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _check(question, value):
    """(clean value, error message or None)."""
    kind = question["kind"]
    if kind in RANGES:
        low, high = RANGES[kind]
        number = _number(value, low, high)
        return number, None if number is not None else "A whole number from %d to %d." % (low, high)
    if kind == "choice":
        ok = isinstance(value, str) and value in question["options"]
        return value, None if ok else "One of: %s." % ", ".join(question["options"])
    limit = question.get("max_length") or TEXT_MAX
    if not isinstance(value, str):
        return None, "Text, please."
    value = value.strip()
    problem = text_problem(value, multiline=True)
    if problem is None and len(value) > limit:
        problem = "At most %d characters." % limit
    return value, problem


def validate(questions, answers):
    """The clean answers ``{question id: value}``; ValidationFailed naming each missing or bad one."""
    if not isinstance(answers, dict):
        raise ValidationFailed("The answers must be an object.", {"answers": ["Must be an object."]})
    known = {q["id"] for q in questions}
    errors = {key: ["Not a question of this survey."] for key in answers if key not in known}
    clean = {}
    for question in questions:
        value = answers.get(question["id"])
        if _blank(value):
            if question.get("required", True):
                errors[question["id"]] = ["An answer is required: %s" % question["text"]]
            continue
        value, problem = _check(question, value)
        if problem:
            errors[question["id"]] = [problem]
        else:
            clean[question["id"]] = value
    if errors:
        missing = sorted(key for key, messages in errors.items() if messages[0].startswith("An answer is required"))
        message = ("Please answer: %s." % ", ".join(missing)) if missing else "Some answers are not valid."
        raise ValidationFailed(message, errors)
    return clean


def scores(questions, clean):
    """(rating, nps): the answers to the first rating and the first NPS question, or None."""
    rating = next((clean.get(q["id"]) for q in questions if q["kind"] == "rating" and q["id"] in clean), None)
    nps = next((clean.get(q["id"]) for q in questions if q["kind"] == "nps" and q["id"] in clean), None)
    return rating, nps


def is_low(rating, nps):
    """A rating of 2 or less, or an NPS of 6 or less (a detractor), calls for a follow-up."""
    return (rating is not None and rating <= 2) or (nps is not None and nps <= 6)


def texts(questions, clean):
    return [(q["text"], clean[q["id"]]) for q in questions if q["kind"] == "text" and clean.get(q["id"])]
