"""Loading input with marshmallow into domain errors that name the field, and the field kinds every
service's contract and the gateway's schemas are declared with."""
import datetime
import re

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.errors import ValidationFailed

# The languages the product speaks (a user's setting, a survey's, a template's).
LANGUAGES = ("zh-CN", "en")
ID_MAX = 64
MONEY_MAX = 10 ** 13
# A record's version is stored as a 64-bit integer: anything larger cannot be a version someone read.
VERSION_RANGE = validate.Range(min=0, max=2 ** 63 - 1)


def load(schema, data, partial=False):
    """``schema.load(data)``; a ValidationFailed naming every bad field otherwise."""
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.", {"_body": ["Must be an object."]})
    try:
        return schema.load(data, partial=partial, unknown=RAISE)
    except ValidationError as exc:
        raise ValidationFailed(fields=_as_field_messages(exc.messages))


def _as_field_messages(messages):
    if isinstance(messages, dict):
        return {str(key): value for key, value in messages.items()}
    return {"_body": messages}


# Control characters (C0, DEL, C1), lone surrogates and the non-characters U+FFFE/U+FFFF: nothing a
# person types, and what breaks exports (XML 1.0 forbids most of them) and terminals.
_NEVER = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
CONTROL = re.compile("[%s\t\n\r]" % _NEVER)
CONTROL_IN_TEXT = re.compile("[%s]" % _NEVER)


class String(fields.String):
    """Text without control characters; ``multiline=True`` (notes, summaries) also allows tab and line breaks."""

    def __init__(self, *args, multiline=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(value, self.multiline)
        if problem:
            raise ValidationError(problem)
        return value


def text_problem(value, multiline=False):
    """Why ``value`` is not acceptable text (a control character), or None."""
    if multiline:
        return "Must not contain control characters other than tab and line breaks." \
            if CONTROL_IN_TEXT.search(value) else None
    return "Must not contain control characters or line breaks." if CONTROL.search(value) else None


class Url(String, fields.Url):
    """A URL without control characters (marshmallow's check lets some through)."""


class Email(String, fields.Email):
    """An e-mail address without control characters."""


class Id(String):
    """An id as the API shows it: the document's ``_id``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attribute", "_id")
        super().__init__(**kwargs)


def Text(max_length, min_length=0, multiline=False, **kwargs):
    """Text of a length; control characters are refused (tab and line breaks too unless ``multiline``).
    A ``validate`` given runs after the length check."""
    more = kwargs.pop("validate", None)
    checks = [validate.Length(min=min_length or None, max=max_length)] + ([more] if more else [])
    return String(validate=checks if more else checks[0], multiline=multiline, **kwargs)


def Opt(max_length, **kwargs):
    """An optional, nullable text field."""
    return Text(max_length, allow_none=True, **kwargs)


def Ident(**kwargs):
    """An id given in input (what ``Id`` shows in output)."""
    return Text(ID_MAX, min_length=1, **kwargs)


def Choice(values, **kwargs):
    return fields.String(validate=validate.OneOf(values), **kwargs)


def Money(**kwargs):
    """An amount in the record's currency (stored as a float rounded to cents)."""
    return fields.Float(allow_nan=False, validate=validate.Range(min=0, max=MONEY_MAX), **kwargs)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: only ``true`` or ``false``, never ``0``, ``1`` or ``"yes"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Timestamp(fields.DateTime):
    """A UTC ISO 8601 time in output; text already formatted passes through."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class Day(fields.Date):
    """A calendar date (ISO text) in output; text already formatted passes through."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class OrderedPeriod(Schema):
    """Mixed into a filter with ``since`` and ``until``: ``until`` must not be before ``since``."""

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before since.", "until")


__all__ = ["load", "storable", "Choice", "Day", "Email", "Id", "Ident", "JsonBoolean", "Money", "Opt", "String",
           "Text", "Timestamp", "Url", "VERSION_RANGE", "OrderedPeriod", "EXCLUDE", "RAISE"]


def storable(value):
    """``value`` with plain dates as ISO strings (BSON has datetimes only); dates sort as text."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
