"""The accounts service's public face: its enumerations, the shapes of its RPC inputs and outputs,
and its event catalogue. The gateway and the other services import the accounts service only
through this module."""
import zoneinfo
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.accounts import permissions
from services.common.envelope import AUDIT_FIELDS, Catalogue
from services.common.schemas import (
    ID_MAX, LANGUAGES, VERSION_RANGE, Choice, Email, Id, Ident, JsonBoolean, Opt, OrderedPeriod, String, Text,
    Timestamp,
)
from services.common.sites import STATUSES as SITE_STATUSES

STATUSES = ("active", "disabled", "deleted")
SETTABLE_STATUSES = STATUSES[:2]  # deleted is DELETE /users/{id}
ROLES = tuple(permissions.ROLES)  # the built-in roles
PERMISSIONS = tuple(permissions.CATALOGUE)  # every permission, ``<area>:<action>``
LOGIN_FAILURES = ("invalid_credentials", "disabled", "throttled")  # why a sign-in failed (a login's reason)


def IdList(min_length=0, **kwargs):
    return fields.List(Ident(), validate=validate.Length(min=min_length, max=100), **kwargs)


def NameList(max_items, min_length=0, known=None, **kwargs):
    """A list of names; with ``known`` (``(catalogue, what)``), each one must be in the catalogue."""
    checks = [validate.Length(min=min_length, max=max_items)]
    if known:
        checks.append(lambda values: _known(values, *known))
    return fields.List(Text(64, min_length=1), validate=checks, **kwargs)


def Password(**kwargs):
    return Text(1024, min_length=1, required=True, load_only=True, **kwargs)


ROLE = (permissions.ROLES, "role")
PERMISSION = (permissions.CATALOGUE, "permission")


def _known(values, catalogue, what):
    unknown = sorted(set(values) - set(catalogue))
    if unknown:
        raise ValidationError("Unknown %s: %s." % (what, ", ".join(unknown)))


def _known_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Unknown time zone.")


# Inputs. Each field says its bounds and, where the service applies one, its default; the gateway's
# HTTP forms are derived from these (strict, and without the defaults).

class ContactDetailsSchema(Schema):
    """What users may change about themselves."""

    display_name = Text(100, min_length=1)
    email = Email(validate=validate.Length(max=254))
    phone = Opt(40)
    position = Opt(100)
    language = Choice(LANGUAGES)


class UserAdminSchema(ContactDetailsSchema):
    """What only users:admin may set."""

    sites = IdList()
    roles = NameList(20, known=ROLE)
    must_change_password = JsonBoolean()


class UserCreateSchema(UserAdminSchema):
    username = String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Letters, digits and _ . @ - only."),
    ])
    email = Email(required=True, validate=validate.Length(max=254))
    password = Password()
    display_name = Text(100, min_length=1, required=True)
    sites = IdList(min_length=1, required=True)
    roles = NameList(20, min_length=1, required=True, known=ROLE)


class UserUpdateSchema(UserAdminSchema):
    status = Choice(SETTABLE_STATUSES)
    current_password = Text(1024, min_length=1, load_only=True, metadata={
        "description": "your current password: required to change your own e-mail"})
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read"})


class PermissionsSchema(Schema):
    roles = NameList(20, min_length=1, known=ROLE)
    grants = NameList(100, load_default=list, known=PERMISSION)
    revocations = NameList(100, load_default=list, known=PERMISSION)
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             metadata={"description": "the version you read; stale is 409"})


class SiteCreateSchema(Schema):
    code = String(required=True, validate=[
        validate.Length(min=1, max=20),
        validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Letters, digits, _ and - only."),
    ])
    name = Text(100, min_length=1, required=True)
    address = Opt(300)
    timezone = Text(64, min_length=1, load_default="Asia/Shanghai", validate=_known_timezone,
                    metadata={"description": "IANA time zone, default Asia/Shanghai"})


class SiteUpdateSchema(Schema):
    """What may change of a site: not its code, which other systems may hold."""

    name = Text(100, min_length=1)
    address = Opt(300)
    timezone = Text(64, min_length=1, validate=_known_timezone, metadata={"description": "IANA time zone"})
    status = Choice(SITE_STATUSES, metadata={
        "description": "disabled: no service records anything new for the site; its records stay readable"})
    version = fields.Integer(required=True, strict=True)


class UserFilterSchema(Schema):
    site_id = Text(ID_MAX)
    role = Text(64)
    status = Choice(STATUSES)
    q = Text(100, metadata={"description": "prefix of username, name or e-mail"})

    @validates("role")
    def known_role(self, value, **kwargs):
        if value not in permissions.ROLES:
            raise ValidationError("Must be one of: %s." % ", ".join(permissions.ROLES))


class DirectoryFilterSchema(Schema):
    q = Text(100, metadata={"description": "start of the username or display name"})
    site_id = Ident()
    ids = fields.List(Ident(), validate=validate.Length(max=200),
                      metadata={"description": "only these users (repeat the parameter): names for ids"})


class AuditFilterSchema(OrderedPeriod):
    actor = Text(ID_MAX)
    entity_type = Text(64)
    entity_id = Text(ID_MAX)
    site_id = Text(ID_MAX)
    action = Text(64)
    since = fields.AwareDateTime(default_timezone=timezone.utc)
    until = fields.AwareDateTime(default_timezone=timezone.utc)


