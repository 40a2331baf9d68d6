"""Input and output shapes of the accounts service."""
import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.accounts import permissions
from services.common.schemas import Id

LANGUAGES = ("zh-CN", "en")
STATUSES = ("active", "disabled", "deleted")



def Name(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


def Text(max_length, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), allow_none=True, **kwargs)


def IdList(min_length=0, **kwargs):
    return fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                       validate=validate.Length(min=min_length, max=100), **kwargs)


def _known(values, catalogue, what):
    unknown = sorted(set(values) - set(catalogue))
    if unknown:
        raise ValidationError("Unknown %s: %s." % (what, ", ".join(unknown)))


class ContactDetailsSchema(Schema):
    """What a user may change about themself."""

    display_name = Name()
    email = fields.Email(validate=validate.Length(max=254))
    phone = Text(40)
    position = Text(100)
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class UserAdminSchema(ContactDetailsSchema):
    """What only users:admin may set."""

    sites = IdList()
    roles = fields.List(fields.String(), validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(("active", "disabled")))
    must_change_password = fields.Boolean()

    @validates("roles")
    def known_roles(self, value, **kwargs):
        _known(value, permissions.ROLES, "role")


class UserCreateSchema(UserAdminSchema):
    username = fields.String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Letters, digits and _ . @ - only."),
    ])
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    display_name = Name(required=True)
    sites = IdList(min_length=1, required=True)
    roles = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=20))


class UserUpdateSchema(UserAdminSchema):
    version = fields.Integer(required=True, strict=True)


class PermissionsSchema(Schema):
    roles = fields.List(fields.String(), validate=validate.Length(min=1, max=20))
    grants = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100))
    revocations = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100))
    version = fields.Integer(strict=True)

    @validates("roles")
    def known_roles(self, value, **kwargs):
        _known(value, permissions.ROLES, "role")

    @validates("grants")
    def known_grants(self, value, **kwargs):
        _known(value, permissions.CATALOGUE, "permission")

    @validates("revocations")
    def known_revocations(self, value, **kwargs):
        _known(value, permissions.CATALOGUE, "permission")


class SiteCreateSchema(Schema):
    code = fields.String(required=True, validate=[
        validate.Length(min=1, max=20), validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Letters, digits, _ and - only."),
    ])
    name = Name(required=True)
    address = Text(300)
    timezone = fields.String(load_default="Asia/Shanghai")

    @validates("timezone")
    def known_timezone(self, value, **kwargs):
        if value not in zoneinfo.available_timezones():
            raise ValidationError("Unknown time zone.")


class UserFilterSchema(Schema):
    site_id = fields.String(validate=validate.Length(max=64))
    role = fields.String(validate=validate.OneOf(list(permissions.ROLES)))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=100))


class DirectoryFilterSchema(Schema):
    site_id = fields.String(validate=validate.Length(max=64))
    q = fields.String(validate=validate.Length(max=100))
    ids = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=200))


class AuditFilterSchema(Schema):
    actor = fields.String(validate=validate.Length(max=64))
    entity_type = fields.String(validate=validate.Length(max=64))
    entity_id = fields.String(validate=validate.Length(max=64))
    site_id = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(default_timezone=zoneinfo.ZoneInfo("UTC"))
    until = fields.AwareDateTime(default_timezone=zoneinfo.ZoneInfo("UTC"))


class UserSchema(Schema):
    id = Id()
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
    permissions = fields.List(fields.String())
    status = fields.String()
    locked_until = fields.DateTime(allow_none=True)
    must_change_password = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class LoginRecordSchema(Schema):
    id = Id()
    user_id = fields.String(allow_none=True)
    at = fields.DateTime()
    success = fields.Boolean()
    reason = fields.String(allow_none=True)
    client_addr = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    device = fields.Dict()


class SiteSchema(Schema):
    id = Id()
    code = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    timezone = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class AuditEntrySchema(Schema):
    id = Id()
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    site_id = fields.String(allow_none=True)
    entity_type = fields.String()
    entity_id = fields.String(allow_none=True)
    action = fields.String()
    changes = fields.Dict()
    source = fields.String()
    event_id = fields.String()
