"""Webhook subscriptions, their delivery log and redelivery (webhooks:admin)."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import webhooks as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.services import notifications

blp = ApiBlueprint("webhooks", __name__, description="Webhooks: signed, retried and logged deliveries of events")


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.operation(200, page_schema(s.WebhookSchema), 400, 403, query=PageQuerySchema)
    def get(self, args):
        """The webhooks of the caller's sites."""
        return notifications.list_webhooks(limit=args["limit"], cursor=args.get("cursor"))

    @blp.operation(201, s.NewWebhookSchema, 403, body=s.WebhookCreateSchema)
    def post(self, body):
        """Subscribe a URL to event types; the answer holds the signing secret, shown only this once.

        A target whose host resolves to any address that is not public (loopback, private, link-local,
        shared 100.64.0.0/10, 6to4, Teredo, NAT64, IPv4-mapped) is refused (422, field ``url``) unless
        WEBHOOK_ALLOW_PRIVATE=true; each delivery resolves again, checks again and connects to the
        address it checked. The secret is stored encrypted. A named site must be active: 422 on
        ``site_id`` (code ``unknown_site`` or ``site_disabled``) otherwise.
        """
        return notifications.create_webhook(body)


@blp.route("/webhooks/<webhook_id>")
class Webhook(MethodView):
    @blp.operation(200, s.WebhookSchema, 403, 404)
    def get(self, webhook_id):
        """One webhook."""
        return notifications.get_webhook(webhook_id)

    @blp.operation(200, s.WebhookSchema, 403, 404, 409, body=s.WebhookUpdateSchema)
    def patch(self, body, webhook_id):
        """Change a webhook's URL, event types, site or description, pause it (``active: false``) or
        resume it (``active: true``); 409 on a stale ``version``. Checked like a new hook; its site (the
        new one, or else its own) must be active: 422 ``site_disabled`` / ``unknown_site`` on ``site_id``,
        so a hook of a disabled site can only be moved to an active site or deleted."""
        return notifications.update_webhook(webhook_id, body)

    @blp.operation(204, None, 403, 404)
    def delete(self, webhook_id):
        """Delete a webhook (also on a disabled site); its pending deliveries are cancelled."""
        notifications.delete_webhook(webhook_id)


@blp.route("/webhooks/<webhook_id>/deliveries")
@blp.operation(200, page_schema(s.DeliverySchema), 400, 403, 404, query=s.DeliveryQuerySchema)
def list_deliveries(args, webhook_id):
    """A webhook's deliveries, newest first, each with every attempt (status, latency, error)."""
    filters, limit, cursor = split_page(args)
    return notifications.list_deliveries(webhook_id, filters, limit=limit, cursor=cursor)


@blp.route("/deliveries/<delivery_id>/redeliver", methods=["POST"])
@blp.operation(202, s.DeliverySchema, 403, 404, 409)
def redeliver(delivery_id):
    """Send a delivery's event again: a new delivery id, the same event id; audited.

    409 ``webhook_disabled`` when the hook is disabled, ``delivery_erased`` when the event's customer was erased.
    """
    return notifications.redeliver(delivery_id)