class TeamCreateSchema(Schema):
    site_id = Ident(required=True, metadata={"description": "one of your sites, active"})
    name = Text(100, min_length=1, required=True, metadata={"description": "unique in the site, whatever the case"})
    member_ids = IdList(load_default=list, metadata={"description": "active users of the site"})
    leader_id = Ident(allow_none=True, load_default=None, metadata={"description": "one of member_ids"})


class TeamUpdateSchema(Schema):
    name = Text(100, min_length=1, metadata={"description": "unique in the site, whatever the case"})
    member_ids = IdList(metadata={"description": "the whole list: active users of the site"})
    leader_id = Ident(allow_none=True, metadata={"description": "one of member_ids, or null"})
    version = fields.Integer(strict=True, validate=VERSION_RANGE,
                             required=True, metadata={"description": "the version you read; stale is 409"})


class TeamFilterSchema(Schema):
    site_id = Ident(metadata={"description": "one of your sites (another is 404)"})


# Outputs

class UserSchema(Schema):
    id = Id()
    username = String()
    email = String(allow_none=True)
    display_name = String()
    phone = String(allow_none=True)
    position = String(allow_none=True)
    language = String()
    sites = fields.List(String())
    roles = fields.List(String())
    grants = fields.List(String())
    revocations = fields.List(String())
    permissions = fields.List(String(), metadata={"description": "effective permissions"})
    status = String()
    locked_until = Timestamp(allow_none=True)
    must_change_password = fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()
    last_login_at = Timestamp(allow_none=True)
    version = fields.Integer()


class DeviceSchema(Schema):
    browser = String()
    os = String()
    device = String()
    summary = String(metadata={"description": 'e.g. "Chrome 120 on Windows 10"'})


class LoginRecordSchema(Schema):
    id = Id()
    user_id = String(allow_none=True)
    at = Timestamp()
    success = fields.Boolean()
    reason = String(allow_none=True, metadata={
        "description": "why a sign-in failed: invalid_credentials, disabled, or throttled (too many attempts)"})
    client_addr = String(allow_none=True)
    user_agent = String(allow_none=True)
    device = fields.Nested(DeviceSchema)


class SessionSchema(Schema):
    access_token = String(required=True)
    refresh_token = String(required=True)
    token_type = String(required=True, metadata={"description": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds the access token lives"})
    user = fields.Nested(UserSchema, required=True)


class DirectoryEntrySchema(Schema):
    id = String()
    username = String()
    display_name = String(allow_none=True)
    position = String(allow_none=True)
    sites = fields.List(String())


class DirectorySchema(Schema):
    items = fields.List(fields.Nested(DirectoryEntrySchema))


class PermissionsOutSchema(Schema):
    user_id = String()
    roles = fields.List(String())
    grants = fields.List(String())
    revocations = fields.List(String())
    effective = fields.List(String())
    version = fields.Integer()


class RoleSchema(Schema):
    name = String()
    permissions = fields.List(String())


class PermissionInfoSchema(Schema):
    name = String()
    description = String()


class RolesSchema(Schema):
    roles = fields.List(fields.Nested(RoleSchema))
    permissions = fields.List(fields.Nested(PermissionInfoSchema))


class SiteSchema(Schema):
    id = Id()
    code = String()
    name = String()
    address = String(allow_none=True)
    timezone = String()
    status = String(dump_default="active", metadata={"description": "active or disabled"})
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class AuditEntrySchema(Schema):
    id = Id()
    at = Timestamp()
    actor = String(allow_none=True)
    site_id = String(allow_none=True)
    entity_type = String()
    entity_id = String(allow_none=True)
    action = String()
    changes = fields.Dict(keys=String(), values=fields.Raw(), metadata={"description": "before/after per field"})
    source = String()
    event_id = String(allow_none=True)


class TeamSchema(Schema):
    id = Id()
    site_id = String()
    name = String()
    member_ids = fields.List(String(), metadata={"description": "active users of the site"})
    leader_id = String(allow_none=True, metadata={"description": "one of member_ids, or null"})
    version = fields.Integer()
    created_at = Timestamp()
    updated_at = Timestamp()


class TeamListSchema(Schema):
    items = fields.List(fields.Nested(TeamSchema))


# Events (exchange ``accounts.events``; docs/events.md)

# What other services keep of a user (notifications' recipient directory); never secrets.
PROFILE = ("email", "display_name", "language", "status", "permissions")
USER = ("user_id", "username", "sites", "roles") + PROFILE
# A site as every service's replica keeps it (services.common.sites); the newest version wins.
SITE = ("site_id", "code", "name", "timezone", "status", "version")

CATALOGUE = Catalogue("accounts", {
    "user_created": USER,
    "user_updated": USER + ("changed_fields",),
    "user_deleted": ("user_id",),
    "permissions_changed": ("user_id", "roles", "grants", "revocations", "effective") + PROFILE,
    "account_locked": ("user_id", "locked_until", "client_addr"),
    "password_changed": ("user_id", "email", "display_name", "language"),
    "password_reset_requested": ("user_id", "display_name", "language", "expires_at"),
    "email_changed": ("user_id", "display_name", "language"),
    "site_created": SITE,
    "site_updated": SITE,
    "site_disabled": SITE,
    "site_deleted": SITE,
    "tokens_revoked": ("user_id", "session_id", "min_version", "reason", "expires_at"),
    "audit": AUDIT_FIELDS,
}, sealed={"password_reset_requested": ("email", "reset_url"), "email_changed": ("email", "new_email")})
