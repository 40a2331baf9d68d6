"""Sales targets and their attainment, staff scorecards and leaderboards, and the pipeline forecast.
Every measure's definition: README, "Targets and staff performance"."""
from flask import send_file
from flask.views import MethodView

from gateway import downloads, language
from gateway.blueprint import ApiBlueprint
from gateway.schemas import performance as s
from gateway.schemas.common import plain
from gateway.services import customers

blp = ApiBlueprint("performance", __name__, description="Sales targets, staff performance and the pipeline forecast")


@blp.route("/targets")
class Targets(MethodView):
    @blp.operation(200, s.TargetListSchema, 403, 404, query=s.TargetQuerySchema)
    def get(self, args):
        """The targets of a period (default: the current quarter) with their attainment: every target of your
        sites with targets:manage, else those you hold and your teams'. Amount targets need orders:read."""
        return customers.list_targets(plain(args))

    @blp.operation(201, s.TargetDetailSchema, 403, 409, 503, body=s.TargetCreateSchema)
    def post(self, body):
        """Set a target (targets:manage): a site's, a team's of the site or a user's of the site, for a period;
        ``parent_id`` breaks a target down (a site's over its teams and users, a team's over its members) and
        takes the parent's site, period and measure. One target per holder, period and measure (409)."""
        return customers.create_target(plain(body))


@blp.route("/targets/<target_id>")
class Target(MethodView):
    @blp.operation(200, s.TargetDetailSchema, 403, 404)
    def get(self, target_id):
        """A target with its attainment, the targets breaking it down and the value not yet assigned to them."""
        return customers.get_target(target_id)

    @blp.operation(200, s.TargetSchema, 403, 404, 409, body=s.TargetUpdateSchema)
    def patch(self, body, target_id):
        """Change a target's value (targets:manage); 409 on a stale ``version``."""
        return customers.update_target(target_id, plain(body))

    @blp.operation(204, None, 403, 404)
    def delete(self, target_id):
        """Delete a target and the targets breaking it down (targets:manage)."""
        customers.delete_target(target_id)


@blp.route("/scorecards")
@blp.operation(200, s.ScorecardSchema, 403, 404, 503, query=s.ScorecardQuerySchema)
def scorecard(args):
    """A user's (default: yours) or a team's measures over a period (default: the current quarter) at a site.
    Another user's or a team you are not in needs targets:manage. ``incomplete`` names a service that did
    not answer; its measures are null."""
    return customers.scorecard(plain(args))


@blp.route("/scorecards/export")
@blp.operation(200, {"type": "string"}, 403, 404, query=s.LeaderboardQuerySchema,
               content_type=downloads.XLSX_TYPE, description="Every user's scorecard of the site, one row each")
def export_scorecards(args):
    """Every user's scorecard of a site for a period as XLSX (targets:manage), headers in your language."""
    page = customers.scorecard_rows(plain(args))
    _, handle = downloads.xlsx_file([page], title="Scorecards", header=language.column_headers,
                                    language=language.request_language())
    return send_file(handle, mimetype=downloads.XLSX_TYPE, as_attachment=True, download_name=page["filename"])


@blp.route("/leaderboards")
@blp.operation(200, s.LeaderboardSchema, 403, 404, 503, query=s.LeaderboardQuerySchema)
def leaderboard(args):
    """The users of a site ranked by one measure over a period (targets:manage; an amount needs orders:read);
    equal values share a rank."""
    return customers.leaderboard(plain(args))


@blp.route("/forecasts/pipeline")
@blp.operation(200, s.PipelineSchema, 403, 404, query=s.PipelineQuerySchema)
def pipeline(args):
    """The period's forecast of order amount at a site (orders:read): orders so far, open opportunities
    expected to close in it weighted by the site's stage probabilities, and the reorders the forecast
    expects, against the site's order-amount target."""
    return customers.pipeline(plain(args))
