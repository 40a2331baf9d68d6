"""User administration: accounts, login history and permissions."""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import users as s
from gateway.schemas.common import PageQuerySchema, page_schema, split_page
from gateway.services import accounts

blp = ApiBlueprint("users", __name__, description="Users, their logins and permissions")


@blp.route("/users")
class Users(MethodView):
    @blp.operation(200, page_schema(s.UserSchema), 400, 403, query=s.UserListQuerySchema)
    def get(self, args):
        """Users matching the filters (users:admin)."""
        filters, limit, cursor = split_page(args)
        return accounts.list_users(filters, limit=limit, cursor=cursor)

    @blp.operation(201, s.UserSchema, 403, 409, body=s.UserCreateSchema)
    def post(self, body):
        """Create a user (users:admin): at your own sites only (422 on ``sites``), with roles whose
        permissions you all hold; role admin needs sites:all (403 naming ``roles``)."""
        return accounts.create_user(body)


@blp.route("/users/directory")
@blp.operation(200, s.DirectorySchema, query=s.DirectoryQuerySchema)
def user_directory(args):
    """Active colleagues at your sites, by name, for choosing an owner or assignee (any signed-in
    user; names and sites only)."""
    limit = args.pop("limit", 50)
    return accounts.colleagues(args, limit=limit)


@blp.route("/users/<id:user_id>")
class User(MethodView):
    @blp.operation(200, s.UserSchema, 404)
    def get(self, user_id):
        """One user (yourself, or anyone with users:admin)."""
        return accounts.get_user(user_id)

    @blp.operation(200, s.UserSchema, 403, 404, 409, body=s.UserUpdateSchema)
    def patch(self, body, user_id):
        """Change a user: your own contact details, or everything with users:admin; 409 on a stale version.

        Changing your own e-mail needs ``current_password`` (422 when wrong, 429 after 5 wrong
        ones) and mails a notice to the old address. Nobody changes their own roles, sites or
        status (403). An admin keeps users within its own sites and gives only roles it holds;
        a user who holds sites:all or belongs to a site outside yours is changed only by a
        sites:all admin (403)."""
        return accounts.update_user(user_id, body)

    @blp.operation(204, None, 403, 404, query=s.DeleteUserQuerySchema)
    def delete(self, args, user_id):
        """Delete a user, erasing personal fields (users:admin); ``confirm`` must be the username.
        A user who holds sites:all or belongs to a site outside yours needs a sites:all admin (403)."""
        accounts.delete_user(user_id, args["confirm"])


@blp.route("/users/<user_id>/unlock", methods=["POST"])
@blp.operation(200, s.UserSchema, 403, 404)
def unlock_user(user_id):
    """Lift every sign-in delay of the account (users:admin)."""
    return accounts.unlock_user(user_id)


@blp.route("/users/<user_id>/logins")
@blp.operation(200, page_schema(s.LoginRecordSchema), 400, 403, 404, query=PageQuerySchema)
def list_logins(args, user_id):
    """Login history (the user themself or users:admin)."""
    return accounts.list_logins(user_id, limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/users/<user_id>/permissions")
class Permissions(MethodView):
    @blp.operation(200, s.PermissionsSchema, 403, 404)
    def get(self, user_id):
        """A user's roles, grants, revocations and effective permissions."""
        return accounts.get_permissions(user_id)

    @blp.operation(200, s.PermissionsSchema, 403, 404, 409, body=s.PermissionsUpdateSchema)
    def put(self, body, user_id):
        """Replace a user's grants and revocations, and roles when given (users:admin).

        Never your own (403). You give only roles and permissions you hold; sites:all, sites:admin
        and role admin need sites:all (403 naming ``roles`` or ``grants``). A user who holds
        sites:all or belongs to a site outside yours is changed only by a sites:all admin (403)."""
        return accounts.set_permissions(user_id, body)
