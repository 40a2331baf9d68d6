"""How the customer list is read at any archive size (plain rules: no database).

- Every customer carries ``filter_keys``: ``"*"`` and one ``"<filter>:<value>"`` per value a list
  filter can ask for. The sorts most lists use (``KEYED_SORTS``) have an index
  ``(site_id, deleted_at, filter_keys, <sort>, _id)``, which serves the unfiltered list and any one
  filter of it as a bounded window (``windows``). Every other sort has a plain
  ``(site_id, deleted_at, <sort>, _id)``: each key in a multikey index costs every write of a
  customer an index entry per filter value, and those were most of an import's time. Its filtered
  lists are read one of two ways, whichever reads fewer customers (``gathers``): the few customers
  with the filter's key, gathered by the keyed index and sorted here; or windows of the whole list,
  each row checked, sized by how many sampled rows match.
- The list's windows are cut from a sample: the customers whose ids fall in a few evenly spread
  ranges (ids are random, so that is a fair sample of every field), each standing for ``1 / share``
  customers. A stale sample only makes windows less even; every answer stays complete.
- Totals come from counts per site and key, kept by every write of a customer (``count_changes``).
- The upkeep timers (purges, moves to finish, follow-ups to announce, tier overrides to end) find
  what is due through one multikey index on ``due_keys``: ``"<timer>:<when>"`` (``due_keys``).
- Point look-ups of any site, deleted customers included (duplicates by tax id, name, phone or
  e-mail; import links by code; a user's customers; a parent's children), go through one multikey
  index on ``match_keys``: ``"<field>:<value>"`` per key (``match_keys``), kept by the same writes.
  One index instead of seven: each index costs every write of a customer.
"""
import bisect
import copy
import datetime
import math

from services.common.windows import sort_key
from services.customers import industries

ALL = "*"
_OLDEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.timezone.utc)
# Each sort field and the lowest value it holds (the bound of a window open at its low end).
SORTS = {"name_sort": "", "created_at": _OLDEST, "updated_at": _OLDEST, "tier_rank": -math.inf,
         "annual_revenue": -math.inf, "completeness": -math.inf, "next_followup_date": "",
         "last_order_date": ""}
# The sorts whose field holds integers only (a rank, a percentage): their windows' bounds are inclusive.
WHOLE_NUMBER_SORTS = ("tier_rank", "completeness")
# The API's sorts by another field than their name: a name sorts by its pinyin key (``identifiers.sort_key``).
STORED_SORTS = {"legal_name": "name_sort"}
# The review-due list's order (oldest verification first), cut from the sample as the sorts are.
REVIEWED = "last_verified_at"
SAMPLED_FIELDS = tuple(SORTS) + (REVIEWED,)
# The fields ``filter_keys`` is made of, and those that decide which counts a customer is in.
KEY_SOURCES = ("tier", "lifecycle_stage", "churn_risk", "status", "industry", "industry_code", "owner_id",
               "parent_id", "tags", "region_keys")
COUNTED_BY = ("site_id", "deleted_at", "filter_keys")
# The fields a point look-up finds customers by, and the prefix of their ``match_keys``; an
# external code is one site's (``<site>:<code>``).
MATCHED_BY = {"tax_id_key": "tax", "name_key": "name", "phone_keys": "phone", "email_keys": "email",
              "external_code": "code", "owner_id": "owner", "parent_id": "parent"}
# The fields ``due_keys`` is made of: what the upkeep timers look for.
DUE_SOURCES = ("purge_after", "moving_parts", "followup_notice_pending", "next_followup_date", "customer_since",
               "created_at", "last_order_date", "last_interaction_date", "forecast", "dormant_since")
# What a keyed write of a customer reads to keep its key arrays and the counts right.
KEYED_FIELDS = KEY_SOURCES + COUNTED_BY + tuple(MATCHED_BY) + DUE_SOURCES + ("match_keys", "due_keys")
# List filters and the prefix of their keys. Of several, each site's list is read by the key the
# fewest of its customers have (by the kept counts), the others checked row by row.
FILTER_PREFIXES = (("owner_id", "owner"), ("parent_id", "parent"), ("tag", "tag"), ("region", "region"),
                   ("industry", "industry"), ("tier", "tier"), ("lifecycle", "lifecycle"),
                   ("churn_risk", "churn"), ("status", "status"))
# Sorts whose window index carries the filter keys: the default sort and the name.
KEYED_SORTS = ("updated_at", "name_sort")
SAMPLE_RANGES = 8
SAMPLE_SLACK = 50  # customers added or removed that never make a sample outgrown
MAX_ID_DIGITS = 5


