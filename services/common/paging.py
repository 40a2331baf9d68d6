"""Cursor pagination over (sort field, _id): ``{"items", "next_cursor", "total"}``."""
import base64
import binascii

from bson import json_util
from pymongo import ASCENDING, DESCENDING

from services.common.errors import ValidationFailed

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


def page(collection, query, sort_field, descending=True, limit=None, cursor=None, projection=None):
    """One page of ``collection`` matching ``query``; returns (documents, next_cursor, total).

    ``total`` is counted on the first page and carried in the cursor to the next ones (counting
    is a scan on the embedded server), so it tells the size of the list as it was when the
    caller started paging.
    """
    limit = check_limit(limit)
    find = dict(query)
    if cursor:
        value, ident, total = decode_cursor(cursor)
        op = "$lt" if descending else "$gt"
        after = {"$or": [{sort_field: {op: value}}, {sort_field: value, "_id": {op: ident}}]}
        find = {"$and": [query, after]} if query else after
    else:
        total = collection.count_documents(query)
    direction = DESCENDING if descending else ASCENDING
    documents = list(
        collection.find(find, projection).sort([(sort_field, direction), ("_id", direction)]).limit(limit + 1)
    )
    next_cursor = None
    if len(documents) > limit:
        documents = documents[:limit]
        last = documents[-1]
        next_cursor = encode_cursor(last.get(sort_field), last["_id"], total)
    return documents, next_cursor, total
