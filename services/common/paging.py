"""Cursor pagination over (sort field, _id): ``{"items", "next_cursor", "total"}``.

A cursor is opaque to clients: the last item's sort value and id and the list's total as plain
JSON (each value tagged with its type), then an HMAC of that text and of the list it belongs to
(collection, sort field and direction), keyed with ``keyring.derived_key("cursor")``. Only a
cursor this deployment made for this very list is accepted; anything else is a 400 naming
``cursor``, and nothing from a cursor ever reaches a query but plain values of the expected types.
"""
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import time

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import ExecutionTimeout

from services.common import keyring
from services.common.errors import BadRequest, Unavailable, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 2048
MAC_BYTES = 16
CURSOR_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
BAD_CURSOR = "Not a cursor of this list: pass next_cursor of the previous page unchanged."


def check_limit(limit):
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(fields={"limit": ["Must be a whole number from 1 to %d." % MAX_LIMIT]})
    return limit


def _b64(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(list_key, body):
    return hmac.new(keyring.derived_key("cursor"), ("%s\n%s" % (list_key, body)).encode("utf-8"),
                    hashlib.sha256).digest()[:MAC_BYTES]


def _tagged(value):
    """A sort value or id as ``[type, plain value]``; TypeError for any other type."""
    if value is None:
        return ["n", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", value]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return ["t", (aware - _EPOCH) // datetime.timedelta(milliseconds=1)]
    if isinstance(value, ObjectId):
        return ["o", str(value)]
    raise TypeError("a cursor holds no %s" % type(value).__name__)


_PLAIN = {"n": type(None), "b": bool, "i": int, "f": float, "s": str, "t": int, "o": str}


def _untagged(pair):
    """The value of a ``_tagged`` pair; ValueError unless it is exactly one of those."""
    if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in _PLAIN):
        raise ValueError(pair)
    tag, value = pair
    if type(value) is not _PLAIN[tag]:
        raise ValueError(pair)
    if tag == "t":
        return _EPOCH + datetime.timedelta(milliseconds=value)
    if tag == "o":
        return ObjectId(value)
    return value


def list_key(collection, sort_field, descending):
    """What a cursor is bound to: the collection, its database, the sort field and direction."""
    return "%s:%s%s" % (collection.full_name, "-" if descending else "", sort_field)


def encode_cursor(key, value, ident, total, total_is_lower_bound=False):
    fields = [_tagged(value), _tagged(ident), total] + ([1] if total_is_lower_bound else [])
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    body = _b64(text.encode("utf-8"))
    return "%s.%s" % (body, _b64(_mac(key, body)))


def decode_cursor(key, cursor):
    """(sort value, id, total) of the last item of the previous page; BadRequest unless ``cursor``
    is one ``encode_cursor`` made for ``key``."""
    return decode_cursor_with_bound(key, cursor)[:3]


def decode_cursor_with_bound(key, cursor):
    """``decode_cursor`` and whether its total is a lower bound."""
    try:
        if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR or not CURSOR_SHAPE.fullmatch(cursor):
            raise ValueError("shape")
        body, mac = cursor.split(".")
        if not hmac.compare_digest(_unb64(mac), _mac(key, body)):
            raise ValueError("signature")
        value, ident, total, *bound = json.loads(_unb64(body))
        if isinstance(total, bool) or not isinstance(total, int) or total < 0 or bound not in ([], [1]):
            raise ValueError(total)
        value, ident = _untagged(value), _untagged(ident)
        if ident is None or isinstance(ident, (bool, float)):
            raise ValueError(ident)
        return value, ident, total, bool(bound)
    except (ValueError, TypeError, binascii.Error, InvalidId):
        raise BadRequest("The cursor is not valid.", fields={"cursor": [BAD_CURSOR]})


def page(collection, query, sort_field, descending=True, limit=None, cursor=None, projection=None,
         time_limit=None, bound_to=None):
    """One page of ``collection`` matching ``query``; returns (documents, next_cursor, total).
    ``total`` is counted (``_page``)."""
    documents, next_cursor, total, _ = _page(collection, query, sort_field, descending, limit, cursor, projection,
                                             time_limit, True, bound_to)
    return documents, next_cursor, total


def uncounted_page(collection, query, sort_field, descending=True, limit=None, cursor=None, projection=None,
                   time_limit=None, bound_to=None):
    """``page`` without its count, which on the embedded server costs as much as reading every
    match again: returns (documents, next_cursor, total, total_is_lower_bound), ``total`` what
    paging has met so far (``met_so_far``)."""
    return _page(collection, query, sort_field, descending, limit, cursor, projection, time_limit, False, bound_to)


def met_so_far(seen, found, limit):
    """(total, is it a lower bound) of a list nothing counts: the ``seen`` rows of the pages before
    and the ``found`` ones read for this page (``limit`` and one more when more follow)."""
    return seen + min(found, limit + 1), found > limit


def cut_page(rows, limit, key, field, seen, total, bound):
    """``rows`` (read up to ``limit`` and one more) cut to the page, and the cursor after its last
    row, None on the last page; the cursor carries ``total``, or with ``bound`` the rows met so far."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(key, last.get(field), last["_id"], seen + limit if bound else total, bound)


def _page(collection, query, sort_field, descending, limit, cursor, projection, time_limit, counted, bound_to):
    """One page, as ``page`` and ``uncounted_page`` answer it; its cursor is made for the list, and
    for ``bound_to`` (a search text) when given: a cursor of another text is refused.

    ``total`` is counted on the first page and carried in the cursor to the next ones (counting
    is a scan on the embedded server), so it tells the size of the list as it was when the
    caller started paging. A later page is read as flat queries (the rest of the previous page's
    sort value, the values after it, then, going down, the documents without one) rather than
    one ``$or``, which the embedded server would answer by scanning the collection.
    With ``time_limit`` (seconds), the database stops work on a page that takes longer and the
    caller gets ``Unavailable`` (code ``search_too_broad``) rather than a page after its timeout.
    """
    limit = check_limit(limit)
    direction = DESCENDING if descending else ASCENDING
    order = [(sort_field, direction), ("_id", direction)]
    budget = Budget(time_limit)
    key = list_key(collection, sort_field, descending) + ("" if bound_to is None else ":text:%s" % bound_to)

    def fetch(find, count):
        return list(budget.bound(collection.find(find, projection).sort(order).limit(count)))

    bound = False
    try:
        if not cursor:
            total = collection.count_documents(query, **budget.options()) if counted else 0
            documents = fetch(query, limit + 1)
        else:
            value, ident, total, bound = decode_cursor_with_bound(key, cursor)
            op = "$lt" if descending else "$gt"
            documents = []
            if sort_field != "_id":
                documents = fetch(with_clauses(query, {sort_field: value, "_id": {op: ident}}), limit + 1)
            if len(documents) <= limit:
                after = {op: value} if value is not None or descending else {"$ne": None}
                documents += fetch(with_clauses(query, {sort_field: after}), limit + 1 - len(documents))
            if len(documents) <= limit and descending and value is not None:
                documents += fetch(with_clauses(query, {sort_field: None}), limit + 1 - len(documents))
    except ExecutionTimeout:
        raise too_broad()
    seen = total
    if not counted:
        total, bound = met_so_far(seen, len(documents), limit)
    documents, next_cursor = cut_page(documents, limit, key, sort_field, seen, total, bound)
    return documents, next_cursor, total, bound


def too_broad():
    return Unavailable("This search matches too much to answer in time: narrow it with a filter or "
                       "a longer search text.", code="search_too_broad")


class Budget:
    """What is left of ``seconds`` for the queries of one page, as each query's ``maxTimeMS``."""

    def __init__(self, seconds):
        self.deadline = None if not seconds else time.monotonic() + seconds

    def left_ms(self):
        return max(1, int((self.deadline - time.monotonic()) * 1000))

    def options(self):
        return {} if self.deadline is None else {"maxTimeMS": self.left_ms()}

    def bound(self, cursor):
        return cursor if self.deadline is None else cursor.max_time_ms(self.left_ms())


def with_clauses(query, clauses):
    """``query`` and ``clauses`` in one flat dict: a field both constrain gets both operators
    (``{"$lt": a}`` and ``{"$gt": b}`` make one range); an ``$and`` only where they cannot merge."""
    merged = dict(query)
    for field, condition in clauses.items():
        if field in merged:
            combined = _both(merged[field], condition)
            if combined is None:
                return {"$and": [query, clauses]}
            condition = combined
        merged[field] = condition
    return merged


def _operators(condition):
    if isinstance(condition, dict) and condition and all(key.startswith("$") for key in condition):
        return dict(condition)
    return {"$eq": condition}


def _both(first, second):
    first, second = _operators(first), _operators(second)
    if set(first) & set(second):
        return None
    return dict(first, **second)
