"""Customers: the archive, its periodic review and tiers."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import customers as s
from gateway.schemas.common import PageQuerySchema, page_schema, plain, split_page
from gateway.services import customers

blp = ApiBlueprint("customers", __name__, description="The customer archive")


@blp.route("/customers")
class Customers(MethodView):
    @blp.operation(200, page_schema(s.CustomerSchema), 400, 403, query=s.CustomerListQuerySchema)
    def get(self, args):
        """Customers of your sites matching ``q`` and the filters, one page at a time.

        A search the database cannot answer within ``SEARCH_TIME_LIMIT`` seconds is refused with
        503 ``search_too_broad``: narrow it with a filter or a longer ``q``.
        """
        filters, limit, cursor = split_page(args)
        return customers.list_customers(filters, limit=limit, cursor=cursor)

    @blp.operation(201, s.CustomerSchema, 403, 422, 503, body=s.CustomerCreateSchema,
                   query=s.CreateCustomerQuerySchema, answers={409: {"schema": s.DuplicateErrorSchema, "description": (
                       "Same tax id (existing_id), or similar customers (candidates) unless force=true")}})
    def post(self, body, args):
        """Create a customer (customers:write).

        ``owner_id`` must name an active user of the customer's site holding ``customers:read``
        (422 on ``owner_id``); the site must exist and be active (422 on ``site_id``, code
        ``unknown_site`` or ``site_disabled``); 503 when accounts cannot be asked.
        """
        return customers.create_customer(plain(body), force=args["force"])


@blp.route("/customers/review-due")
@blp.operation(200, page_schema(s.CustomerSchema), 400, 403, query=PageQuerySchema)
def review_due(args):
    """Customers of your sites not verified within the site's review period (90 days by default)."""
    return customers.review_due(limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/customers/<id:customer_id>")
class Customer(MethodView):
    @blp.operation(200, s.CustomerSchema, 403, 404)
    def get(self, customer_id):
        """One customer."""
        return customers.get_customer(customer_id)

    @blp.operation(200, s.CustomerSchema, 403, 404, 409, 422, 503, body=s.CustomerUpdateSchema)
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
        return customers.update_customer(customer_id, plain(body))

    @blp.operation(204, None, 403, 404, query=s.DeleteCustomerQuerySchema)
    def delete(self, args, customer_id):
        """Delete a customer: restorable for 30 days, or erased with ``erase=true``.

        Erasure blanks the personal data of the customer and of every part (contacts' names,
        phones, e-mails, birthdays, notes; interaction and service texts), keeping ids, site and
        business figures so reports stay right; the customer leaves ``deleted=true`` lists and
        exports. ``customers.customer_erased`` tells the other services to erase their copies; the
        audit entries are kept with their values blanked. A soft-deleted customer is erased the
        same way once its 30 days are over (``customers.customer_purged``).
        """
        customers.delete_customer(customer_id, erase=args["erase"])


@blp.route("/customers/<customer_id>/restore", methods=["POST"])
@blp.operation(200, s.CustomerSchema, 403, 404)
def restore(customer_id):
    """Bring back a customer deleted within the last 30 days."""
    return customers.restore_customer(customer_id)


@blp.route("/customers/<customer_id>/verify", methods=["POST"])
@blp.operation(200, s.CustomerSchema, 403, 404, 422)
def verify(customer_id):
    """Confirm the customer's data is current: stamps ``last_verified_at`` (422 on ``site_id`` when
    the customer's site is disabled)."""
    return customers.verify_customer(customer_id)


@blp.route("/customers/<customer_id>/overview")
@blp.operation(200, s.OverviewSchema, 403, 404)
def overview(customer_id):
    """The 360 view: profile, contacts, recent interactions, order totals, opportunities, feedback, tier."""
    return customers.overview(customer_id)


@blp.route("/customers/<customer_id>/tier-history")
@blp.operation(200, s.TierHistorySchema, 403, 404)
def tier_history(customer_id):
    """Every tier change of a customer, with its reasons."""
    return customers.tier_history(customer_id)


@blp.route("/customers/<customer_id>/tier-override")
class TierOverride(MethodView):
    @blp.operation(200, s.CustomerSchema, 403, 404, 422, body=s.TierOverrideSchema)
    def put(self, body, customer_id):
        """Set the tier by hand, with a reason and an optional expiry (422 on ``site_id`` when the
        customer's site is disabled)."""
        return customers.set_tier_override(customer_id, plain(body))

    @blp.operation(200, s.CustomerSchema, 403, 404, 422)
    def delete(self, customer_id):
        """Drop the manual tier: the computed one applies again (422 on ``site_id`` when the
        customer's site is disabled)."""
        return customers.clear_tier_override(customer_id)