def filter_keys(customer):
    """The keys of every list filter ``customer`` matches, ``"*"`` included (sorted, no repeats)."""
    keys = {ALL, "owner:%s" % (customer.get("owner_id") or "")}
    singles = (("tier", (customer.get("tier") or {}).get("level")),
               ("churn", (customer.get("churn_risk") or {}).get("level")),
               ("lifecycle", customer.get("lifecycle_stage")), ("status", customer.get("status")),
               ("parent", customer.get("parent_id")))
    keys.update("%s:%s" % (prefix, value) for prefix, value in singles if value)
    keys.update("industry:%s" % code for code in industry_values(customer))
    keys.update("tag:%s" % tag for tag in customer.get("tags") or ())
    keys.update("region:%s" % key for key in customer.get("region_keys") or ())
    return sorted(keys)


def match_keys(customer):
    """The keys ``customer`` is found by through the ``match_keys`` index (sorted, no repeats)."""
    keys = set()
    for field in MATCHED_BY:
        value = customer.get(field)
        keys.update(match_values(field, value if isinstance(value, list) else [value], customer.get("site_id")))
    return sorted(keys)


def due_keys(customer):
    """The keys the upkeep timers find ``customer`` by: ``purge:<time>`` once deleted, ``moving`` while
    its records follow it to its site, and, while it is live, ``notice:<date>`` of a follow-up to
    announce, ``override:<time>`` of a tier override's end (times as fixed-width UTC text), and the
    dates automation rules look for (``dates.py``): ``since:<MM-DD>`` of the day the relationship began
    (``customer_since``, else the record's creation), ``last_order:<date>``, ``last_interaction:<date>`` and
    ``expected_order:<date>`` of its reorder forecast (``forecasts``)."""
    keys = []
    if customer.get("purge_after"):
        keys.append("purge:%s" % due_time(customer["purge_after"]))
    if customer.get("moving_parts"):
        keys.append("moving")
    if customer.get("deleted_at") is None:
        if customer.get("followup_notice_pending") and customer.get("next_followup_date"):
            keys.append("notice:%s" % customer["next_followup_date"])
        expires = ((customer.get("tier") or {}).get("override") or {}).get("expires_at")
        if expires:
            keys.append("override:%s" % expires)
        since = anniversary_of(customer)
        if since:
            keys.append("since:%s" % since[5:10])
        for field, prefix in (("last_order_date", "last_order"), ("last_interaction_date", "last_interaction")):
            if customer.get(field):
                keys.append("%s:%s" % (prefix, customer[field]))
        if (customer.get("forecast") or {}).get("next_order_date"):
            keys.append("expected_order:%s" % customer["forecast"]["next_order_date"])
        if customer.get("dormant_since"):
            keys.append("dormant:%s" % customer["dormant_since"][:7])
    return sorted(keys)


def anniversary_of(customer):
    """The ISO date the relationship began: ``customer_since``, else the day the record was made (UTC)."""
    since = customer.get("customer_since")
    if since:
        return since if isinstance(since, str) else since.isoformat()
    created = customer.get("created_at")
    return created.date().isoformat() if isinstance(created, datetime.datetime) else None


def due_time(moment):
    """A time as ``due_keys`` holds it: UTC, fixed width, so keys compare as times do."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def due_by(timer, until):
    """The ``due_keys`` range of ``timer`` due at or before ``until`` (its text as the keys hold it)."""
    return {"$gte": timer + ":", "$lte": "%s:%s" % (timer, until)}


def match_values(field, values, site_id=None):
    """The ``match_keys`` that stand for ``field`` being one of ``values`` (empty ones left out)."""
    prefix = MATCHED_BY[field] + (":%s" % site_id if field == "external_code" else "")
    return ["%s:%s" % (prefix, value) for value in values if value not in (None, "")]


def match_range(field, low, high):
    """The ``match_keys`` range of ``field`` keys from ``low`` (inclusive) to ``high`` (exclusive;
    None: every key from ``low`` on)."""
    prefix = MATCHED_BY[field] + ":"
    return {"$gte": prefix + low, "$lt": prefix + high if high is not None else MATCHED_BY[field] + ";"}


def industry_values(customer):
    """What the industry filter finds ``customer`` by: its industry code's division and section, or,
    without a code, its free-text industry as written."""
    if customer.get("industry_code"):
        return industries.keys(customer["industry_code"])
    return [customer["industry"]] if customer.get("industry") else []


def industry_key(value):
    """The key of the industry filter ``value``: a code (``c36`` is ``C36``), else the text as written."""
    return "industry:%s" % (industries.canonical(value) or value)


def stored_sort(sort):
    """``(stored field, descending)`` of an API sort (``legal_name``, ``-updated_at``, ...)."""
    field = sort.lstrip("-")
    return STORED_SORTS.get(field, field), sort.startswith("-")


def name_start(key, descending):
    """Where a list sorted by name starts for the A–Z jump to ``key`` (an ``identifiers.sort_key``):
    just before the first name whose reading begins with it, in the list's direction."""
    reading = key.split("\x01")[0]
    return reading + "\U0010ffff" if descending else reading


