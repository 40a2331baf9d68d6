"""The caller's inbox and notification preferences, and the e-mails that could not be sent."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import notifications as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.services import notifications

blp = ApiBlueprint("notifications", __name__, description="Inbox and notification preferences")


@blp.route("/notifications")
@blp.operation(200, s.InboxPageSchema, 400, query=s.InboxQuerySchema)
def list_notifications(args):
    """The caller's notifications, newest first (``unread=true``: only unread ones)."""
    filters, limit, cursor = split_page(args)
    return notifications.list_notifications(filters, limit=limit, cursor=cursor)


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@blp.operation(200, s.NotificationSchema, 404)
def mark_read(notification_id):
    """Mark one of the caller's notifications read."""
    return notifications.mark_read(notification_id)


@blp.route("/notifications/read-all", methods=["POST"])
@blp.operation(200, s.ReadAllSchema)
def mark_all_read():
    """Mark every notification of the caller read."""
    return notifications.mark_all_read()


@blp.route("/notifications/preferences")
class Preferences(MethodView):
    @blp.operation(200, s.PreferencesSchema)
    def get(self):
        """Which kinds the caller also gets by e-mail or text (defaults: all by e-mail, none by text)."""
        return notifications.get_preferences()

    @blp.operation(200, s.PreferencesSchema, 409, body=s.PreferencesUpdateSchema)
    def put(self, body):
        """Replace the caller's preferences; 409 when ``version`` is given and stale. A change is audited
        (the text-message number masked to its last four digits)."""
        return notifications.set_preferences(body)


@blp.route("/notifications/failed-emails")
@blp.operation(200, page_schema(s.FailedEmailSchema), 400, 403, query=PageQuerySchema)
def list_failed_emails(args):
    """E-mails that failed every retry, newest first (webhooks:admin or users:admin)."""
    return notifications.list_failed_emails(limit=args["limit"], cursor=args.get("cursor"))
