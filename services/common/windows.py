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

from services.common import paging

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


class _Whole:
    """The id of a cut that stands for every row of its value (``WHOLE``)."""
    __slots__ = ()

    def __repr__(self):
        return "WHOLE"


# As the id of a (value, id) position: past every row of that value in list order. A window that
# ends there holds all of that value's rows; one that starts there holds none of them. Cuts made
# from time alone (``time_cuts``) use it, so they need no id of the collection's id type.
WHOLE = _Whole()


class Order:
    """A list's order: ``field`` then ``_id``, both descending or both ascending; nulls of
    ``field`` come first going up and last going down, as the database sorts them. ``floor`` is
    the lowest value the field holds (``""`` for text), the bound of a range open at its low end."""

    def __init__(self, field, descending, floor, whole_numbers=False):
        self.field, self.descending, self.floor = field, descending, floor
        self.whole_numbers = whole_numbers  # the field holds integers only (``_whole_number_bounds``)
        direction = DESCENDING if descending else ASCENDING
        self.sort = [(field, direction), ("_id", direction)]
        self.after, self.until = ("$lt", "$gte") if descending else ("$gt", "$lte")
        self.before = "$gt" if descending else "$lt"

    def key(self, document):
        return self.pair_key((document.get(self.field), document["_id"]))

    def pair_key(self, pair):
        """A key by which pairs sort in this list's order (ascending)."""
        if pair[1] is WHOLE:
            value = pair[0]
            key = sort_key(value, "")[:2] + ((-1, 0) if self.descending else (99, 0))
        else:
            key = sort_key(*pair)
        return _Reversed(key) if self.descending else key

    def between(self, start, end):
        """Flat clauses, in list order, for the rows after ``start`` up to and including ``end``
        (``(value, _id)`` pairs; None is the start or the end of the list). Each is equalities and
        one range, on the sort field or on ``_id`` within one value."""
        field = self.field
        if end is not None and end[1] is WHOLE and end[0] is None and self.descending:
            end = None  # the nulls end a list going down: all of them is the rest of the list
        if start is not None and end is not None and _same(start[0], end[0]):
            if start[1] is WHOLE:
                return []
            if end[1] is WHOLE:
                return [{field: start[0], "_id": {self.after: start[1]}}]
            return [{field: start[0], "_id": {self.after: start[1], self.until: end[1]}}]
        clauses = [{field: start[0], "_id": {self.after: start[1]}}] if start is not None and start[1] is not WHOLE \
            else []
        nulls, values = self._middle(start, end)
        middle = [values, nulls] if self.descending else [nulls, values]
        clauses += [clause for clause in middle if clause is not None]
        if end is not None and end[1] is not WHOLE:
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
        # An end standing for every row of its value takes them in the range.
        whole_end = not open_end and end[1] is WHOLE and not end_null
        if self.descending and whole_end:
            has_nulls = False
        values = None
        if has_values:
            if low is None:
                bounds = {"$gte": self.floor}
            else:
                bounds = {"$gte" if whole_end and self.descending else "$gt": low}
            if high is not None and whole_end and not self.descending:
                bounds.update(through(high))
            elif high is not None:
                bounds["$lt"] = high
            if self.whole_numbers:
                bounds = _whole_number_bounds(bounds)
            values = {self.field: bounds} if bounds is not None else None
        return ({self.field: None} if has_nulls else None), values


def _whole_number_bounds(bounds):
    """Range bounds on a field of integers with an exclusive lower bound made inclusive, or None when
    no integer lies within them. The embedded server reads every row equal to an exclusive lower
    bound before dropping them: on a field of few values (a tier's rank) that was a tier's rows
    read for each window beside it, and a whole tier for the empty range above the highest."""
    bounds = dict(bounds)
    low = bounds.get("$gt")
    if isinstance(low, (int, float)) and not isinstance(low, bool) and math.isfinite(low):
        del bounds["$gt"]
        bounds["$gte"] = math.floor(low) + 1
    low = bounds.get("$gte")
    if isinstance(low, (int, float)) and math.isfinite(low) and (
            ("$lt" in bounds and bounds["$lt"] <= low) or ("$lte" in bounds and bounds["$lte"] < low)):
        return None
    return bounds


