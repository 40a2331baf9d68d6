"""Saved views of the customer list: filters, columns and sort, private or shared in a site."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import views as s
from gateway.schemas.common import plain
from gateway.services import customers

blp = ApiBlueprint("views", __name__, description="Saved views of the customer list")


@blp.route("/views")
class Views(MethodView):
    @blp.operation(200, s.ViewListSchema, 403)
    def get(self):
        """Your own views and those shared in your sites."""
        return customers.list_views()

    @blp.operation(201, s.ViewSchema, 403, body=s.ViewCreateSchema)
    def post(self, body):
        """Save a view; ``shared`` makes it visible to everyone in its site, which must be active
        (422 on ``site_id``)."""
        return customers.create_view(plain(body))


@blp.route("/views/<view_id>", methods=["DELETE"])
@blp.operation(204, None, 403, 404)
def delete_view(view_id):
    """Delete one of your views, or a shared one of your sites with customers:write."""
    customers.delete_view(view_id)
