"""Reports over the customer archive (reports:read), per site or across your sites."""
from gateway.blueprint import ApiBlueprint
from gateway.schemas import reports as s
from gateway.schemas.common import split_page
from gateway.services import customers

blp = ApiBlueprint("reports", __name__, description="Reports on customers")


@blp.route("/reports/tiers")
@blp.operation(200, s.TierReportSchema, 403, query=s.ReportQuerySchema)
def tiers(args):
    """How customers spread over the tiers, and the moves between tiers in the period."""
    return customers.report_tiers(split_page(args)[0])


@blp.route("/reports/sales")
@blp.operation(200, s.SalesReportSchema, 403, query=s.ReportQuerySchema)
def sales(args):
    """Order amounts by month, product, customer and site.

    Only records of your sites count (a moved customer's orders move with it); a customer outside
    your sites is never named.
    """
    return customers.report_sales(split_page(args)[0])


@blp.route("/reports/funnel")
@blp.operation(200, s.FunnelReportSchema, 403, query=s.ReportQuerySchema)
def funnel(args):
    """Opportunities per stage (count and amount) and the conversion between stages."""
    return customers.report_funnel(split_page(args)[0])


@blp.route("/reports/churn-risk")
@blp.operation(200, s.ChurnReportSchema, 403, query=s.ReportQuerySchema)
def churn_risk(args):
    """Customers at risk of churning, with the reasons."""
    return customers.report_churn(split_page(args)[0])
