"""Surveys: questions, sending single-use links to a customer's contacts, and the public page.

``GET /s/{token}`` and ``POST /s/{token}`` need no login: the link's token is the credential,
checked by the feedback service. API clients get JSON; browsers get a small HTML page (plain
form POST, no script, no CDN).
"""
from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.blueprint import ApiBlueprint
from gateway.errors import error_response
from gateway.extensions import ErrorSchema
from gateway.headers import SURVEY_PAGE
from gateway.language import localized_fields
from gateway.schemas import surveys as s
from gateway.schemas.common import PageQuerySchema, page_schema
from gateway.public_pages import html_pages, public_service, wants_html
from gateway.services import feedback
from services.common import messages
from services.common.errors import CrmError, ValidationFailed

blp = ApiBlueprint("surveys", __name__, description="Satisfaction surveys")
public_blp = Blueprint("public_surveys", __name__, description="The public survey page and API (no login)")

GONE = "Used or expired link (survey_link_used, survey_link_expired)"
LINK_STATUS = {"survey_link_used": 410, "survey_link_expired": 410, "survey_link_invalid": 404}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


TEXTS = {
    "zh-CN": {"submit": "提交", "required": "必填", "thanks": "感谢您的反馈！", "problem": "无法打开问卷",
              "unavailable": "服务暂时不可用，请稍后再试。", "fix": "请检查以下标出的问题。", "for": "致"},
    "en": {"submit": "Send", "required": "required", "thanks": "Thank you for your feedback!",
           "problem": "This survey cannot be opened",
           "unavailable": "The service is unavailable; please try again later.",
           "fix": "Please check the answers marked below.", "for": "For"},
}


@blp.route("/surveys")
class Surveys(MethodView):
    @blp.operation(200, page_schema(s.SurveySchema), 400, 403, query=PageQuerySchema)
    def get(self, args):
        """Surveys of your sites (feedback:read)."""
        return feedback.list_surveys(limit=args["limit"], cursor=args.get("cursor"))

    @blp.operation(201, s.SurveySchema, 403, body=s.SurveyCreateSchema)
    def post(self, body):
        """Create a survey: rating (1-5), NPS (0-10), single-choice and free-text questions (feedback:write).
        Its site must be active: 422 on ``site_id`` (``unknown_site``, ``site_disabled``) otherwise."""
        return feedback.create_survey(body)


@blp.route("/surveys/<survey_id>")
class Survey(MethodView):
    @blp.operation(200, s.SurveySchema, 403, 404)
    def get(self, survey_id):
        """One survey, with how many links were sent and answered."""
        return feedback.get_survey(survey_id)

    @blp.operation(200, s.SurveySchema, 403, 404, 409, body=s.SurveyUpdateSchema)
    def patch(self, body, survey_id):
        """Move a survey to another of your sites (feedback:write): the new site must be one of
        yours (422 on ``site_id`` otherwise) and active (422 ``unknown_site`` / ``site_disabled``
        on ``site_id``); the old site may be disabled, so a retired site can be emptied before it
        is deleted. 409 ``stale_version`` on a stale version. Audited. The links already sent stay
        with their customers' sites."""
        return feedback.update_survey(survey_id, body)


@blp.route("/surveys/<survey_id>/results")
@blp.operation(200, s.SurveyResultsSchema, 403, 404)
def survey_results(survey_id):
    """What the answers add up to per question (average and spread of ratings, NPS with promoters,
    passives and detractors, counts per choice, the latest texts) and the latest 200 answers, from
    the links of your sites only (feedback:read)."""
    return feedback.survey_results(survey_id)


@blp.route("/surveys/<survey_id>/send", methods=["POST"])
@blp.operation(201, s.SurveySendResultSchema, 403, 404, body=s.SurveySendSchema)
def send_survey(body, survey_id):
    """Send the survey to chosen contacts of a customer: one single-use link each, valid 30 days,
    mailed by notifications (feedback:write and contacts:read). The customer must be of the
    survey's site (422 on ``customer_id`` otherwise), and that site active (422 on ``site_id``)."""
    return feedback.send_survey(survey_id, body)


