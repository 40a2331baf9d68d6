"""The caller's inbox and notification preferences, and the e-mails that could not be sent."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import notifications as s
from gateway.schemas.common import PageQuerySchema, error_responses, page_schema, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Inbox and notification preferences")


def notifications(method, *args, **kwargs):
    return rpc.call("notifications", method, *args, context=rpc_context(), **kwargs)


@blp.route("/notifications")
@authenticated(blp)
@blp.arguments(s.InboxQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.InboxPageSchema)
@error_responses(blp, 400)
def list_notifications(args):
    """The caller's notifications, newest first (``unread=true``: only unread ones)."""
    filters, limit, cursor = split_page(args)
    return notifications("list_notifications", filters, limit=limit, cursor=cursor)


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@authenticated(blp)
@blp.response(200, s.NotificationSchema)
@error_responses(blp, 404)
def mark_read(notification_id):
    """Mark one of the caller's notifications read."""
    return notifications("mark_read", notification_id)


@blp.route("/notifications/read-all", methods=["POST"])
@authenticated(blp)
@blp.response(200, s.ReadAllSchema)
def mark_all_read():
    """Mark every notification of the caller read."""
    return notifications("mark_all_read")


@blp.route("/notifications/preferences")
class Preferences(MethodView):
    @authenticated(blp)
    @blp.response(200, s.PreferencesSchema)
    def get(self):
        """Which kinds the caller also gets by e-mail or text (defaults: all by e-mail, none by text)."""
        return notifications("get_preferences")

    @authenticated(blp)
    @blp.arguments(s.PreferencesUpdateSchema)
    @blp.response(200, s.PreferencesSchema)
    @error_responses(blp, 409)
    def put(self, body):
        """Replace the caller's preferences; 409 when ``version`` is given and stale. A change is audited
        (the text-message number masked to its last four digits)."""
        return notifications("set_preferences", body)


@blp.route("/notifications/failed-emails")
@authenticated(blp)
@blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, page_schema(s.FailedEmailSchema))
@error_responses(blp, 400, 403)
def list_failed_emails(args):
    """E-mails that failed every retry, newest first (webhooks:admin or users:admin)."""
    return notifications("list_failed_emails", limit=args["limit"], cursor=args.get("cursor"))
