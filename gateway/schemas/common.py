"""Building blocks shared by every area: strict input, times, list pages and error responses."""
import re
from datetime import date, datetime, timezone

from marshmallow import RAISE, Schema, fields, pre_dump, validate

from gateway.extensions import ErrorSchema
from services.common import paging
from services.common.errors import BadRequest
from services.common.schemas import Email, String, Url  # noqa: F401 (the fields every area uses)

MAX_LIMIT = 500
# A record's version is stored as a 64-bit integer: anything larger cannot be a version you read.
VERSION_RANGE = validate.Range(min=0, max=2 ** 63 - 1)
DEFAULT_LIMIT = 50

ERROR_DESCRIPTIONS = {
    400: "The request is malformed",
    401: "No token, or an invalid or expired one",
    403: "The caller lacks the permission",
    404: "Unknown, or outside the caller's sites",
    409: "Duplicate, or a stale version",
    413: "The request body is too large",
    415: "The file type is not supported",
    422: "The input is not valid",
    429: "Too many attempts; retry after Retry-After seconds",
    503: "A service or the broker is unavailable",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


class StrictSchema(Schema):
    """Input schema: an unknown field is a 422 naming it."""

    class Meta:
        unknown = RAISE


class QueryInteger(fields.Integer):
    """An integer in a query string: ASCII digits only, so ``1.5``, ``1e2`` or ``1_0`` are invalid."""

    _DIGITS = re.compile(r"-?[0-9]{1,18}")

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not self._DIGITS.fullmatch(value):
                raise self.make_error("invalid")
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: only ``true`` or ``false``, never ``0``, ``1`` or ``"yes"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Timestamp(fields.DateTime):
    """A UTC ISO 8601 time in a response; text the service already formatted passes through."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


def Text(max_length, min_length=0, multiline=False, **kwargs):
    """Text input of a length; control characters are 422 (tab and line breaks too unless ``multiline``)."""
    return String(validate=validate.Length(min=min_length or None, max=max_length), multiline=multiline, **kwargs)


class Cursor(fields.String):
    """A list's ``cursor``: opaque, signed by the service that made it. One of another shape is a
    400 naming ``cursor`` (not a 422: nothing about it can be corrected but by passing
    ``next_cursor`` unchanged); the service checks the signature and the list it belongs to."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": (
            "next_cursor of the previous page, unchanged (opaque and signed; another value, or a cursor "
            "of another list or sort, is 400)")})
        super().__init__(validate=validate.Length(max=paging.MAX_CURSOR), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not paging.CURSOR_SHAPE.fullmatch(value) or len(value) > paging.MAX_CURSOR:
            raise BadRequest("The cursor is not valid.", fields={"cursor": [paging.BAD_CURSOR]})
        return value


class PageQuerySchema(StrictSchema):
    limit = QueryInteger(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page (1-500)"})
    cursor = Cursor()


class PageSchema(Schema):
    """``{items, next_cursor, total}``; subclasses made by ``page_schema`` set the item type."""

    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})
    total = fields.Integer(metadata={"description": (
        "items matching the filters, counted when paging began; with total_is_lower_bound, the list holds "
        "at least this many (a list whose size is not kept, e.g. customers with two filters or a search text, "
        "and the lists sorted by a time (audit, users, sign-ins, notifications, e-mails, webhooks, deliveries, "
        "feedback, surveys, a customer's records, merges) is not counted: it would cost a read of every match)")})
    total_is_lower_bound = fields.Boolean(dump_default=False, metadata={"description": (
        "true when total is a lower bound (shown as \"N+\"); it becomes exact on the last page")})

    @pre_dump
    def with_items(self, page, **kwargs):
        # A dict without "items" would otherwise serialise its own ``items`` method.
        return {"items": [], **page}


_pages = {}


def page_schema(item_schema):
    """The ``{items, next_cursor, total}`` schema of a list of ``item_schema`` (one class per item)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _pages:
        _pages[name] = type(name, (PageSchema,), {
            "items": fields.List(fields.Nested(item_schema), required=True),
        })
    return _pages[name]


def split_page(args):
    """Parsed list query -> (filters without unset values, limit, cursor); times as UTC ISO text."""
    args = dict(args)
    limit = args.pop("limit", DEFAULT_LIMIT)
    cursor = args.pop("cursor", None)
    filters = {key: plain(value) for key, value in args.items() if value is not None}
    return filters, limit, cursor


def plain(value):
    """Loaded input as JSON types for an RPC: times as UTC ISO text, dates as ISO text."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def error_responses(blp, *statuses):
    """Decorator documenting the error responses ``statuses`` of a view of ``blp``."""

    def decorator(func):
        for status in statuses:
            func = blp.alt_response(
                status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[status],
                headers=RETRY_AFTER if status == 429 else None)(func)
        return func

    return decorator