# The public page

public_feedback = public_service("feedback")


def texts(language=None):
    language = language or request.accept_languages.best_match(list(TEXTS)) or "zh-CN"
    return TEXTS.get(language, TEXTS["en"])


def page(status, **context):
    context.setdefault("t", texts((context.get("survey") or {}).get("language")))
    context.setdefault("answers", {})
    context.setdefault("errors", {})
    return Response(render_template("survey.html", **context), status, mimetype="text/html", headers=SURVEY_PAGE)


def failure(exc, html):
    """A link that is unknown, used or expired (or a service that is down), as JSON or a page."""
    status = LINK_STATUS.get(exc.code)
    if not html:
        if status is None:
            raise exc
        return error_response(status, exc.code, exc.message)
    if status is None:
        if exc.code != "service_unavailable":
            raise exc
        return page(503, message=texts()["unavailable"], title=texts()["problem"])
    language = messages.negotiate(request.headers.get("Accept-Language"), "zh-CN")
    return page(status, message=messages.localize(exc.message, language)["message"], title=texts()["problem"])


def submitted_answers():
    """(answers, html?) from a form with one field per question, or else a JSON body ``{"answers": {...}}``."""
    if request.mimetype in FORM_TYPES:
        return {key: value for key, value in request.form.items()}, True
    body = request.get_json(silent=True, force=True)
    errors = s.SurveyAnswerSchema().validate(body) if isinstance(body, dict) else {"_body": ["Must be an object."]}
    if errors:
        raise ValidationFailed(fields=errors)
    return body["answers"], False


ANSWER_BODY = {"required": True, "content": {
    "application/json": {"schema": s.SurveyAnswerSchema},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}},
}}


@public_blp.route("/s/<token>", methods=["GET"])
@html_pages(public_blp, 200, 404, 410, 503)
@public_blp.response(200, s.PublicSurveySchema, description="The survey (JSON), or its page for a browser")
@public_blp.alt_response(404, schema=ErrorSchema, description="Unknown link (survey_link_invalid)")
@public_blp.alt_response(410, schema=ErrorSchema, description=GONE)
@public_blp.alt_response(503, schema=ErrorSchema, description="The feedback service is unavailable")
def show_survey(token):
    """The survey behind a single-use link; no login. Browsers (Accept: text/html) get the form."""
    html = wants_html()
    try:
        survey = public_feedback.survey_for_token(token)
    except CrmError as exc:
        return failure(exc, html)
    if html:
        return page(200, survey=survey)
    return survey


@public_blp.route("/s/<token>", methods=["POST"])
@public_blp.doc(requestBody=ANSWER_BODY)
@html_pages(public_blp, 200, 404, 410, 422, 503)
@public_blp.response(200, s.SurveyAnswerResultSchema, description="Kept; a thank-you (a page for a form post)")
@public_blp.alt_response(404, schema=ErrorSchema, description="Unknown link (survey_link_invalid)")
@public_blp.alt_response(410, schema=ErrorSchema, description=GONE)
@public_blp.alt_response(422, schema=ErrorSchema, description="An answer is missing or not valid (by question id)")
@public_blp.alt_response(503, schema=ErrorSchema, description="The feedback service is unavailable")
def answer_survey(token):
    """Answer the survey once: JSON ``{"answers": {question id: answer}}`` or a form post."""
    given, html = submitted_answers()
    try:
        result = public_feedback.answer_survey(token, given)
    except ValidationFailed as exc:
        if not html:
            raise
        try:
            survey = public_feedback.survey_for_token(token)
        except CrmError as again:
            return failure(again, html)
        errors = localized_fields(exc.fields, survey["language"])[0]
        return page(422, survey=survey, answers=given, errors=errors, message=texts(survey["language"])["fix"])
    except CrmError as exc:
        return failure(exc, html)
    if html:
        return page(200, message=result["message"], title=texts()["thanks"], done=True)
    return result
