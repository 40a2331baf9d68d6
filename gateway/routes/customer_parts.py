"""The parts of a customer: contacts, orders, payments, service records, interactions,
opportunities and follow-ups.

Every part has the same four operations, generated from ``PARTS``; each is still its own
documented operation (endpoint and operationId ``<verb>_<part>``).
"""
from collections import namedtuple

from gateway.blueprint import ApiBlueprint
from gateway.schemas import customer_parts as s
from gateway.schemas.common import PageQuerySchema, page_schema, plain
from gateway.services import customers

blp = ApiBlueprint("customer_parts", __name__,
                   description="Contacts, orders, payments, service records, interactions, opportunities, follow-ups")

Part = namedtuple("Part", "path name label permission create update out")

PARTS = (
    Part("contacts", "contacts", "contact", "contacts",
         s.ContactCreateSchema, s.ContactUpdateSchema, s.ContactSchema),
    Part("orders", "orders", "order", "orders", s.OrderCreateSchema, s.OrderUpdateSchema, s.OrderSchema),
    Part("payments", "payments", "payment", "orders",
         s.PaymentCreateSchema, s.PaymentUpdateSchema, s.PaymentSchema),
    Part("service-records", "service_records", "service record", "interactions",
         s.ServiceRecordCreateSchema, s.ServiceRecordUpdateSchema, s.ServiceRecordSchema),
    Part("interactions", "interactions", "interaction", "interactions",
         s.InteractionCreateSchema, s.InteractionUpdateSchema, s.InteractionSchema),
    Part("opportunities", "opportunities", "opportunity", "interactions",
         s.OpportunityCreateSchema, s.OpportunityUpdateSchema, s.OpportunitySchema),
    Part("followups", "followups", "follow-up", "interactions",
         s.FollowupCreateSchema, s.FollowupUpdateSchema, s.FollowupSchema),
)


def _route(rule, method, endpoint, doc):
    """Register a generated view under its own endpoint and operationId, documented by ``doc``."""

    def decorator(view):
        view.__name__ = endpoint
        view.__doc__ = doc
        view = blp.doc(operationId=endpoint)(view)
        return blp.route(rule, methods=[method], endpoint=endpoint)(view)

    return decorator


def register(part):
    collection = "/customers/<customer_id>/%s" % part.path
    item = collection + "/<part_id>"
    read, write = "%s:read" % part.permission, "%s:write" % part.permission

    @_route(collection, "GET", "list_%s" % part.name,
            "A customer's %s, one page at a time (%s)." % (part.path.replace("-", " "), read))
    @blp.operation(200, page_schema(part.out), 400, 403, 404, query=PageQuerySchema)
    def list_parts(args, customer_id):
        return customers.list_parts(customer_id, part.name, limit=args["limit"], cursor=args.get("cursor"))

    @_route(collection, "POST", "create_%s" % part.name,
            "Add a %s to a customer (%s); 422 on ``site_id`` when the customer's site is disabled."
            % (part.label, write))
    @blp.operation(201, part.out, 403, 404, body=part.create)
    def create_part(body, customer_id):
        return customers.create_part(customer_id, part.name, plain(body))

    @_route(item, "PATCH", "update_%s" % part.name,
            "Change a %s (%s); 409 on a stale version, 422 on ``site_id`` when the customer's site is "
            "disabled." % (part.label, write))
    @blp.operation(200, part.out, 403, 404, 409, body=part.update)
    def update_part(body, customer_id, part_id):
        return customers.update_part(customer_id, part.name, part_id, plain(body))

    @_route(item, "DELETE", "delete_%s" % part.name, "Delete a %s (%s)." % (part.label, write))
    @blp.operation(204, None, 403, 404)
    def delete_part(customer_id, part_id):
        customers.delete_part(customer_id, part.name, part_id)


for _part in PARTS:
    register(_part)
