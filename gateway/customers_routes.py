"""Customers: the archive, its periodic review and tiers."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import customers as s
from gateway.schemas.common import PageQuerySchema, error_responses, page_schema, plain, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("customers", __name__, url_prefix="/api/v1", description="The customer archive")


def customers(method, *args, **kwargs):
    return rpc.call("customers", method, *args, context=rpc_context(), **kwargs)


@blp.route("/customers")
class Customers(MethodView):
    @authenticated(blp)
    @blp.arguments(s.CustomerListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(s.CustomerSchema))
    @error_responses(blp, 400, 403)
    def get(self, args):
        """Customers of your sites matching ``q`` and the filters, one page at a time.

        A search the database cannot answer within ``SEARCH_TIME_LIMIT`` seconds is refused with
        503 ``search_too_broad``: narrow it with a filter or a longer ``q``.
        """
        filters, limit, cursor = split_page(args)
        return customers("list_customers", filters, limit=limit, cursor=cursor)

    @authenticated(blp)
    @blp.arguments(s.CustomerCreateSchema)
    @blp.arguments(s.CreateCustomerQuerySchema, location="query", unknown=RAISE)
    @blp.response(201, s.CustomerSchema)
    @blp.alt_response(409, schema=s.DuplicateErrorSchema,
                      description="Same tax id (existing_id), or similar customers (candidates) unless force=true")
    @error_responses(blp, 403, 422, 503)
    def post(self, body, args):
        """Create a customer (customers:write).

        ``owner_id`` must name an active user of the customer's site holding ``customers:read``
        (422 on ``owner_id``); the site must exist and be active (422 on ``site_id``, code
        ``unknown_site`` or ``site_disabled``); 503 when accounts cannot be asked.
        """
        return customers("create_customer", plain(body), force=args["force"])


@blp.route("/customers/review-due")
@authenticated(blp)
@blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, page_schema(s.CustomerSchema))
@error_responses(blp, 400, 403)
def review_due(args):
    """Customers of your sites not verified within the site's review period (90 days by default)."""
    return customers("review_due", limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/customers/<id:customer_id>")
class Customer(MethodView):
    @authenticated(blp)
    @blp.response(200, s.CustomerSchema)
    @error_responses(blp, 403, 404)
    def get(self, customer_id):
        """One customer."""
        return customers("get_customer", customer_id)

    @authenticated(blp)
    @blp.arguments(s.CustomerUpdateSchema)
    @blp.response(200, s.CustomerSchema)
    @error_responses(blp, 403, 404, 409, 422, 503)
    def patch(self, body, customer_id):
        """Change a customer (customers:write); 409 on a stale version or a hierarchy cycle.

        A new ``site_id`` (one of your sites) moves the customer with its orders, payments, service
        records, interactions, opportunities, follow-ups, tier history and (through the
        ``customers.customer_moved`` event) its feedback. The owner is checked as on create,
        against the new site when the site changes (422 on ``owner_id``); setting an owner clears
        ``owner_left``. A customer of a disabled site can only be moved out of it, to an active
        site: any other change is 422 on ``site_id`` (``site_disabled``), as is a move to a
        disabled or unknown site.
        """
        return customers("update_customer", customer_id, plain(body))

    @authenticated(blp)
    @blp.arguments(s.DeleteCustomerQuerySchema, location="query", unknown=RAISE)
    @blp.response(204)
    @error_responses(blp, 403, 404)
    def delete(self, args, customer_id):
        """Delete a customer: restorable for 30 days, or erased with ``erase=true``.

        Erasure blanks the personal data of the customer and of every part (contacts' names,
        phones, e-mails, birthdays, notes; interaction and service texts), keeping ids, site and
        business figures so reports stay right; the customer leaves ``deleted=true`` lists and
        exports. ``customers.customer_erased`` tells the other services to erase their copies; the
        audit entries are kept with their values blanked. A soft-deleted customer is erased the
        same way once its 30 days are over (``customers.customer_purged``).
        """
        customers("delete_customer", customer_id, erase=args["erase"])


@blp.route("/customers/<customer_id>/restore", methods=["POST"])
@authenticated(blp)
@blp.response(200, s.CustomerSchema)
@error_responses(blp, 403, 404)
def restore(customer_id):
    """Bring back a customer deleted within the last 30 days."""
    return customers("restore_customer", customer_id)


@blp.route("/customers/<customer_id>/verify", methods=["POST"])
@authenticated(blp)
@blp.response(200, s.CustomerSchema)
@error_responses(blp, 403, 404, 422)
def verify(customer_id):
    """Confirm the customer's data is current: stamps ``last_verified_at`` (422 on ``site_id`` when
    the customer's site is disabled)."""
    return customers("verify_customer", customer_id)


@blp.route("/customers/<customer_id>/overview")
@authenticated(blp)
@blp.response(200, s.OverviewSchema)
@error_responses(blp, 403, 404)
def overview(customer_id):
    """The 360 view: profile, contacts, recent interactions, order totals, opportunities, feedback, tier."""
    return customers("overview", customer_id)


@blp.route("/customers/<customer_id>/tier-history")
@authenticated(blp)
@blp.response(200, s.TierHistorySchema)
@error_responses(blp, 403, 404)
def tier_history(customer_id):
    """Every tier change of a customer, with its reasons."""
    return customers("tier_history", customer_id)


@blp.route("/customers/<customer_id>/tier-override")
class TierOverride(MethodView):
    @authenticated(blp)
    @blp.arguments(s.TierOverrideSchema)
    @blp.response(200, s.CustomerSchema)
    @error_responses(blp, 403, 404, 422)
    def put(self, body, customer_id):
        """Set the tier by hand, with a reason and an optional expiry (422 on ``site_id`` when the
        customer's site is disabled)."""
        return customers("set_tier_override", customer_id, plain(body))

    @authenticated(blp)
    @blp.response(200, s.CustomerSchema)
    @error_responses(blp, 403, 404, 422)
    def delete(self, customer_id):
        """Drop the manual tier: the computed one applies again (422 on ``site_id`` when the
        customer's site is disabled)."""
        return customers("clear_tier_override", customer_id)
