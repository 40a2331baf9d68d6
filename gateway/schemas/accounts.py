"""Requests and responses of identity: sessions, users, permissions, sites, roles and audit."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import (
    VERSION_RANGE, Email, JsonBoolean, PageQuerySchema, QueryInteger, StrictSchema, String, Text, Timestamp,
)

LANGUAGES = ("zh-CN", "en")
ID_MAX = 64


def IdList(min_length=0, **kwargs):
    return fields.List(Text(ID_MAX, min_length=1), validate=validate.Length(min=min_length, max=100), **kwargs)


def NameList(max_items, min_length=0, **kwargs):
    return fields.List(Text(64, min_length=1), validate=validate.Length(min=min_length, max=max_items), **kwargs)


def Password(**kwargs):
    return Text(1024, min_length=1, required=True, load_only=True, **kwargs)


# Sessions and passwords

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


# Users

class ContactDetailsSchema(StrictSchema):
    """What users may change about themselves."""

    display_name = Text(100, min_length=1)
    email = Email(validate=validate.Length(max=254))
    phone = Text(40, allow_none=True)
    position = Text(100, allow_none=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class UserAdminFieldsSchema(ContactDetailsSchema):
    """What only users:admin may set."""

    sites = IdList()
    roles = NameList(20)
    must_change_password = JsonBoolean()


class UserCreateSchema(UserAdminFieldsSchema):
    username = String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Letters, digits and _ . @ - only."),
    ])
    email = Email(required=True, validate=validate.Length(max=254))
    password = Password()
    display_name = Text(100, min_length=1, required=True)
    sites = IdList(min_length=1, required=True)
    roles = NameList(20, min_length=1, required=True)


class UserUpdateSchema(UserAdminFieldsSchema):
    status = fields.String(validate=validate.OneOf(("active", "disabled")))
    current_password = Text(1024, min_length=1, load_only=True, metadata={
        "description": "your current password: required to change your own e-mail"})
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read"})


class UserListQuerySchema(PageQuerySchema):
    site_id = Text(ID_MAX)
    role = Text(64)
    status = fields.String(validate=validate.OneOf(("active", "disabled", "deleted")))
    q = Text(100, metadata={"description": "prefix of username, name or e-mail"})


class DeleteUserQuerySchema(StrictSchema):
    confirm = Text(64, min_length=1, required=True, metadata={"description": "the user's username"})


class UserSchema(Schema):
    id = fields.String()
    username = fields.String()
    email = fields.String(allow_none=True)
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    language = fields.String()
    sites = fields.List(fields.String())
    roles = fields.List(fields.String())
    grants = fields.List(fields.String())
    revocations = fields.List(fields.String())
    permissions = fields.List(fields.String(), metadata={"description": "effective permissions"})
    status = fields.String()
    locked_until = Timestamp(allow_none=True)
    must_change_password = fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()
    last_login_at = Timestamp(allow_none=True)
    version = fields.Integer()


class SessionSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"description": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds the access token lives"})
    user = fields.Nested(UserSchema, required=True)


class DeviceSchema(Schema):
    browser = fields.String()
    os = fields.String()
    device = fields.String()
    summary = fields.String(metadata={"description": 'e.g. "Chrome 120 on Windows 10"'})


class LoginRecordSchema(Schema):
    id = fields.String()
    user_id = fields.String(allow_none=True)
    at = Timestamp()
    success = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={
        "description": "why a sign-in failed: invalid_credentials, disabled, or throttled (too many attempts)"})
    client_addr = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    device = fields.Nested(DeviceSchema)


# Permissions, roles and sites

class DirectoryQuerySchema(StrictSchema):
    q = Text(100, metadata={"description": "start of the username or display name"})
    site_id = Text(ID_MAX, min_length=1)
    ids = fields.List(Text(ID_MAX, min_length=1), validate=validate.Length(max=200),
                      metadata={"description": "only these users (repeat the parameter): names for ids"})
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200),
                         metadata={"description": "at most this many (1-200)"})


class DirectoryEntrySchema(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    sites = fields.List(fields.String())


class DirectorySchema(Schema):
    items = fields.List(fields.Nested(DirectoryEntrySchema))


class PermissionsUpdateSchema(StrictSchema):
    roles = NameList(20, min_length=1)
    grants = NameList(100, required=True)
    revocations = NameList(100, required=True)
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             metadata={"description": "the version you read; stale is 409"})


class PermissionsSchema(Schema):
    user_id = fields.String()
    roles = fields.List(fields.String())
    grants = fields.List(fields.String())
    revocations = fields.List(fields.String())
    effective = fields.List(fields.String())
    version = fields.Integer()


class RoleSchema(Schema):
    name = fields.String()
    permissions = fields.List(fields.String())


class PermissionInfoSchema(Schema):
    name = fields.String()
    description = fields.String()


class RolesSchema(Schema):
    roles = fields.List(fields.Nested(RoleSchema))
    permissions = fields.List(fields.Nested(PermissionInfoSchema))


class SiteCreateSchema(StrictSchema):
    code = String(required=True, validate=[
        validate.Length(min=1, max=20),
        validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Letters, digits, _ and - only."),
    ])
    name = Text(100, min_length=1, required=True)
    address = Text(300, allow_none=True)
    timezone = Text(64, min_length=1, metadata={"description": "IANA time zone, default Asia/Shanghai"})


class SiteUpdateSchema(StrictSchema):
    name = Text(100, min_length=1)
    address = Text(300, allow_none=True)
    timezone = Text(64, min_length=1, metadata={"description": "IANA time zone"})
    status = fields.String(validate=validate.OneOf(("active", "disabled")), metadata={
        "description": "disabled: no service records anything new for the site; its records stay readable"})
    version = fields.Integer(required=True, strict=True)


class DeleteSiteQuerySchema(StrictSchema):
    confirm = Text(20, min_length=1, required=True, metadata={"description": "the site's code"})


class SiteSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    timezone = fields.String()
    status = fields.String(metadata={"description": "active or disabled"})
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


# Audit

class AuditQuerySchema(PageQuerySchema):
    actor = Text(ID_MAX)
    entity_type = Text(64)
    entity_id = Text(ID_MAX)
    site_id = Text(ID_MAX)
    action = Text(64)
    since = fields.AwareDateTime(default_timezone=timezone.utc)
    until = fields.AwareDateTime(default_timezone=timezone.utc)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before since.", "until")


class AuditEntrySchema(Schema):
    id = fields.String()
    at = Timestamp()
    actor = fields.String(allow_none=True)
    site_id = fields.String(allow_none=True)
    entity_type = fields.String()
    entity_id = fields.String(allow_none=True)
    action = fields.String()
    changes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "before/after per field"})
    source = fields.String()
    event_id = fields.String(allow_none=True)