def request_keys(filters, region_key, no_owner):
    """The keys a list request's ``filters`` name (``"*"`` when none); ``region_key`` makes the
    region filter's (``customer_record.region_key``)."""
    keys = []
    for name, prefix in FILTER_PREFIXES:
        value = filters.get(name)
        if not value:
            continue
        if name == "owner_id" and value == no_owner:
            value = ""
        elif name == "region":
            value = region_key(value)
        keys.append(industry_key(value) if name == "industry" else "%s:%s" % (prefix, value))
    return keys or [ALL]


def gathers(matching, site_size, need):
    """Whether a page of ``need`` rows of a list whose filter ``matching`` of the ``site_size``
    customers have is read by gathering all of them (about ``matching`` rows read) rather than by
    windows of the site's whole list checked row by row (about ``need * site_size / matching``):
    either way a page reads at most about ``sqrt(need * site_size)`` customers."""
    return matching * matching <= need * max(site_size, 1)


def updated(document, update):
    """``document`` as ``update`` (``$set`` / ``$unset``, dotted paths allowed) leaves it, for the
    fields keys and counts are made of; ValueError if another operator touches one of them."""
    after = copy.deepcopy(document)
    watched = KEYED_FIELDS
    for operator, changes in update.items():
        for path, value in changes.items():
            if path.split(".")[0] not in watched:
                continue
            if operator == "$set":
                _put(after, path, value)
            elif operator == "$unset":
                _drop(after, path)
            else:
                raise ValueError("%s on %s keeps no filter keys" % (operator, path))
    return after


def _put(document, path, value):
    *parents, last = path.split(".")
    for name in parents:
        if not isinstance(document.get(name), dict):
            document[name] = {}
        document = document[name]
    document[last] = value


def _drop(document, path):
    *parents, last = path.split(".")
    for name in parents:
        document = document.get(name)
        if not isinstance(document, dict):
            return
    document.pop(last, None)


def counted_in(customer):
    """``{(site_id, key): 1}`` for a live customer, nothing for a deleted one (or none)."""
    if customer is None or customer.get("deleted_at") is not None:
        return {}
    return {(customer["site_id"], key): 1 for key in customer.get("filter_keys") or ()}


def count_changes(before, after):
    """What a write from ``before`` to ``after`` does to the counts: ``{(site_id, key): delta}``."""
    changes = dict(counted_in(after))
    for place, count in counted_in(before).items():
        changes[place] = changes.get(place, 0) - count
    return {place: delta for place, delta in changes.items() if delta}


def sample_ranges(share):
    """A few ``_id`` ranges, evenly spread, holding about ``share`` of the ids.

    Ids are random hex, so any range of them is a fair sample of every other field: the ranges
    are only as many as it takes to come near ``share`` (eight or so), each one query.
    """
    if share >= 1:
        return [(None, None)]
    digits = 1
    while share * 16 ** digits < SAMPLE_RANGES and digits < MAX_ID_DIGITS:
        digits += 1
    slots = 16 ** digits
    wanted = max(1, round(share * slots))
    starts = sorted({int(n * slots / wanted) for n in range(wanted)})
    return [("%0*x" % (digits, start), "%0*x" % (digits, start + 1) if start + 1 < slots else None)
            for start in starts]


