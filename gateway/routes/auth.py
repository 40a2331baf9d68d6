"""Sessions, password reset and the caller's own account."""
from flask import request

from gateway.blueprint import ApiBlueprint
from gateway.schemas import auth as s
from gateway.schemas.common import error_responses
from gateway.schemas.users import UserSchema
from gateway.services import accounts

blp = ApiBlueprint("auth", __name__, description="Sessions and the caller's own account")


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(s.LoginSchema)
@blp.response(200, s.SessionSchema)
@error_responses(blp, 401, 429, 503)
def login(body):
    """Exchange a username or e-mail and password for an access and a refresh token.

    Wrong guesses are never locked out, they are slowed: 429 with ``Retry-After`` (seconds) after
    5 failures of one account from one address (then 30 s, doubling to 5 min), 10 of one account
    from addresses it never signed in from (2 s doubling to 1 min), or 30 from one address (1-5 s).
    An address the account has signed in from before is slowed only by its own failures. Unknown
    accounts answer exactly like known ones. A session whose ``user.must_change_password`` is true
    is accepted only by ``GET /me``, ``POST /me/password`` and ``POST /auth/logout`` (403
    ``password_change_required`` elsewhere)."""
    return accounts.login(body["identifier"], body["password"], client_addr=request.remote_addr,
                          user_agent=request.headers.get("User-Agent"))


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(s.RefreshTokenSchema)
@blp.response(200, s.SessionSchema)
@error_responses(blp, 401, 503)
def refresh(body):
    """Rotate a refresh token into a new session; a reused one revokes its whole family (and is
    audited). A session lasts at most 30 days from its login, however often it is refreshed."""
    return accounts.refresh(body["refresh_token"])


@blp.route("/auth/logout", methods=["POST"])
@blp.arguments(s.RefreshTokenSchema)
@blp.response(204)
@error_responses(blp, 503)
def logout(body):
    """Revoke a refresh token and every token rotated from it; the access tokens of that session
    stop working within seconds (401 `token_revoked`)."""
    accounts.logout(body["refresh_token"])


@blp.route("/auth/password-reset", methods=["POST"])
@blp.arguments(s.PasswordResetRequestSchema)
@blp.response(202, s.AcceptedSchema)
@error_responses(blp, 429, 503)
def request_password_reset(body):
    """Mail a reset link if the address is known; the answer is the same either way. A new link
    voids the earlier ones. 429 with ``Retry-After`` after 3 requests for one e-mail within an
    hour (known or not), or 20 from one address."""
    accounts.request_password_reset(body["email"], client_addr=request.remote_addr)
    return {"status": "accepted"}


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.arguments(s.PasswordResetConfirmSchema)
@blp.response(204)
@error_responses(blp, 400, 503)
def confirm_password_reset(body):
    """Set a new password with the token from the reset mail (400 when invalid, expired or used, or
    replaced by a newer link or a password change since)."""
    accounts.confirm_password_reset(body["token"], body["new_password"])


@blp.route("/me")
@blp.operation(200, UserSchema)
def me():
    """The caller's own user record."""
    return accounts.me()


@blp.route("/me/password", methods=["POST"])
@blp.operation(204, None, 422, 429, body=s.PasswordChangeSchema)
def change_password(body):
    """Change the caller's password, given the current one (422 on ``current_password`` when it
    is wrong; after 5 wrong ones, 429 with ``Retry-After``). Every session ends and every reset
    link is voided."""
    accounts.change_password(body["current_password"], body["new_password"])
