"""Input and output shapes of the accounts service."""
import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.accounts import permissions
from services.common.schemas import Email, Id, String
from services.common.sites import STATUSES as SITE_STATUSES

LANGUAGES = ("zh-CN", "en")
STATUSES = ("active", "disabled", "deleted")



def Name(**kwargs):
    return String(validate=validate.Length(min=1, max=100), **kwargs)


def Text(max_length, **kwargs):
    return String(validate=validate.Length(max=max_length), allow_none=True, **kwargs)


def IdList(min_length=0, **kwargs):
    return fields.List(String(validate=validate.Length(min=1, max=64)),
                       validate=validate.Length(min=min_length, max=100), **kwargs)


def _known(values, catalogue, what):
    unknown = sorted(set(values) - set(catalogue))
    if unknown:
        raise ValidationError("Unknown %s: %s." % (what, ", ".join(unknown)))


class ContactDetailsSchema(Schema):
    """What a user may change about themself."""

    display_name = Name()
    email = Email(validate=validate.Length(max=254))
    phone = Text(40)
    position = Text(100)
    language = String(validate=validate.OneOf(LANGUAGES))


class UserAdminSchema(ContactDetailsSchema):
    """What only users:admin may set."""

    sites = IdList()
    roles = fields.List(String(), validate=validate.Length(max=20))
    status = String(validate=validate.OneOf(("active", "disabled")))
    must_change_password = fields.Boolean()

    @validates("roles")
    def known_roles(self, value, **kwargs):
        _known(value, permissions.ROLES, "role")


class UserCreateSchema(UserAdminSchema):
    username = String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"^[A-Za-z0-9_.@-]+$", error="Letters, digits and _ . @ - only."),
    ])
    email = Email(required=True, validate=validate.Length(max=254))
    password = String(required=True, load_only=True, validate=validate.Length(max=1024))
    display_name = Name(required=True)
    sites = IdList(min_length=1, required=True)
    roles = fields.List(String(), required=True, validate=validate.Length(min=1, max=20))


class UserUpdateSchema(UserAdminSchema):
    version = fields.Integer(required=True, strict=True)
    current_password = String(load_only=True, validate=validate.Length(max=1024))


class PermissionsSchema(Schema):
    roles = fields.List(String(), validate=validate.Length(min=1, max=20))
    grants = fields.List(String(), load_default=list, validate=validate.Length(max=100))
    revocations = fields.List(String(), load_default=list, validate=validate.Length(max=100))
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
    code = String(required=True, validate=[
        validate.Length(min=1, max=20), validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Letters, digits, _ and - only."),
    ])
    name = Name(required=True)
    address = Text(300)
    timezone = String(load_default="Asia/Shanghai")

    @validates("timezone")
    def known_timezone(self, value, **kwargs):
        if value not in zoneinfo.available_timezones():
            raise ValidationError("Unknown time zone.")


class SiteUpdateSchema(SiteCreateSchema):
    """What may change of a site: not its code, which other systems may hold."""

    class Meta:
        exclude = ("code",)

    name = Name()
    timezone = String()
    status = String(validate=validate.OneOf(SITE_STATUSES))
    version = fields.Integer(required=True, strict=True)


class UserFilterSchema(Schema):
    site_id = String(validate=validate.Length(max=64))
    role = String(validate=validate.OneOf(list(permissions.ROLES)))
    status = String(validate=validate.OneOf(STATUSES))
    q = String(validate=validate.Length(max=100))


class DirectoryFilterSchema(Schema):
    site_id = String(validate=validate.Length(max=64))
    q = String(validate=validate.Length(max=100))
    ids = fields.List(String(validate=validate.Length(max=64)), validate=validate.Length(max=200))


class AuditFilterSchema(Schema):
    actor = String(validate=validate.Length(max=64))
    entity_type = String(validate=validate.Length(max=64))
    entity_id = String(validate=validate.Length(max=64))
    site_id = String(validate=validate.Length(max=64))
    action = String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(default_timezone=zoneinfo.ZoneInfo("UTC"))
    until = fields.AwareDateTime(default_timezone=zoneinfo.ZoneInfo("UTC"))


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
    permissions = fields.List(String())
    status = String()
    locked_until = fields.DateTime(allow_none=True)
    must_change_password = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class LoginRecordSchema(Schema):
    id = Id()
    user_id = String(allow_none=True)
    at = fields.DateTime()
    success = fields.Boolean()
    reason = String(allow_none=True)
    client_addr = String(allow_none=True)
    user_agent = String(allow_none=True)
    device = fields.Dict()


class SiteSchema(Schema):
    id = Id()
    code = String()
    name = String()
    address = String(allow_none=True)
    timezone = String()
    status = String(dump_default="active")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class AuditEntrySchema(Schema):
    id = Id()
    at = fields.DateTime()
    actor = String(allow_none=True)
    site_id = String(allow_none=True)
    entity_type = String()
    entity_id = String(allow_none=True)
    action = String()
    changes = fields.Dict()
    source = String()
    event_id = String()
