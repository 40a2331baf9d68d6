"""Reorder forecasts (when each customer is expected to order next, and how much) and the products
to recommend to a customer. Both need customers:read and orders:read."""
from gateway.blueprint import ApiBlueprint
from gateway.schemas import forecasts as s
from gateway.schemas.common import page_schema, split_page
from gateway.services import customers

blp = ApiBlueprint("forecasts", __name__, description="Reorder forecasts and product recommendations")


@blp.route("/customers/<customer_id>/forecast")
@blp.operation(200, s.ForecastSchema, 403, 404)
def forecast(customer_id):
    """The customer's next order as its order history expects it: date and amount, each with its 80 %
    range, how late it is, and the same for its 10 products of largest amount.

    From the counted orders (not cancelled or draft), one purchase per order day: the cadence (median
    gap, or a Theil-Sen trend of the gaps when its slope is sure), the amount (median, or its trend,
    with month-of-year factors given two years of history), the ranges from the fit's residuals
    (empirical 10-90 % quantiles, or a t interval with fewer than 20). Fewer than 3 order days:
    ``next_order`` null, ``method`` ``insufficient_history``. A customer of another site is 404.
    """
    return customers.customer_forecast(customer_id)


@blp.route("/forecasts/expected-orders")
@blp.operation(200, page_schema(s.ExpectedOrderSchema), 400, 403, 404, 422, query=s.ExpectedOrdersQuerySchema)
def expected_orders(args):
    """Customers of your sites (of ``site_id``; another site is 404) whose next order is expected from
    today to ``within_days`` ahead (default 30) and, with ``overdue_days``, those whose expected order
    is that many days late or more (up to a year more), by expected date then id. "Today" is the
    site's day (UTC across several sites). Not counted: ``total`` is a lower bound until the last page.
    """
    query, limit, cursor = split_page(args)
    return customers.expected_orders(query, cursor=cursor, limit=limit)


@blp.route("/customers/<customer_id>/recommendations")
@blp.operation(200, s.RecommendationsSchema, 403, 404)
def recommendations(customer_id):
    """Up to 10 products the customer has never bought, each with its reason and score: bought by
    customers of its industry or tier (``similar_customers``), or ordered together with a product it
    buys (``bought_together``), read from the last two years of orders of its site (of every site for
    sites:all), at most 5 000 orders. A customer of another site is 404.
    """
    return customers.recommendations(customer_id)
