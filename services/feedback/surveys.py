"""Surveys: questions, single-use links sent to a customer's contacts, and their answers.

A link's token is random and only its SHA-256 hash is stored; the token itself travels once,
in the ``survey_sent`` event that notifications mails. Answering spends the link and keeps the
answer on it in one write. A low score also creates a feedback item: the link is marked
``feedback_pending`` in that same write, so an item lost to a crash is created by the next scan.
"""
import datetime
import hashlib
import secrets
import uuid

from services.common import config, sites
from services.common.clock import utcnow
from services.common.envelope import changes_between, jsonable
from services.common.errors import BadRequest, NotFound, ValidationFailed, stale_version
from services.common.outbox import pending_insert
from services.common.schemas import load
from services.feedback import answers, contract, events, items, peers, results, settings, sla, store

LINK_DAYS = 30
THANK_YOU = {"zh-CN": "感谢您的反馈！", "en": "Thank you for your feedback!"}


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def out(survey):
    shown = {key: jsonable(value) for key, value in survey.items() if not key.startswith("_")}
    shown["id"] = survey["_id"]
    return shown


def _with_ids(questions):
    used = {q["id"] for q in questions if q.get("id")}
    numbered = []
    for position, question in enumerate(questions, start=1):
        question = dict(question)
        if not question.get("id"):
            suffix = position
            while "q%d" % suffix in used:
                suffix += 100
            question["id"] = "q%d" % suffix
            used.add(question["id"])
        question.setdefault("required", True)
        numbered.append(question)
    return numbered


def create_survey(db, caller, data):
    caller.require("feedback:write")
    data = load(contract.SurveyCreateSchema(), data)
    site_id = data.pop("site_id", None) or (caller.sites[0] if caller.sites else None)
    if site_id is None or not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    now = utcnow()
    survey = dict(data, _id=uuid.uuid4().hex, site_id=site_id, questions=_with_ids(data["questions"]),
                  intro=data.get("intro"), sent_count=0, response_count=0, created_by=caller.user_id,
                  created_at=now, updated_at=now, version=1)
    store.insert_survey(db, survey, events.audit("survey", survey["_id"], "created",
                                                 changes_between({}, survey, ("created_at", "updated_at", "version")),
                                                 site_id, caller.user_id))
    return out(survey)


def update_survey(db, caller, survey_id, data):
    """Move a survey to another of the caller's sites, an active one; the old site may be disabled
    (moving out is how a retired site is emptied). Its links stay where they are: each follows its
    customer."""
    caller.require("feedback:write")
    survey = visible_survey(caller, store.find_survey(db, survey_id))
    data = load(contract.SurveyUpdateSchema(), data)
    version, site_id = data["version"], data["site_id"]
    if not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    if site_id == survey["site_id"]:
        if version != survey["version"]:
            raise stale_version("survey")
        return out(survey)
    audit = events.audit("survey", survey_id, "moved", {"site_id": {"before": survey["site_id"], "after": site_id}},
                         site_id, caller.user_id)
    updated = store.update_survey(db, survey_id, version, {"site_id": site_id}, audit)
    if updated is None:
        raise stale_version("survey")
    return out(updated)


def visible_survey(caller, survey):
    if survey is None or not caller.has_site(survey["site_id"]):
        raise NotFound("No such survey.")
    return survey


def get_survey(db, caller, survey_id):
    caller.require("feedback:read")
    return out(visible_survey(caller, store.find_survey(db, survey_id)))


def survey_results(db, caller, survey_id):
    """Per-question results and the latest answers of one survey of the caller's sites, from the
    links of the caller's sites only (a link follows its customer when the customer moves)."""
    caller.require("feedback:read")
    survey = visible_survey(caller, store.find_survey(db, survey_id))
    return results.summarise(survey, store.links_of_survey(db, survey_id, caller.site_scope()))


