"""User administration: accounts, login history and permissions."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import accounts as s
from gateway.schemas.common import PageQuerySchema, error_responses, page_schema, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, their logins and permissions")


def accounts(method, *args, **kwargs):
    return rpc.call("accounts", method, *args, context=rpc_context(), **kwargs)


@blp.route("/users")
class Users(MethodView):
    @authenticated(blp)
    @blp.arguments(s.UserListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(s.UserSchema))
    @error_responses(blp, 400, 403)
    def get(self, args):
        """Users matching the filters (users:admin)."""
        filters, limit, cursor = split_page(args)
        return accounts("list_users", filters, limit=limit, cursor=cursor)

    @authenticated(blp)
    @blp.arguments(s.UserCreateSchema)
    @blp.response(201, s.UserSchema)
    @error_responses(blp, 403, 409)
    def post(self, body):
        """Create a user (users:admin): at your own sites only (422 on ``sites``), with roles whose
        permissions you all hold; role admin needs sites:all (403 naming ``roles``)."""
        return accounts("create_user", body)


@blp.route("/users/directory")
@authenticated(blp)
@blp.arguments(s.DirectoryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.DirectorySchema)
def user_directory(args):
    """Active colleagues at your sites, by name, for choosing an owner or assignee (any signed-in
    user; names and sites only)."""
    limit = args.pop("limit", 50)
    return accounts("colleagues", args, limit=limit)


@blp.route("/users/<id:user_id>")
class User(MethodView):
    @authenticated(blp)
    @blp.response(200, s.UserSchema)
    @error_responses(blp, 404)
    def get(self, user_id):
        """One user (yourself, or anyone with users:admin)."""
        return accounts("get_user", user_id)

    @authenticated(blp)
    @blp.arguments(s.UserUpdateSchema)
    @blp.response(200, s.UserSchema)
    @error_responses(blp, 403, 404, 409)
    def patch(self, body, user_id):
        """Change a user: your own contact details, or everything with users:admin; 409 on a stale version.

        Changing your own e-mail needs ``current_password`` (422 when wrong, 429 after 5 wrong
        ones) and mails a notice to the old address. Nobody changes their own roles, sites or
        status (403). An admin keeps users within its own sites and gives only roles it holds;
        a user who holds sites:all or belongs to a site outside yours is changed only by a
        sites:all admin (403)."""
        return accounts("update_user", user_id, body)

    @authenticated(blp)
    @blp.arguments(s.DeleteUserQuerySchema, location="query", unknown=RAISE)
    @blp.response(204)
    @error_responses(blp, 403, 404)
    def delete(self, args, user_id):
        """Delete a user, erasing personal fields (users:admin); ``confirm`` must be the username.
        A user who holds sites:all or belongs to a site outside yours needs a sites:all admin (403)."""
        accounts("delete_user", user_id, args["confirm"])


@blp.route("/users/<user_id>/unlock", methods=["POST"])
@authenticated(blp)
@blp.response(200, s.UserSchema)
@error_responses(blp, 403, 404)
def unlock_user(user_id):
    """Lift every sign-in delay of the account (users:admin)."""
    return accounts("unlock_user", user_id)


@blp.route("/users/<user_id>/logins")
@authenticated(blp)
@blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, page_schema(s.LoginRecordSchema))
@error_responses(blp, 400, 403, 404)
def list_logins(args, user_id):
    """Login history (the user themself or users:admin)."""
    return accounts("list_logins", user_id, limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/users/<user_id>/permissions")
class Permissions(MethodView):
    @authenticated(blp)
    @blp.response(200, s.PermissionsSchema)
    @error_responses(blp, 403, 404)
    def get(self, user_id):
        """A user's roles, grants, revocations and effective permissions."""
        return accounts("get_permissions", user_id)

    @authenticated(blp)
    @blp.arguments(s.PermissionsUpdateSchema)
    @blp.response(200, s.PermissionsSchema)
    @error_responses(blp, 403, 404, 409)
    def put(self, body, user_id):
        """Replace a user's grants and revocations, and roles when given (users:admin).

        Never your own (403). You give only roles and permissions you hold; sites:all, sites:admin
        and role admin need sites:all (403 naming ``roles`` or ``grants``). A user who holds
        sites:all or belongs to a site outside yours is changed only by a sites:all admin (403)."""
        return accounts("set_permissions", user_id, body)
