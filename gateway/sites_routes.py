"""Factory sites and the role catalogue."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import accounts as s
from gateway.schemas.common import error_responses, page_schema
from gateway.security import authenticated, rpc_context

blp = Blueprint("sites", __name__, url_prefix="/api/v1", description="Factory sites and roles")


@blp.route("/sites")
class Sites(MethodView):
    @authenticated(blp)
    @blp.response(200, page_schema(s.SiteSchema))
    def get(self):
        """Every factory site (a short list, in one page)."""
        page = rpc.call("accounts", "list_sites", context=rpc_context())
        items = page.get("items", [])
        return {"items": items, "next_cursor": page.get("next_cursor"), "total": page.get("total", len(items))}

    @authenticated(blp)
    @blp.arguments(s.SiteCreateSchema)
    @blp.response(201, s.SiteSchema)
    @error_responses(blp, 403, 409)
    def post(self, body):
        """Create a factory site (sites:admin, company-wide: sites:all)."""
        return rpc.call("accounts", "create_site", body, context=rpc_context())


@blp.route("/sites/<site_id>")
class Site(MethodView):
    @authenticated(blp)
    @blp.arguments(s.SiteUpdateSchema)
    @blp.response(200, s.SiteSchema)
    @error_responses(blp, 403, 404, 409)
    def patch(self, body, site_id):
        """Rename a site, change its time zone, or disable (enable) it (sites:admin, sites:all); 409 on a
        stale version. A disabled site takes no new record anywhere: every write naming it is 422
        ``site_disabled`` on ``site_id``; its records stay readable and may be moved to another site."""
        return rpc.call("accounts", "update_site", site_id, body, context=rpc_context())

    @authenticated(blp)
    @blp.arguments(s.DeleteSiteQuerySchema, location="query", unknown=RAISE)
    @blp.response(204)
    @error_responses(blp, 403, 404, 409)
    def delete(self, args, site_id):
        """Delete a disabled site (``confirm``: its code). 409 ``site_active`` while it is active;
        409 ``site_in_use`` while users or records belong to it, ``counts`` naming how many of each."""
        rpc.call("accounts", "delete_site", site_id, args["confirm"], context=rpc_context())


@blp.route("/roles")
@authenticated(blp)
@blp.response(200, s.RolesSchema)
def list_roles():
    """The built-in roles and the permission catalogue."""
    return rpc.call("accounts", "list_roles", context=rpc_context())
