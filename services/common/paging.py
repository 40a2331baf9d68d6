"""Cursor pagination over (sort field, _id): ``{"items", "next_cursor", "total"}``."""
import base64
import binascii
import time

from bson import json_util
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import ExecutionTimeout

from services.common.errors import Unavailable, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def check_limit(limit):
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(fields={"limit": ["Must be a whole number from 1 to %d." % MAX_LIMIT]})
    return limit


def encode_cursor(value, ident, total):
    return base64.urlsafe_b64encode(json_util.dumps([value, ident, total]).encode()).decode()


def decode_cursor(cursor):
    """(sort value, id, total) of the last item of the previous page."""
    try:
        value, ident, total = json_util.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(total, int):
            raise ValueError(total)
        return value, ident, total
    except (ValueError, TypeError, binascii.Error):
        raise ValidationFailed(fields={"cursor": ["Not a valid cursor."]})


def page(collection, query, sort_field, descending=True, limit=None, cursor=None, projection=None,
         time_limit=None):
    """One page of ``collection`` matching ``query``; returns (documents, next_cursor, total).

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

    def fetch(find, count):
        return list(budget.bound(collection.find(find, projection).sort(order).limit(count)))

    try:
        if not cursor:
            total = collection.count_documents(query, **budget.options())
            documents = fetch(query, limit + 1)
        else:
            value, ident, total = decode_cursor(cursor)
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
        raise Unavailable("This search matches too much to answer in time: narrow it with a filter or "
                          "a longer search text.", code="search_too_broad")
    next_cursor = None
    if len(documents) > limit:
        documents = documents[:limit]
        last = documents[-1]
        next_cursor = encode_cursor(last.get(sort_field), last["_id"], total)
    return documents, next_cursor, total


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