def _spread(values):
    """Cuts (value, id) for sorted sampled ``values``: within a run of one value the ids are spread
    evenly over the id space. The sample was taken by ranges of ids, so its own ids are bunched;
    but the ids of all the customers sharing a value are random, so even cuts split them evenly."""
    run = []
    for value in values + [_END]:
        if run and (value is _END or sort_key(value, "") != sort_key(run[0], "")):
            yield from ((run[0], "%08x" % (16 ** 8 * n // (len(run) + 1))) for n in range(1, len(run) + 1))
            run = []
        run.append(value)


_END = object()


TEXT_FIELDS = ("search_keys", "all_keys")  # a search's keys: the identity's; with the contacts'
TEXT_KEY_LENGTH = 8  # the sample keeps this much of each key: how common a text of as many is


class Sample:
    """Customers read from ``sample_ranges(share)``: where to cut each site's list by each sort, and
    how common a search text is."""

    def __init__(self, rows, share, live=None, taken_at=0.0):
        self.share, self.live, self.taken_at = share, live, taken_at
        self.rows, self._cuts, self._ordered = {}, {}, {}
        self._numbered, self._numbers = rows, {}  # every row; each site's row numbers
        self._texts = {}  # (site, field): [(key's first TEXT_KEY_LENGTH characters, row number)], sorted
        for number, row in enumerate(rows):
            self.rows.setdefault(row["site_id"], []).append(row)
            self._numbers.setdefault(row["site_id"], []).append(number)
            for field in TEXT_FIELDS:
                self._texts.setdefault((row["site_id"], field), []).extend(
                    (key, number) for key in {key[:TEXT_KEY_LENGTH] for key in row.pop(field, None) or ()})
        self.size = len(rows)
        for keys in self._texts.values():
            keys.sort()

    def _holders(self, text, field, sites):
        """The numbers of the sampled rows of ``sites`` with a key of ``field`` starting with ``text``."""
        holders = set()
        for site in sites:
            keys = self._texts.get((site, field), [])
            for key, number in keys[bisect.bisect_left(keys, (text,)):]:
                if not key.startswith(text):
                    break
                holders.add(number)
        return holders

    def text_share(self, text, field, site_ids=None):
        """The share of the sampled customers (of ``site_ids``, else of all) with a key of ``field``
        (``TEXT_FIELDS``) starting with ``text``; None for a text longer than the keys kept, or
        none sampled."""
        sites = list(self.rows) if site_ids is None else site_ids
        sampled = sum(len(self.rows.get(site, ())) for site in sites)
        if len(text) > TEXT_KEY_LENGTH or not sampled:
            return None
        return len(self._holders(text, field, sites)) / sampled

    def text_reach(self, text, field, site_id, order, start, need, site_size):
        """About how many rows of ``site_id``'s list (``site_size`` customers), in ``order`` (a
        ``windows.Order``) after ``start`` (a pair, or None), windows read before ``need`` of them
        hold ``text``, by where the sampled holders sit in that order: far more than ``need`` over
        the text's share when its holders sit together (customers imported together). None when
        the sample cannot say (a text longer than its keys, no sampled row)."""
        numbers = self._numbers.get(site_id, ())
        if len(text) > TEXT_KEY_LENGTH or not numbers:
            return None
        holders = self._holders(text, field, [site_id])
        wanted = (site_id, order.field, order.descending)
        if wanted not in self._ordered:
            ordered = sorted(numbers, key=lambda number: order.key(self._numbered[number]))
            self._ordered[wanted] = ([order.key(self._numbered[number]) for number in ordered], ordered)
        ordered_keys, ordered = self._ordered[wanted]
        first = 0 if start is None else bisect.bisect_right(ordered_keys, order.pair_key(start))
        scale = site_size / len(numbers)
        wanted_holders, met = max(1, math.ceil(need / scale)), 0
        for position in range(first, len(ordered)):
            if ordered[position] in holders:
                met += 1
                if met >= wanted_holders:
                    return (position - first + 1) * scale
        return (len(ordered) - first) * scale

    def outgrown(self, live):
        """Whether the archive's ``live`` customers are far from the number sampled: a fifth more or
        less (and more than a few dozen), so its cuts stand for too many rows, or too few."""
        return self.live is None or abs(live - self.live) > self.live / 5 + SAMPLE_SLACK

    def cuts(self, site_id, key, field, descending):
        """(value, id) pairs of the sampled customers of ``site_id`` with ``key``, in list order."""
        wanted = (site_id, key, field)
        if wanted not in self._cuts:
            values = sorted((row.get(field) for row in self.rows.get(site_id, ())
                             if key in (row.get("filter_keys") or ())), key=lambda value: sort_key(value, ""))
            self._cuts[wanted] = list(_spread(values))
        return list(reversed(self._cuts[wanted])) if descending else self._cuts[wanted]

    def stride(self, need, site_id=None, key=ALL, others=()):
        """How many cuts the first window spans to hold about ``need`` rows; with ``others`` (keys
        checked row by row) as many more as the sample says few of ``key``'s rows have them."""
        kept = 1.0
        if others:
            having = [row.get("filter_keys") or () for row in self.rows.get(site_id, ())
                      if key in (row.get("filter_keys") or ())]
            both = sum(1 for keys in having if all(other in keys for other in others))
            kept = max(both, 1) / max(len(having), 1)
        return max(1, math.ceil(need * min(1.0, self.share) / kept))
