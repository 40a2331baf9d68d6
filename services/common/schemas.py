"""Loading input with marshmallow into domain errors that name the field."""
import datetime

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


class Id(fields.String):
    """An id as the API shows it: the document's ``_id``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attribute", "_id")
        super().__init__(**kwargs)


__all__ = ["load", "storable", "Id", "EXCLUDE", "RAISE"]


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
