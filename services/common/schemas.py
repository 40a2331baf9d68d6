"""Loading input with marshmallow into domain errors that name the field, and the one string field
every service's and the gateway's schemas declare text with."""
import datetime
import re

from marshmallow import EXCLUDE, RAISE, ValidationError, fields

from services.common.errors import ValidationFailed


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


__all__ = ["load", "storable", "Email", "Id", "String", "Url", "EXCLUDE", "RAISE"]


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