class _Reversed:
    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        return other.key < self.key

    def __eq__(self, other):
        return self.key == other.key


def through(value):
    """The upper bound of a range that takes every row of ``value``. The embedded server drops the
    rows equal to an inclusive upper bound on a field that is not its index's last (its keys carry
    the next fields after it), so it is the exclusive bound of the next value where there is one."""
    if isinstance(value, datetime.datetime):
        after = _shifted(value, datetime.timedelta(milliseconds=1))  # the database keeps milliseconds
        return {} if after is None else {"$lt": after}  # nothing comes after the last time there is
    if isinstance(value, str):
        return {"$lt": value + "\x00"}
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < math.inf:
        return {"$lt": math.nextafter(value, math.inf)}  # the next number there is
    return {"$lte": value}


def _same(first, second):
    return type_rank(first) == type_rank(second) and first == second


def read_scope(collection, equalities, order, start, need, cuts, stride, projection=None, keep=None, bound=None,
               fixed=False, closed=False):
    """Up to ``need`` rows of one scope (``equalities``) after ``start``, in list order; with
    ``keep``, every row its windows kept, which may be more.

    The first window spans ``stride`` of the ``cuts`` after ``start`` (so a cut is taken for
    ``need / stride`` rows); the next one as many as the rest of the page needs at the rows a cut
    held in the windows read so far, weighed with that estimate as one more window: a window that
    held nothing doubles the span (the cuts are older than the rows), and a predicate that keeps
    fewer rows than the sample said grows the windows by what it kept, not by doubling.
    ``keep`` (a predicate) drops rows the query cannot express; then windows are read whole.
    ``bound`` wraps each cursor (a time budget). With ``fixed`` every window spans one cut (cuts
    already spaced as the windows should grow: ``time_cuts``); with ``closed`` the scope ends at its
    last cut (a bound of the list) instead of reaching the end of the list. Returns (rows, queries made).
    """
    start_key = order.pair_key(start) if start is not None else None
    ahead = [cut for cut in cuts if start_key is None or start_key < order.pair_key(cut)]
    rows, queries, taken, span = [], 0, 0, max(1, stride)
    per_cut, first, gained, spanned = need / span, span, 0, 0
    position = start
    while len(rows) < need:
        if closed and taken + span > len(ahead):
            if taken >= len(ahead):
                break
            span = len(ahead) - taken  # a window grown past the last cut ends there
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
        gained, spanned = gained + len(rows) - before, spanned + span
        position, taken = end, taken + span
        if not fixed:
            per_cut_seen = (gained + per_cut * first) / (spanned + first)
            span = max(1, math.ceil((need - len(rows)) / per_cut_seen))
    return rows, queries


# How much more than its share of a page each scope is first asked for. Measured on the bench's
# 200 000-customer archive (customers read for the admin's first page of two filters): checked
# rows 1.0: 1 046, 1.1: 925, 1.25: 986; unchecked (one filter) 1.1: 100, 1.25: 82.
HEADROOM = 1.25
CHECKED_HEADROOM = 1.1


