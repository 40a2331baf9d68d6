"""Requests and responses of sessions, password reset and the caller's own account."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import Email, StrictSchema, Text, http_output
from services.accounts import contract
from services.accounts.contract import Password


class LoginSchema(StrictSchema):
    identifier = Text(254, min_length=1, required=True, metadata={"description": "username or e-mail"})
    password = Password()


class RefreshTokenSchema(StrictSchema):
    refresh_token = Text(512, min_length=1, required=True)


class PasswordResetRequestSchema(StrictSchema):
    email = Email(required=True, validate=validate.Length(max=254))


class PasswordResetConfirmSchema(StrictSchema):
    token = Text(512, min_length=1, required=True)
    new_password = Password()


class PasswordChangeSchema(StrictSchema):
    current_password = Password()
    new_password = Password()


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"description": "always accepted"})


SessionSchema = http_output(contract.SessionSchema)
