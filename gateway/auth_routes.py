"""Sessions, password reset and the caller's own account."""
from flask import request
from flask_smorest import Blueprint

from gateway.extensions import rpc
from gateway.schemas import accounts as s
from gateway.schemas.common import error_responses
from gateway.security import authenticated, rpc_context

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sessions and the caller's own account")


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(s.LoginSchema)
@blp.response(200, s.SessionSchema)
@error_responses(blp, 401, 429, 503)
def login(body):
    """Exchange a username or e-mail and password for an access and a refresh token."""
    return rpc.call(
        "accounts", "login", body["identifier"], body["password"],
        client_addr=request.remote_addr, user_agent=request.headers.get("User-Agent"),
        context=rpc_context())


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(s.RefreshTokenSchema)
@blp.response(200, s.SessionSchema)
@error_responses(blp, 401, 503)
def refresh(body):
    """Rotate a refresh token into a new session; a reused one revokes its whole family."""
    return rpc.call("accounts", "refresh", body["refresh_token"], context=rpc_context())


@blp.route("/auth/logout", methods=["POST"])
@blp.arguments(s.RefreshTokenSchema)
@blp.response(204)
@error_responses(blp, 503)
def logout(body):
    """Revoke a refresh token and every token rotated from it."""
    rpc.call("accounts", "logout", body["refresh_token"], context=rpc_context())


@blp.route("/auth/password-reset", methods=["POST"])
@blp.arguments(s.PasswordResetRequestSchema)
@blp.response(202, s.AcceptedSchema)
@error_responses(blp, 503)
def request_password_reset(body):
    """Mail a reset link if the address is known; the answer is the same either way."""
    rpc.call("accounts", "request_password_reset", body["email"], context=rpc_context())
    return {"status": "accepted"}


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.arguments(s.PasswordResetConfirmSchema)
@blp.response(204)
@error_responses(blp, 400, 503)
def confirm_password_reset(body):
    """Set a new password with the token from the reset mail (400 when invalid, expired or used)."""
    rpc.call("accounts", "confirm_password_reset", body["token"], body["new_password"], context=rpc_context())


@blp.route("/me")
@authenticated(blp)
@blp.response(200, s.UserSchema)
def me():
    """The caller's own user record."""
    return rpc.call("accounts", "me", context=rpc_context())


@blp.route("/me/password", methods=["POST"])
@authenticated(blp)
@blp.arguments(s.PasswordChangeSchema)
@blp.response(204)
@error_responses(blp, 429)
def change_password(body):
    """Change the caller's password, given the current one."""
    rpc.call("accounts", "change_password", body["current_password"], body["new_password"], context=rpc_context())
