"""Webhook subscriptions, their delivery log and redelivery (webhooks:admin)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import notifications as s
from gateway.schemas.common import PageQuerySchema, error_responses, page_schema, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1",
                description="Webhooks: signed, retried and logged deliveries of events")


def notifications(method, *args, **kwargs):
    return rpc.call("notifications", method, *args, context=rpc_context(), **kwargs)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @authenticated(blp)
    @blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(s.WebhookSchema))
    @error_responses(blp, 400, 403)
    def get(self, args):
        """The webhooks of the caller's sites."""
        return notifications("list_webhooks", limit=args["limit"], cursor=args.get("cursor"))

    @authenticated(blp)
    @blp.arguments(s.WebhookCreateSchema)
    @blp.response(201, s.NewWebhookSchema)
    @error_responses(blp, 403)
    def post(self, body):
        """Subscribe a URL to event types; the answer holds the signing secret, shown only this once.

        A target whose host resolves to any address that is not public (loopback, private, link-local,
        shared 100.64.0.0/10, 6to4, Teredo, NAT64, IPv4-mapped) is refused (422, field ``url``) unless
        WEBHOOK_ALLOW_PRIVATE=true; each delivery resolves again, checks again and connects to the
        address it checked. The secret is stored encrypted. A named site must be active: 422 on
        ``site_id`` (code ``unknown_site`` or ``site_disabled``) otherwise.
        """
        return notifications("create_webhook", body)


@blp.route("/webhooks/<webhook_id>")
class Webhook(MethodView):
    @authenticated(blp)
    @blp.response(200, s.WebhookSchema)
    @error_responses(blp, 403, 404)
    def get(self, webhook_id):
        """One webhook."""
        return notifications("get_webhook", webhook_id)

    @authenticated(blp)
    @blp.arguments(s.WebhookUpdateSchema)
    @blp.response(200, s.WebhookSchema)
    @error_responses(blp, 403, 404, 409)
    def patch(self, body, webhook_id):
        """Change a webhook's URL, event types, site or description, pause it (``active: false``) or
        resume it (``active: true``); 409 on a stale ``version``. Checked like a new hook; its site (the
        new one, or else its own) must be active: 422 ``site_disabled`` / ``unknown_site`` on ``site_id``,
        so a hook of a disabled site can only be moved to an active site or deleted."""
        return notifications("update_webhook", webhook_id, body)

    @authenticated(blp)
    @blp.response(204)
    @error_responses(blp, 403, 404)
    def delete(self, webhook_id):
        """Delete a webhook (also on a disabled site); its pending deliveries are cancelled."""
        notifications("delete_webhook", webhook_id)


@blp.route("/webhooks/<webhook_id>/deliveries")
@authenticated(blp)
@blp.arguments(s.DeliveryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, page_schema(s.DeliverySchema))
@error_responses(blp, 400, 403, 404)
def list_deliveries(args, webhook_id):
    """A webhook's deliveries, newest first, each with every attempt (status, latency, error)."""
    filters, limit, cursor = split_page(args)
    return notifications("list_deliveries", webhook_id, filters, limit=limit, cursor=cursor)


@blp.route("/deliveries/<delivery_id>/redeliver", methods=["POST"])
@authenticated(blp)
@blp.response(202, s.DeliverySchema)
@error_responses(blp, 403, 404, 409)
def redeliver(delivery_id):
    """Send a delivery's event again: a new delivery id, the same event id; audited.

    409 ``webhook_disabled`` when the hook is disabled, ``delivery_erased`` when the event's customer was erased.
    """
    return notifications("redeliver", delivery_id)
