"""Feedback and complaints: items, their workflow and responses, per-site settings, and the
satisfaction report."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import feedback as s
from gateway.schemas.common import page_schema, split_page
from gateway.services import feedback

blp = ApiBlueprint("feedback", __name__, description="Feedback, complaints and their handling")


def with_due_text(body):
    """The body with ``due_at`` as ISO text, so it can travel in an RPC."""
    if body.get("due_at"):
        body = dict(body, due_at=body["due_at"].isoformat())
    return body


@blp.route("/feedback")
class FeedbackItems(MethodView):
    @blp.operation(200, page_schema(s.FeedbackSchema), 400, 403, query=s.FeedbackListQuerySchema)
    def get(self, args):
        """Feedback of your sites matching the filters (feedback:read)."""
        filters, limit, cursor = split_page(args)
        return feedback.list_feedback(filters, limit=limit, cursor=cursor)

    @blp.operation(201, s.FeedbackSchema, 403, body=s.FeedbackCreateSchema)
    def post(self, body):
        """Record feedback for a customer of your sites (feedback:write); due by the site's SLA.
        The customer's site must be active: 422 ``site_disabled`` on ``site_id`` otherwise."""
        return feedback.create_feedback(with_due_text(body))


@blp.route("/feedback/<feedback_id>")
class FeedbackItem(MethodView):
    @blp.operation(200, s.FeedbackSchema, 403, 404)
    def get(self, feedback_id):
        """One feedback item, with its responses and status history."""
        return feedback.get_feedback(feedback_id)

    @blp.operation(200, s.FeedbackSchema, 403, 404, 409, body=s.FeedbackUpdateSchema)
    def patch(self, body, feedback_id):
        """Assign, move along the workflow, resolve (with a summary), record the customer's
        confirmation, or reclassify (feedback:write). 409 on a stale version or a move the
        workflow does not allow (``allowed`` names the ones it does). An item of a disabled site
        cannot be changed (422 ``site_disabled`` on ``site_id``): it leaves the site with its customer.
        ``assignee_left`` says when and from whom an item went back to its site's queue."""
        return feedback.update_feedback(feedback_id, body)


@blp.route("/feedback/<feedback_id>/responses", methods=["POST"])
@blp.operation(201, s.FeedbackSchema, 403, 404, 409, body=s.ResponseCreateSchema)
def add_response(body, feedback_id):
    """Add an internal note or a reply to the customer (feedback:write)."""
    return feedback.add_response(feedback_id, body)


@blp.route("/feedback/settings/<site_id>")
class Settings(MethodView):
    @blp.operation(200, s.FeedbackSettingsSchema, 403, 404)
    def get(self, site_id):
        """A site's feedback categories and SLA hours per severity (feedback:read)."""
        return feedback.get_settings(site_id)

    @blp.operation(200, s.FeedbackSettingsSchema, 403, 404, 409, body=s.FeedbackSettingsUpdateSchema)
    def put(self, body, site_id):
        """Change a site's categories or SLA hours (settings:write, on one of your sites; plain
        feedback:write is not enough); 409 on a stale version; 422 on ``site_id`` (``unknown_site``,
        ``site_disabled``) unless the site is active."""
        return feedback.update_settings(site_id, body)


@blp.route("/reports/satisfaction")
@blp.operation(200, s.SatisfactionReportSchema, 403, 404, query=s.SatisfactionQuerySchema)
def satisfaction(args):
    """CSAT, NPS, survey response rate, feedback by category and severity, top complaint
    categories, SLA compliance, median time to resolve and the monthly trend (reports:read)."""
    return feedback.report_satisfaction(split_page(args)[0])
