"""Building blocks shared by every area: strict input, times, list pages and error responses."""
import copy
import re
from datetime import date, datetime, timezone

from marshmallow import RAISE, Schema, fields, missing, pre_dump, validate

from gateway.extensions import ErrorSchema
from services.common import paging
from services.common.errors import BadRequest
from services.common.schemas import (  # noqa: F401 (the field kinds every area uses)
    VERSION_RANGE, Choice, Day, Email, Ident, JsonBoolean, Money, Opt, String, Text, Timestamp, Url,
)

MAX_LIMIT = 500
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


_inputs = {}


def http_input(contract_schema, name=None, rules=(), base=None, required=(), defaults=(), **added):
    """The HTTP form of a service contract's input schema: the same fields, bounds and descriptions,
    an unknown field a 422, and no load defaults (the service applies its own, so a PATCH carries
    only what the caller sent). Nested contract schemas take their HTTP form too (``XSchema`` ->
    ``XCreateSchema`` unless made before under another name). Rules across fields (a phone number
    for its country, a USCC check digit) stay the service's, which answers 422 naming the field, but
    for the methods named in ``rules``, which the gateway runs too. ``base`` (default StrictSchema)
    adds its fields first, e.g. a page's ``limit`` and ``cursor``; the fields named in ``required``
    must be sent over HTTP (e.g. a PUT's whole list) though the service has a default for them; those
    in ``defaults`` keep their default. The form's ``CONTRACT`` is ``contract_schema``."""
    if contract_schema in _inputs and name is None and not (added or rules or base or required or defaults):
        return _inputs[contract_schema]
    declared = {}
    for field_name, field in contract_schema._declared_fields.items():
        if not field.dump_only:
            declared[field_name] = _http_field(field, keep_default=field_name in defaults)
            declared[field_name].required = field.required or field_name in required
    declared.update({rule: getattr(contract_schema, rule) for rule in rules})
    declared.update(added, CONTRACT=contract_schema)
    made = type(name or contract_schema.__name__.replace("Schema", "CreateSchema"), (base or StrictSchema,), declared)
    _inputs.setdefault(contract_schema, made)
    return made


def _http_field(field, keep_default=False):
    field = copy.copy(field)
    if not keep_default:
        field.load_default = missing
    if isinstance(field, fields.Nested) and isinstance(field.nested, type):
        field.nested = http_input(field.nested)
    elif isinstance(field, fields.List):
        field.inner = _http_field(field.inner)
    return field


_outputs = {}


def http_output(contract_schema, name=None, bases=(Schema,), **added):
    """The HTTP form of a service contract's output schema: the same fields and descriptions, each
    read from the service's answer by its own name (an ``Id`` reads ``id``, which the service made
    of the document's ``_id``; a ``Function`` the service computed reads as the ``type`` its metadata
    declares). Its name is the contract's, but ``XOutSchema`` (named so beside an input ``XSchema``)
    is ``XSchema``. ``added`` declares fields the HTTP answer has besides (``None`` leaves out one the
    gateway answers otherwise); ``bases`` are the schema's classes (e.g.
    ``gateway.language.LocalizedTexts``). Nested contract schemas take their HTTP form, one per
    contract schema: one made with a name, ``added`` or ``bases`` must be made before a schema
    nesting it. The form's ``CONTRACT`` is ``contract_schema``."""
    if contract_schema in _outputs:
        if name is None and not added and bases == (Schema,):
            return _outputs[contract_schema]
        raise ValueError("%s has an HTTP form already (%s): make this one before the schemas nesting it"
                         % (contract_schema.__name__, _outputs[contract_schema].__name__))
    declared = {field_name: _output_field(field) for field_name, field in contract_schema._declared_fields.items()
                if field_name not in added}
    declared.update({field_name: field for field_name, field in added.items() if field is not None},
                    CONTRACT=contract_schema)
    made = type(name or contract_schema.__name__.replace("OutSchema", "Schema"), bases, declared)
    _outputs[contract_schema] = made
    return made


_COMPUTED = {"boolean": fields.Boolean, "integer": fields.Integer, "number": fields.Float, "string": fields.String}


def _output_field(field):
    if isinstance(field, fields.Function):  # computed by the service: read as the type it declares
        metadata = {key: value for key, value in field.metadata.items() if key != "type"}
        return _COMPUTED[field.metadata["type"]](metadata=metadata)
    field = copy.copy(field)
    field.attribute = field.data_key  # the name the service's answer has it under
    field.dump_default = missing  # the service's answer already has it
    if isinstance(field, fields.Nested) and isinstance(field.nested, type):
        field.nested = http_output(field.nested)
    elif isinstance(field, fields.List):
        field.inner = _output_field(field.inner)
    return field


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