def read_page(collection, scopes, order, start, need, projection=None, keep=None, bound=None, fixed=False,
              closed=False, sizes=None):
    """Up to ``need`` rows after ``start`` over several scopes, merged in list order.

    ``scopes`` are ``(equalities, cuts, stride)``, one per scope, ``stride`` sized for ``need``
    rows. Each scope is first asked for its share of the page (its share of the rows, by
    ``sizes`` where they are known, else of the cuts) and ``HEADROOM`` more, or
    ``CHECKED_HEADROOM`` when rows are checked by ``keep`` (such a scope's last window is read
    whole, and every row it kept past its share comes along for the merge); a scope is read
    further only while its last row sorts before the page's last (or the page is short), so a list
    over many sites reads about one page, not one per site. ``fixed`` and ``closed`` as
    ``read_scope`` takes them. Returns (rows, queries made).
    """
    if len(scopes) == 1:
        equalities, cuts, stride = scopes[0]
        rows, queries = read_scope(collection, equalities, order, start, need, cuts, stride, projection, keep,
                                   bound, fixed, closed)
        return rows[:need], queries
    weights = [size + 1 for size in sizes] if sizes else [len(cuts) + 1 for _, cuts, _ in scopes]
    shares = [weight / sum(weights) for weight in weights]
    asked = [max(1, math.ceil(need * share * (CHECKED_HEADROOM if keep else HEADROOM))) for share in shares]
    rows, positions, done, queries = [[] for _ in scopes], [start] * len(scopes), [False] * len(scopes), 0
    while True:
        for number, (equalities, cuts, stride) in enumerate(scopes):
            if done[number] or not asked[number]:
                continue
            found, made = read_scope(collection, equalities, order, positions[number], asked[number], cuts,
                                     math.ceil(stride * asked[number] / need), projection, keep, bound,
                                     fixed, closed)
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


# Lists sorted by a time: windows cut back (or on) in time from where the page starts.

QUANTUM = datetime.timedelta(milliseconds=250)  # the first window's span
DOUBLINGS = 34  # 0.25 s · 2^34 is 136 years: past the last cut, the rest of the list is one window
TIME_FLOOR = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
_MS = datetime.timedelta(milliseconds=1)


