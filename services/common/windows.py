"""Windowed keyset paging: a page read as bounded ranges of its sort field.

The embedded database server reads every candidate of a query before it sorts and applies the
limit, so "the first 50 customers of a site by name" costs the whole site. A query whose filter is
equalities plus one range on the next field of an index ``(equality fields..., sort field, _id)``
reads only the index entries in that range. So a page is read here as a run of windows of the list,
each a few flat queries of that shape, until it holds one row more than the page; a list over
several scopes (one per site) reads each scope so, then merges them.

Windows are cut at ``cuts``: (sort value, _id) pairs of the scope in list order, each standing for
about the same number of rows (a sample the owning service keeps; ``stride`` says how many cuts the
first window spans). Past the last cut, or with none, a window reaches the end of the list: the
answer is always complete, the cuts only bound its cost. On MongoDB these are plain keyset queries.
"""
import datetime
import math

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

# MongoDB's comparison order of the value types a sort field holds (null first).
_TYPE_RANK = ((type(None), 0), (bool, 8), (int, 1), (float, 1), (str, 2), (ObjectId, 7), (datetime.datetime, 9))


def type_rank(value):
    for kind, rank in _TYPE_RANK:
        if isinstance(value, kind):
            return rank
    return 5


def sort_key(value, ident):
    """A key that orders (value, _id) pairs as the database's ascending sort does."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None) - value.utcoffset()
    return type_rank(value), value if value is not None else 0, type_rank(ident), ident


class Order:
    """A list's order: ``field`` then ``_id``, both descending or both ascending; nulls of
    ``field`` come first going up and last going down, as the database sorts them. ``floor`` is
    the lowest value the field holds (``""`` for text), the bound of a range open at its low end."""

    def __init__(self, field, descending, floor):
        self.field, self.descending, self.floor = field, descending, floor
        direction = DESCENDING if descending else ASCENDING
        self.sort = [(field, direction), ("_id", direction)]
        self.after, self.until = ("$lt", "$gte") if descending else ("$gt", "$lte")
        self.before = "$gt" if descending else "$lt"

    def key(self, document):
        return self.pair_key((document.get(self.field), document["_id"]))

    def pair_key(self, pair):
        """A key by which pairs sort in this list's order (ascending)."""
        key = sort_key(*pair)
        return _Reversed(key) if self.descending else key

    def between(self, start, end):
        """Flat clauses, in list order, for the rows after ``start`` up to and including ``end``
        (``(value, _id)`` pairs; None is the start or the end of the list). Each is equalities and
        one range, on the sort field or on ``_id`` within one value."""
        field = self.field
        if start is not None and end is not None and _same(start[0], end[0]):
            return [{field: start[0], "_id": {self.after: start[1], self.until: end[1]}}]
        clauses = [{field: start[0], "_id": {self.after: start[1]}}] if start is not None else []
        nulls, values = self._middle(start, end)
        middle = [values, nulls] if self.descending else [nulls, values]
        clauses += [clause for clause in middle if clause is not None]
        if end is not None:
            clauses.append({field: end[0], "_id": {self.until: end[1]}})
        return clauses

    def _middle(self, start, end):
        """The null run and the range of values strictly between ``start`` and ``end``."""
        open_start, open_end = start is None, end is None
        start_null = not open_start and start[0] is None
        end_null = not open_end and end[0] is None
        if self.descending:
            has_values, has_nulls = not start_null, open_end and not start_null
            high, low = (None if open_start else start[0]), (None if open_end or end_null else end[0])
        else:
            has_values, has_nulls = not end_null, open_start and not end_null
            low, high = (None if open_start or start_null else start[0]), (None if open_end else end[0])
        values = None
        if has_values:
            bounds = {"$gt": low} if low is not None else {"$gte": self.floor}
            if high is not None:
                bounds["$lt"] = high
            values = {self.field: bounds}
        return ({self.field: None} if has_nulls else None), values


class _Reversed:
    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        return other.key < self.key

    def __eq__(self, other):
        return self.key == other.key


def _same(first, second):
    return type_rank(first) == type_rank(second) and first == second


def read_scope(collection, equalities, order, start, need, cuts, stride, projection=None, keep=None, bound=None):
    """Up to ``need`` rows of one scope (``equalities``) after ``start``, in list order.

    The first window spans ``stride`` of the ``cuts`` after ``start`` (so a cut is taken for
    ``need / stride`` rows); the next one as many as the rest of the page needs, or twice as many
    when a window held less than half of what its cuts stand for (the cuts are older than the rows).
    ``keep`` (a predicate) drops rows the query cannot express; then windows are read whole.
    ``bound`` wraps each cursor (a time budget). Returns (rows, queries made).
    """
    start_key = order.pair_key(start) if start is not None else None
    ahead = [cut for cut in cuts if start_key is None or start_key < order.pair_key(cut)]
    rows, queries, taken, span = [], 0, 0, max(1, stride)
    per_cut = need / span
    position = start
    while len(rows) < need:
        end = ahead[taken + span - 1] if taken + span - 1 < len(ahead) else None
        before = len(rows)
        for clause in order.between(position, end):
            query = dict(equalities, **clause)
            found = collection.find(query, projection).sort(order.sort)
            if keep is None:
                found = found.limit(need - len(rows))
            queries += 1
            for document in (bound(found) if bound else found):
                if keep is None or keep(document):
                    rows.append(document)
            if len(rows) >= need:
                break
        if end is None:
            break
        short = len(rows) - before < span * per_cut / 2
        position, taken = end, taken + span
        span = span * 2 if short else max(1, math.ceil((need - len(rows)) / per_cut))
    return rows[:need], queries


def read_page(collection, scopes, order, start, need, projection=None, keep=None, bound=None):
    """Up to ``need`` rows after ``start`` over several scopes, merged in list order.

    ``scopes`` are ``(equalities, cuts, stride)``, one per scope, ``stride`` sized for ``need``
    rows. Each scope is first asked for its share of the page (its share of the cuts, and a
    quarter more); a scope is read further only while its last row sorts before the page's last
    (or the page is short), so a list over many sites reads about one page, not one per site.
    Returns (rows, queries made).
    """
    if len(scopes) == 1:
        equalities, cuts, stride = scopes[0]
        return read_scope(collection, equalities, order, start, need, cuts, stride, projection, keep, bound)
    weights = [len(cuts) + 1 for _, cuts, _ in scopes]
    shares = [weight / sum(weights) for weight in weights]
    asked = [max(1, math.ceil(need * share * 1.25)) for share in shares]
    rows, positions, done, queries = [[] for _ in scopes], [start] * len(scopes), [False] * len(scopes), 0
    while True:
        for number, (equalities, cuts, stride) in enumerate(scopes):
            if done[number] or not asked[number]:
                continue
            found, made = read_scope(collection, equalities, order, positions[number], asked[number], cuts,
                                     math.ceil(stride * asked[number] / need), projection, keep, bound)
            queries += made
            rows[number] += found
            done[number] = len(found) < asked[number]
            if found:
                positions[number] = (found[-1].get(order.field), found[-1]["_id"])
        merged = sorted((row for part in rows for row in part), key=order.key)[:need]
        last = order.key(merged[-1]) if len(merged) == need else None
        asked = [0 if done[number] or (last is not None and not order.key(part[-1]) < last)
                 else max(1, math.ceil((need - len(merged) if last is None else need) * shares[number]))
                 for number, part in enumerate(rows)]
        if not any(asked):
            return merged, queries
