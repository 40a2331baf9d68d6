"""What a survey's answers add up to: per question (average, spread, NPS, choices, texts) and
the answers themselves, newest first."""
from services.common.envelope import jsonable
from services.feedback.reports import nps

LATEST = 200
TEXTS_KEPT = 50


def question_result(question, answered):
    """The summary of one question over the answered links (each link's ``answers`` dict)."""
    values = [link["answers"][question["id"]] for link in answered if question["id"] in (link.get("answers") or {})]
    result = {"id": question["id"], "kind": question["kind"], "text": question["text"], "answered": len(values)}
    kind = question["kind"]
    if kind in ("rating", "nps"):
        low, high = (1, 5) if kind == "rating" else (0, 10)
        result["average"] = round(sum(values) / len(values), 2) if values else None
        result["distribution"] = {str(n): values.count(n) for n in range(low, high + 1)}
        if kind == "rating":
            result["satisfied_share"] = round(sum(1 for v in values if v >= 4) / len(values), 4) if values else None
        else:
            result["nps"] = nps(values)
    elif kind == "choice":
        result["distribution"] = {option: values.count(option) for option in question.get("options", [])}
    else:
        result["texts"] = values[:TEXTS_KEPT]
    return result


def summarise(survey, links):
    """The results document for ``survey`` from all its ``links`` (answered or not)."""
    answered = sorted((link for link in links if link.get("answered_at")),
                      key=lambda link: link["answered_at"], reverse=True)
    sent = len(links)
    return {
        "survey_id": survey["_id"],
        "sent": sent,
        "answered": len(answered),
        "response_rate": round(len(answered) / sent, 3) if sent else None,
        "questions": [question_result(q, answered) for q in survey["questions"]],
        "responses": [{
            "link_id": link["link_id"], "customer_id": link["customer_id"], "contact_id": link["contact_id"],
            "name": link.get("name"), "answered_at": jsonable(link["answered_at"]), "rating": link.get("rating"),
            "nps": link.get("nps"), "answers": link.get("answers") or {}, "feedback_id": link.get("feedback_id"),
        } for link in answered[:LATEST]],
    }
