"""Scheduled reports: the caller's subscriptions to reports sent by e-mail (reports:read)."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import report_subscriptions as s
from gateway.services import notifications

blp = ApiBlueprint("report_subscriptions", __name__, description="Scheduled reports by e-mail")


@blp.route("/report-subscriptions")
class Subscriptions(MethodView):
    @blp.operation(200, s.ReportSubscriptionsSchema, 403)
    def get(self):
        """Your report subscriptions, each with its next time and, when the last could not be sent, why."""
        return notifications.report_subscriptions()

    @blp.operation(201, s.ReportSubscriptionSchema, 403, 404, 503, body=s.ReportSubscriptionCreateSchema)
    def post(self, body):
        """Subscribe to a report weekly (Mondays 8:00, the 7 days before) or monthly (the 1st, 8:00, the month
        before), in your site's time zone: it arrives by e-mail in your language, as an XLSX attachment with a
        summary in the body, computed with your permissions and sites when it is sent."""
        return notifications.subscribe_report(body)


@blp.route("/report-subscriptions/<subscription_id>", methods=["DELETE"])
@blp.operation(204, None, 403, 404)
def unsubscribe(subscription_id):
    """Stop one of your subscriptions."""
    notifications.unsubscribe_report(subscription_id)
