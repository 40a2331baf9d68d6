"""Saved views of the customer list: filters, columns and sort, private or shared in a site."""
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.extensions import rpc
from gateway.schemas import customers as s
from gateway.schemas.common import error_responses, plain
from gateway.security import authenticated, rpc_context

blp = Blueprint("views", __name__, url_prefix="/api/v1", description="Saved views of the customer list")


def customers(method, *args):
    return rpc.call("customers", method, *args, context=rpc_context())


@blp.route("/views")
class Views(MethodView):
    @authenticated(blp)
    @blp.response(200, s.ViewListSchema)
    @error_responses(blp, 403)
    def get(self):
        """Your own views and those shared in your sites."""
        return customers("list_views")

    @authenticated(blp)
    @blp.arguments(s.ViewCreateSchema)
    @blp.response(201, s.ViewSchema)
    @error_responses(blp, 403)
    def post(self, body):
        """Save a view; ``shared`` makes it visible to everyone in its site, which must be active
        (422 on ``site_id``)."""
        return customers("create_view", plain(body))


@blp.route("/views/<view_id>", methods=["DELETE"])
@authenticated(blp)
@blp.response(204)
@error_responses(blp, 403, 404)
def delete_view(view_id):
    """Delete one of your views, or a shared one of your sites with customers:write."""
    customers("delete_view", view_id)
