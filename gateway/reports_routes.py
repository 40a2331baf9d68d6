"""Reports over the customer archive (reports:read), per site or across your sites."""
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import customers as s
from gateway.schemas.common import error_responses, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports on customers")


def report(method, args):
    return rpc.call("customers", method, split_page(args)[0], context=rpc_context())


@blp.route("/reports/tiers")
@authenticated(blp)
@blp.arguments(s.ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.TierReportSchema)
@error_responses(blp, 403)
def tiers(args):
    """How customers spread over the tiers, and the moves between tiers in the period."""
    return report("report_tiers", args)


@blp.route("/reports/sales")
@authenticated(blp)
@blp.arguments(s.ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.SalesReportSchema)
@error_responses(blp, 403)
def sales(args):
    """Order amounts by month, product, customer and site.

    Only records of your sites count (a moved customer's orders move with it); a customer outside
    your sites is never named.
    """
    return report("report_sales", args)


@blp.route("/reports/funnel")
@authenticated(blp)
@blp.arguments(s.ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.FunnelReportSchema)
@error_responses(blp, 403)
def funnel(args):
    """Opportunities per stage (count and amount) and the conversion between stages."""
    return report("report_funnel", args)


@blp.route("/reports/churn-risk")
@authenticated(blp)
@blp.arguments(s.ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.ChurnReportSchema)
@error_responses(blp, 403)
def churn_risk(args):
    """Customers at risk of churning, with the reasons."""
    return report("report_churn", args)