def _ms(instant):
    """``instant`` as the database keeps it (whole milliseconds)."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def _instant(value, text):
    """The time of a sort value: a datetime, or (``text``) an ISO date; None when it has none."""
    if text:
        try:
            return datetime.datetime.fromisoformat(value[:10]).replace(tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    return None


def time_cuts(order, start, now, text=False, since=None, until=None):
    """(start, cuts, closed) of a page of a time-sorted list, for ``read_page(..., fixed=True)``.

    The cuts are ``(value, WHOLE)`` positions, so each window holds every row of the instants it
    spans, at 0.25 s · 2^k (k = 0..34) from where the page starts (its ``start`` position, else
    ``now``), back in time going down and on going up: a burst of rows just before the start gets a
    small first window, and an old sparse list takes ~35 small queries at worst (a burst farther
    back than its span is read whole by the window that reaches it). A list going up from
    its beginning has no start to cut from: its cuts run from 136 years before ``now`` to ``now`` and
    on from there. ``since`` and ``until`` (inclusive) bound the list: the page starts at most at
    the first, and the last cut is the other, with ``closed`` true. ``text``: the values are ISO dates.
    """
    descending = order.descending
    first, last = (until, since) if descending else (since, until)
    step = -1 if descending else 1
    if text:
        first = last = None  # no list of dates has a bound
    if start is None and first is not None:
        before_first = _shifted(_ms(first), -step * _MS)
        if before_first is not None:
            start = (before_first, WHOLE)
        elif not descending:
            start = (None, WHOLE)  # ``since`` is the earliest time there is: the list starts at it
    if start is None and last is not None and not descending:
        start = (None, WHOLE)  # a bounded list holds no nulls, which come first going up
    steps = [QUANTUM * 2 ** k for k in range(DOUBLINGS + 1)]
    if start is not None and start[0] is not None:
        origin = _instant(start[0], text)  # None: a value of no time, read to the end in one window
        instants = [] if origin is None else _within([(origin, step * span) for span in steps])
    elif start is not None and descending:
        instants = []  # only nulls are left
    elif descending:
        instants = [now] + _within([(now, -span) for span in steps])
    else:
        instants = (list(reversed(_within([(now, -span) for span in steps]))) + [now]
                    + _within([(now, span) for span in steps]))
    cuts = []
    for instant in instants:
        value = instant.date().isoformat() if text else _ms(instant)
        if last is not None and not (value > _ms(last) if descending else value < _ms(last)):
            break
        if not cuts or cuts[-1][0] != value:
            cuts.append((value, WHOLE))
    if last is None and first is not None and descending:
        last = TIME_FLOOR  # nor the nulls that end it going down
    if last is not None:
        cuts.append((_ms(last), WHOLE))
    return start, cuts, last is not None


def _shifted(instant, delta):
    """``instant + delta``, or None past the first or last time a datetime holds."""
    try:
        return instant + delta
    except OverflowError:
        return None


def _within(shifts):
    """The instants of ``[(instant, delta)]`` (growing deltas) up to the first that is out of range:
    a list near the first or last time there is has fewer cuts, its last window reaching the end."""
    instants = []
    for instant, delta in shifts:
        shifted = _shifted(instant, delta)
        if shifted is None:
            break
        instants.append(shifted)
    return instants


def clock():
    """Now, where a page without a start is cut from (tests set it)."""
    return datetime.datetime.now(datetime.timezone.utc)


def site_scopes(sites):
    """The scopes of a list over ``sites``: one a site (in order), or one of every site when ``sites`` is None."""
    if sites is None:
        return [{}]
    return [{"site_id": site_id} for site_id in sorted(sites)]


def time_page(collection, scopes, field, descending, limit, cursor, *, text=False, since=None, until=None,
              projection=None, keep=None, now=None):
    """One page of a list sorted by a time ``field`` (then ``_id``), newest first when
    ``descending``: (documents, next_cursor, total, total_is_lower_bound), as
    ``paging.uncounted_page`` answers.

    ``scopes`` are the equalities of each part of the list (one per site, say), each read as
    equalities plus one range on ``field`` (``time_cuts``: the index ``(equalities..., field, _id)``
    serves it) and merged in list order; ``keep`` drops rows the equalities cannot express (windows
    are then read whole). ``since``/``until`` (inclusive datetimes) bound ``field``; ``text``: the
    values are ISO dates. Nothing counts the list (a count reads every match): ``total`` is what
    paging has met (``paging.met_so_far``), a lower bound until the last page, exact on it or when
    the first page holds the whole list. The cursor carries that count of the rows before.
    """
    limit = paging.check_limit(limit)
    key = "%s:windows" % paging.list_key(collection, field, descending)
    order = Order(field, descending, "" if text else TIME_FLOOR)
    start, seen = None, 0
    if cursor:
        value, ident, seen, _ = paging.decode_cursor_with_bound(key, cursor)
        start = (value, ident)
    start, cuts, closed = time_cuts(order, start, now or clock(), text, since, until)
    rows = []
    if scopes:
        rows, _ = read_page(collection, [(equalities, cuts, 1) for equalities in scopes], order, start, limit + 1,
                            projection, keep, fixed=True, closed=closed)
    total, bound = paging.met_so_far(seen, len(rows), limit)
    rows, next_cursor = paging.cut_page(rows, limit, key, field, seen, total, bound)
    return rows, next_cursor, total, bound


# Lists sorted by a field of a few values (a severity): each value's rows cut in the id space.

ID_DIGITS = 8  # the leading hex digits of an id a cut names
ID_SPACE = 16 ** ID_DIGITS
FIRST_SPAN = ID_SPACE >> 12  # the first window of a value: 1/4096 of its rows


def id_cuts(order, start, values):
    """(start, cuts) of a page of a list sorted by a field holding only ``values`` (ascending), for
    ``read_page(..., fixed=True)``. Ids are random hex, so a share of the id space holds that share
    of a value's rows: each value's windows span 1/4096 of its ids, then twice as much each time,
    from where the page starts in it (else from its first id), then the rest of the value."""
    cuts = []
    for value in (reversed(values) if order.descending else values):
        origin = None
        if start is not None and _same(start[0], value) and start[1] is not WHOLE:
            try:
                origin = int(str(start[1])[:ID_DIGITS].ljust(ID_DIGITS, "0"), 16)
            except ValueError:
                origin = None  # not a hex id: the rest of the value is one window
        if origin is not None or start is None or not _same(start[0], value):
            step = -1 if order.descending else 1
            origin = (ID_SPACE if order.descending else 0) if origin is None else origin
            span = FIRST_SPAN
            while 0 < origin + step * span < ID_SPACE:
                cuts.append((value, "%0*x" % (ID_DIGITS, origin + step * span)))
                span *= 2
        cuts.append((value, WHOLE))
    return start, cuts


def value_page(collection, scopes, field, values, descending, limit, cursor, *, projection=None, keep=None):
    """One page of a list sorted by ``field`` (then ``_id``) that holds only ``values``: as
    ``time_page`` reads a time-sorted list, with windows cut by ``id_cuts`` (each equalities, one
    value and a range of ``_id``: the index ``(equalities..., field, _id)`` serves it). Nothing
    counts the list: ``total`` is what paging has met, a lower bound until the last page."""
    limit = paging.check_limit(limit)
    key = "%s:values" % paging.list_key(collection, field, descending)
    order = Order(field, descending, min(values))
    start, seen = None, 0
    if cursor:
        value, ident, seen, _ = paging.decode_cursor_with_bound(key, cursor)
        start = (value, ident)
    start, cuts = id_cuts(order, start, sorted(values))
    rows = []
    if scopes:
        rows, _ = read_page(collection, [(equalities, cuts, 1) for equalities in scopes], order, start, limit + 1,
                            projection, keep, fixed=True)
    total, bound = paging.met_so_far(seen, len(rows), limit)
    rows, next_cursor = paging.cut_page(rows, limit, key, field, seen, total, bound)
    return rows, next_cursor, total, bound


# Work due by a time (an outbox's next attempt, a failed event's retry): the longest due first.

# How far behind this process's clock a row's time may be when it becomes visible (another
# replica's clock, a write that took long to land).
DUE_SKEW = datetime.timedelta(seconds=10)
DUE_FULL_PASS = datetime.timedelta(seconds=60)


class _DueFloor:
    """Where a collection's due rows start, as this process last read them, and when it last read
    them from the beginning."""

    def __init__(self):
        self.floor = None
        self.full_at = None


_due_floors = {}


def due(collection, equalities, field, now, limit, projection=None):
    """Up to ``limit`` rows of ``equalities`` whose time ``field`` has come (is at most ``now``), the
    longest due first: a batch of work, every row of which the caller takes (moves past ``now``:
    leased, done or rescheduled) before it asks for the next.

    "Every row due, sorted, the first ``limit``" is one range the embedded server reads whole, so a
    backlog of n rows costs n reads a batch, for each of its n / ``limit`` batches. Here the rows
    are read as windows of ``field`` (the index ``(equalities..., field)`` serves each) going up
    from the last row of this process's previous batch: 0.25 s from there, then doubling, and cut
    at 0.25 s · 2^k before ``now`` too, so that neither an old row nor a burst just before now is
    read with a long span of rows behind it. A batch reads about a window's rows, not the backlog.
    A row's time is written as its writer's ``now`` or later (queued now, retried or leased later),
    so after a batch that found nothing the next starts ``DUE_SKEW`` before this one's ``now``; a
    row visible later than that, or written with an earlier time, is found by the pass from the
    beginning of the list that runs every ``DUE_FULL_PASS`` (and at a process's first batch).
    """
    state = _due_floors.setdefault((collection.full_name, field, tuple(sorted(equalities.items()))), _DueFloor())
    since = state.floor
    if since is None or since > now or now - state.full_at >= DUE_FULL_PASS:
        since, state.full_at = None, now
    order = Order(field, False, TIME_FLOOR)
    start, cuts, closed = time_cuts(order, None, now, since=since, until=now)
    if since is not None:
        before_now = (_shifted(now, -QUANTUM * 2 ** k) for k in range(DOUBLINGS + 1))
        cuts = sorted(set(cuts) | {(_ms(instant), WHOLE) for instant in before_now if instant and instant > since},
                      key=order.pair_key)
    rows, _ = read_page(collection, [(equalities, cuts, 1)], order, start, limit, projection, fixed=True,
                        closed=closed)
    state.floor = _instant(rows[-1].get(field), False) if rows else now - DUE_SKEW
    return rows
