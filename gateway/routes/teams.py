"""A site's sales teams: a name, members who are active users of the site, and their leader."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import teams as s
from gateway.services import accounts

blp = ApiBlueprint("teams", __name__, description="Sales teams of a site")


@blp.route("/teams")
class Teams(MethodView):
    @blp.operation(200, s.TeamListSchema, 400, 404, query=s.TeamListQuerySchema)
    def get(self, args):
        """The teams of your sites (of every site for sites:all), by site and name; ``site_id`` one of
        your sites (another is 404). Any signed-in user of the site."""
        return accounts.teams(args.get("site_id"))

    @blp.operation(201, s.TeamSchema, 403, 404, 409, body=s.TeamCreateSchema)
    def post(self, body):
        """Create a team at one of your sites (targets:manage there; another site is 404). Members are
        active users of the site and the leader one of them (422 naming ``member_ids`` or
        ``leader_id``); the name is unique in the site whatever its case (409 on ``name``). Audited."""
        return accounts.create_team(body)


@blp.route("/teams/<id:team_id>")
class Team(MethodView):
    @blp.operation(200, s.TeamSchema, 404)
    def get(self, team_id):
        """One team of your sites (another site's is 404)."""
        return accounts.team(team_id)

    @blp.operation(200, s.TeamSchema, 403, 404, 409, body=s.TeamUpdateSchema)
    def patch(self, body, team_id):
        """Rename a team or set its members (the whole list) or leader (targets:manage at its site); 409
        on a stale ``version`` or a name taken. Members are active users of the site, the leader one
        of them (422 naming ``member_ids`` or ``leader_id``). Audited."""
        return accounts.update_team(team_id, body)

    @blp.operation(204, None, 403, 404)
    def delete(self, team_id):
        """Delete a team (targets:manage at its site). Audited."""
        accounts.delete_team(team_id)