def list_surveys(db, caller, limit, cursor):
    caller.require("feedback:read")
    documents, next_cursor, total, bound = store.list_surveys(db, caller.site_scope(), limit,
                                                              cursor)
    return {"items": [out(s) for s in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def send_survey(db, caller, survey_id, data):
    """One single-use link per chosen contact, each announced by a ``survey_sent`` event; the
    customer must be of the survey's site."""
    caller.require("feedback:write")
    survey = visible_survey(caller, store.find_survey(db, survey_id))
    data = load(contract.SendSchema(), data)
    sites.require(db, survey["site_id"])
    contact_ids = list(dict.fromkeys(data["contact_ids"]))
    customer = peers.customer(caller, data["customer_id"])
    if customer["site_id"] != survey["site_id"]:
        raise ValidationFailed("The customer is not of the survey's site.",
                               {"customer_id": ["Not a customer of the survey's site."]})
    contacts = peers.contacts(caller, customer["id"], contact_ids)
    without_email = [c["id"] for c in contacts if not c.get("email")]
    if without_email:
        raise ValidationFailed(fields={"contact_ids": ["No e-mail address: %s." % ", ".join(without_email)]})
    now = utcnow()
    expires = now + datetime.timedelta(days=LINK_DAYS)
    base = config.get("CRM_PUBLIC_URL").rstrip("/")
    site, links, sent = customer["site_id"], [], []
    for contact in contacts:
        token = secrets.token_urlsafe(32)
        link = {"_id": hash_token(token), "link_id": uuid.uuid4().hex, "survey_id": survey_id, "site_id": site,
                "customer_id": customer["id"], "contact_id": contact["id"], "name": contact["name"],
                "email": contact["email"], "created_by": caller.user_id, "created_at": now, "updated_at": now,
                "version": 1, "expires_at": expires,
                "used_at": None, "answered_at": None, "answers": None, "rating": None, "nps": None,
                "feedback_id": None}
        links.append(pending_insert(link, events.event("survey_sent", {
            "survey_id": survey_id, "survey_title": survey["title"], "customer_id": customer["id"],
            "contact_id": contact["id"], "name": contact["name"], "expires_at": jsonable(expires),
            "language": survey["language"]}, site, caller.user_id,
            secret={"email": contact["email"], "link": "%s/s/%s" % (base, token)})))
        sent.append({"contact_id": contact["id"], "name": contact["name"], "email": contact["email"],
                     "link_id": link["link_id"]})
    store.insert_links(db, links)
    store.record_survey_sent(db, survey_id, len(links), events.audit(
        "survey", survey_id, "sent", {"recipients": {"before": None, "after": contact_ids}}, site, caller.user_id))
    return {"survey_id": survey_id, "customer_id": customer["id"], "expires_at": jsonable(expires), "sent": sent}


def _live_link(db, token, now):
    link = store.find_link(db, hash_token(token)) if isinstance(token, str) and token else None
    if link is None:
        raise NotFound("This survey link is not valid.", code="survey_link_invalid")
    if link.get("used_at"):
        raise BadRequest("This survey was already answered with this link. Thank you!", code="survey_link_used")
    if link["expires_at"] <= now:
        raise BadRequest("This survey link has expired.", code="survey_link_expired")
    survey = store.find_survey(db, link["survey_id"])
    if survey is None:
        raise NotFound("This survey link is not valid.", code="survey_link_invalid")
    return link, survey


def survey_for_token(db, token):
    """What the public page shows: the questions and whom they are for (no ids, no customer data)."""
    link, survey = _live_link(db, token, utcnow())
    return {"title": survey["title"], "intro": survey.get("intro"), "language": survey["language"],
            "questions": survey["questions"], "recipient": link["name"], "expires_at": jsonable(link["expires_at"])}


def answer_survey(db, token, given):
    """Validate and keep one answer; a low score raises an alert and a feedback item."""
    now = utcnow()
    link, survey = _live_link(db, token, now)
    clean = answers.validate(survey["questions"], given)
    rating, nps = answers.scores(survey["questions"], clean)
    low = answers.is_low(rating, nps)
    feedback_id = uuid.uuid4().hex if low else None
    site, actor = link["site_id"], "contact:%s" % link["contact_id"]
    common = {"survey_id": survey["_id"], "customer_id": link["customer_id"], "contact_id": link["contact_id"],
              "rating": rating, "nps": nps}
    emitted = [events.event("survey_response_received", dict(common, feedback_id=feedback_id), site, actor),
               events.audit("survey_response", link["link_id"], "answered",
                            {"answers": {"before": None, "after": clean}}, site, actor)]
    changes = {"answers": clean, "rating": rating, "nps": nps, "feedback_id": feedback_id}
    if low:
        changes["feedback_pending"] = True
        emitted.append(events.event("low_score_alert", dict(common, feedback_id=feedback_id), site, actor))
    answered = store.answer_link(db, link["_id"], now, changes, *emitted)
    if answered is None:
        _live_link(db, token, now)
        raise BadRequest("This survey was already answered with this link. Thank you!", code="survey_link_used")
    store.record_survey_answered(db, survey["_id"])
    if low:
        create_low_score_item(db, answered, survey)
    return {"status": "received", "message": THANK_YOU.get(survey["language"], THANK_YOU["en"])}


def create_low_score_item(db, link, survey):
    """The follow-up item of a low score (idempotent: its id was fixed when the answer was kept)."""
    site_settings = settings.effective(db, link["site_id"])
    rating, nps = link.get("rating"), link.get("nps")
    severity = "high" if (rating is not None and rating <= 1) or (nps is not None and nps <= 3) else "normal"
    category = "other" if "other" in site_settings["categories"] else site_settings["categories"][0]
    scored = ["rating %d/5" % rating if rating is not None else None, "NPS %d/10" % nps if nps is not None else None]
    lines = ['Survey "%s": %s.' % (survey["title"], ", ".join(s for s in scored if s))]
    lines += ["%s: %s" % pair for pair in answers.texts(survey["questions"], link["answers"])]
    now = link.get("answered_at") or utcnow()
    data = {"_id": link["feedback_id"], "customer_id": link["customer_id"], "contact_id": link["contact_id"],
            "channel": "survey", "type": "complaint", "category": category, "severity": severity,
            "rating": rating, "nps": nps, "subject": ("Low survey score: %s" % survey["title"])[:200],
            "text": "\n".join(lines)[:4000]}
    item = items.new_item(data, link["site_id"], sla.due_at(site_settings, severity, now), items.SERVICE_ACTOR, now,
                          source={"survey_id": survey["_id"], "link_id": link["link_id"]})
    store.insert_feedback(db, item, *items.received_events(item, items.SERVICE_ACTOR))
    store.clear_feedback_pending(db, link["_id"])
    return item


def complete_low_score_items(db):
    """Create the items of low scores whose answer was kept but whose item was not (a crash between)."""
    done = 0
    for link in store.links_awaiting_feedback(db):
        survey = store.find_survey(db, link["survey_id"])
        if survey is not None:
            create_low_score_item(db, link, survey)
            done += 1
    return done
