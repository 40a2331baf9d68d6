"""Factory sites and the role catalogue."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import sites as s
from gateway.schemas.common import page_schema
from gateway.services import accounts

blp = ApiBlueprint("sites", __name__, description="Factory sites and roles")


@blp.route("/sites")
class Sites(MethodView):
    @blp.operation(200, page_schema(s.SiteSchema))
    def get(self):
        """Every factory site (a short list, in one page)."""
        page = accounts.list_sites()
        items = page.get("items", [])
        return {"items": items, "next_cursor": page.get("next_cursor"), "total": page.get("total", len(items))}

    @blp.operation(201, s.SiteSchema, 403, 409, body=s.SiteCreateSchema)
    def post(self, body):
        """Create a factory site (sites:admin, company-wide: sites:all)."""
        return accounts.create_site(body)


@blp.route("/sites/<site_id>")
class Site(MethodView):
    @blp.operation(200, s.SiteSchema, 403, 404, 409, body=s.SiteUpdateSchema)
    def patch(self, body, site_id):
        """Rename a site, change its time zone, or disable (enable) it (sites:admin, sites:all); 409 on a
        stale version. A disabled site takes no new record anywhere: every write naming it is 422
        ``site_disabled`` on ``site_id``; its records stay readable and may be moved to another site."""
        return accounts.update_site(site_id, body)

    @blp.operation(204, None, 403, 404, 409, query=s.DeleteSiteQuerySchema)
    def delete(self, args, site_id):
        """Delete a disabled site (``confirm``: its code). 409 ``site_active`` while it is active;
        409 ``site_in_use`` while users, teams or records belong to it, ``counts`` naming how many of each."""
        accounts.delete_site(site_id, args["confirm"])


@blp.route("/roles")
@blp.operation(200, s.RolesSchema)
def list_roles():
    """The built-in roles and the permission catalogue."""
    return accounts.list_roles()
