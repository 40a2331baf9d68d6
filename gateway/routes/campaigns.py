"""Customer care campaigns (automations:manage), and the public unsubscribe link of their messages.

``GET /u/{token}`` and ``POST /u/{token}`` need no login: the signed link is the credential, checked
by the notifications service. A browser gets a small page (a form posting to itself, no script);
opening the link changes nothing, confirming records the opt-out.
"""
from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.blueprint import ApiBlueprint
from gateway.extensions import ErrorSchema
from gateway.headers import UNSUBSCRIBE_PAGE
from gateway.schemas import campaigns as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.public_pages import html_pages, public_service, wants_html
from gateway.services import notifications
from services.common import messages
from services.common.errors import CrmError

blp = ApiBlueprint("campaigns", __name__, description="Customer care campaigns: one message to a segment's contacts")
public_blp = Blueprint("public_unsubscribe", __name__, description="The public unsubscribe page (no login)")

TEXTS = {
    "zh-CN": {"title": "退订", "hello": "您好", "ask": "确认后，您将不再收到我们的关怀和营销消息。",
              "confirm": "确认退订", "done": "您已退订，今后不会再收到此类消息。",
              "unavailable": "服务暂时不可用，请稍后再试。"},
    "en": {"title": "Unsubscribe", "hello": "Hello", "ask": "Once you confirm, you will receive no more of our "
                                                             "customer care and marketing messages.",
           "confirm": "Unsubscribe", "done": "You are unsubscribed: no more of these messages will be sent to you.",
           "unavailable": "The service is unavailable; please try again later."},
}


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.operation(200, page_schema(s.CampaignSchema), 400, 403, query=PageQuerySchema)
    def get(self, args):
        """The campaigns of the caller's sites, newest first, each with its counts of recipients by status."""
        return notifications.list_campaigns(limit=args["limit"], cursor=args.get("cursor"))

    @blp.operation(201, s.CampaignSchema, 403, 503, body=s.CampaignCreateSchema)
    def post(self, body):
        """A draft campaign: a segment (a saved view or list filters) of one site's customers, which of their
        contacts, and the message in zh-CN and/or en (each contact gets their customer's country's language),
        by e-mail or text message. The caller becomes its owner: the audience is read with their permissions
        when it is sent. Schedule it with ``POST /campaigns/{id}/schedule``."""
        return notifications.create_campaign(body)


@blp.route("/campaigns/<campaign_id>")
class Campaign(MethodView):
    @blp.operation(200, s.CampaignSchema, 403, 404)
    def get(self, campaign_id):
        """A campaign with its report: recipients queued, sent, failed and skipped (by reason)."""
        return notifications.get_campaign(campaign_id)

    @blp.operation(200, s.CampaignSchema, 403, 404, 409, body=s.CampaignUpdateSchema)
    def patch(self, body, campaign_id):
        """Change a draft (409 ``campaign_not_draft`` once scheduled; 409 on a stale ``version``)."""
        return notifications.update_campaign(campaign_id, body)

    @blp.operation(204, None, 403, 404, 409)
    def delete(self, campaign_id):
        """Delete a campaign that is not running (409 ``campaign_running``: cancel it first)."""
        notifications.delete_campaign(campaign_id)


@blp.route("/campaigns/<campaign_id>/schedule", methods=["POST"])
@blp.operation(200, s.CampaignSchema, 403, 404, 409, body=s.CampaignScheduleSchema)
def schedule(body, campaign_id):
    """Schedule a draft: it starts at ``send_at`` (default the campaign's, else at once) and sends
    ``per_minute`` messages a minute at most. Each contact gets it once, even across restarts; contacts who
    opted out, and those with no address, are skipped and counted."""
    return notifications.schedule_campaign(campaign_id, body)


@blp.route("/campaigns/<campaign_id>/cancel", methods=["POST"])
@blp.operation(200, s.CampaignSchema, 403, 404, 409)
def cancel(campaign_id):
    """Stop a scheduled or sending campaign: what is still queued is not sent (409 otherwise)."""
    return notifications.cancel_campaign(campaign_id)


@blp.route("/campaigns/<campaign_id>/recipients")
@blp.operation(200, page_schema(s.RecipientSchema), 400, 403, 404, query=s.RecipientQuerySchema)
def recipients(args, campaign_id):
    """A campaign's recipients with their status (queued, sent, failed, skipped and why)."""
    filters, limit, cursor = split_page(args)
    return notifications.campaign_recipients(campaign_id, filters, limit=limit, cursor=cursor)


@blp.route("/campaigns/<campaign_id>/audience")
@blp.operation(200, s.AudienceCountSchema, 403, 404)
def audience(campaign_id):
    """How many customers the campaign's segment holds now, as the customer list counts them (a lower bound,
    ``total_is_lower_bound``, where the list cannot count its filters cheaply)."""
    return notifications.campaign_audience(campaign_id)


@blp.route("/campaigns/<campaign_id>/test", methods=["POST"])
@blp.operation(200, s.TestSentSchema, 403, 404, 422)
def test_send(campaign_id):
    """Send the message to yourself (your e-mail, or your text number), as a contact of an example customer."""
    return notifications.test_campaign(campaign_id)


@blp.route("/campaign-occasions")
@blp.operation(200, s.OccasionsSchema, 403)
def list_occasions():
    """China's public holidays of the coming year, the lunar ones included (Spring Festival, Dragon Boat,
    Mid-Autumn), each with its first day: a campaign with ``occasion`` and no ``send_at`` goes out at 9:00
    that day in its site's time zone."""
    return notifications.campaign_occasions()


# The public page

public_notifications = public_service("notifications")


def _language():
    return messages.negotiate(request.headers.get("Accept-Language"), "zh-CN")


def _page(status, **context):
    language = _language()
    html = render_template("unsubscribe.html", t=TEXTS[language], language=language, **context)
    return Response(html, status, mimetype="text/html", headers=UNSUBSCRIBE_PAGE)


def _answer(method, token):
    html = wants_html()
    try:
        found = getattr(public_notifications, method)(token)
    except CrmError as exc:
        if not html or exc.code not in ("not_found", "service_unavailable"):
            raise
        status = 404 if exc.code == "not_found" else 503
        text = messages.localize(exc.message, _language())["message"] if status == 404 else \
            TEXTS[_language()]["unavailable"]
        return _page(status, message=text)
    return _page(200, **found) if html else found


@public_blp.route("/u/<token>", methods=["GET"])
@html_pages(public_blp, 200, 404, 503)
@public_blp.response(200, s.UnsubscribeSchema, description="The contact's name and whether they opted out already")
@public_blp.alt_response(404, schema=ErrorSchema, description="Not an unsubscribe link")
@public_blp.alt_response(503, schema=ErrorSchema, description="The notifications service is unavailable")
def show_unsubscribe(token):
    """The page of a campaign message's unsubscribe link; opening it changes nothing."""
    return _answer("unsubscribe_page", token)


@public_blp.route("/u/<token>", methods=["POST"])
@html_pages(public_blp, 200, 404, 503)
@public_blp.response(200, s.UnsubscribeSchema, description="Opted out (again: nothing more happens)")
@public_blp.alt_response(404, schema=ErrorSchema, description="Not an unsubscribe link")
@public_blp.alt_response(503, schema=ErrorSchema, description="The notifications service is unavailable")
def confirm_unsubscribe(token):
    """Opt out of every later campaign of the company (by contact and by address)."""
    return _answer("unsubscribe", token)
