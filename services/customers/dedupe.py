"""Clusters of likely duplicate customers among the caller's sites, strongest reason first, a page
at a time: ``{"clusters": [...], "next_cursor": ...}``.

Customers are grouped on the normalised keys the archive keeps, one reason after another: the same
tax id (``tax_id_key``), a similar name (``name_key``), a phone (``phone_keys``), an e-mail
(``email_keys``). Phone and e-mail keys include the customer's contacts' ones; callers without
``contacts:read`` are grouped on the company's own phone and e-mail only (``own_keys``).

Each reason's keys are walked in key order through that key's index, in windows: ranges of keys
cut from the customers service's sample (``lists.sample_of``) so that each holds about ``WINDOW``
index entries. A window holds every customer of each key in it, so a cluster is never split
between windows or pages. A page stops at ``limit`` clusters, or after the window that takes its
reads past ``BUDGET``, with ``next_cursor`` (the reason and the key it goes on from) when more may
follow: a page reads about ``BUDGET`` customers, whatever the archive's size. A stale sample only
makes windows less even; the clusters stay complete. A single key many customers share (a
switchboard number, say) is one cluster and is read whole.

A cluster whose members are exactly those of a stronger one (an earlier reason, or an earlier key
of its own reason: two customers sharing both their phones) is left out. That is decided per
cluster: for each key all of its members share on a stronger reason, whether that key's own
cluster holds anyone else (one ``$in`` per reason and window).
"""
import weakref

from services.common import config, paging
from services.common.errors import BadRequest
from services.customers import lists, store

MAX_MEMBERS = 50
REASONS = (("same_tax_id", "tax_id_key"), ("similar_name", "name_key"), ("same_phone", "phone_keys"),
           ("same_email", "email_keys"))
# The contacts' share of a key field, which callers without contacts:read do not group on.
CONTACT_KEYS = {"phone_keys": "contact_phone_keys", "email_keys": "contact_email_keys"}
WINDOW = 400  # index entries a window holds, about (by the sample)
BUDGET = 2000  # customers a page reads, about: it stops after the window that goes past it
FIRST = "\x00"  # the lowest key a window starts from: every key but the empty one
_cuts = weakref.WeakKeyDictionary()


def own_keys(customer, field, contacts):
    """The non-empty text keys of ``customer``'s ``field`` the caller groups on (``contacts``: may
    read contacts, else without the contacts' keys)."""
    value = customer.get(field)
    values = value if isinstance(value, list) else [value]
    if not contacts and field in CONTACT_KEYS:
        theirs = set(customer.get(CONTACT_KEYS[field]) or ())
        values = [key for key in values if key not in theirs]
    return {key for key in values if isinstance(key, str) and key}


def cuts(sample, field):
    """Keys of ``field`` at which windows of about ``WINDOW`` index entries begin, in order: every
    so many of the sampled customers' keys (each stands for ``1 / share`` entries)."""
    kept = _cuts.setdefault(sample, {})
    if field not in kept:
        values = sorted(key for rows in sample.rows.values() for row in rows for key in own_keys(row, field, True))
        step = max(1, round(WINDOW * min(1.0, sample.share)))
        kept[field] = sorted(set(values[step::step]))
    return kept[field]


def cursor_key(db):
    return "%s:clusters" % paging.list_key(db.customers, "duplicates", False)


def _position(db, cursor):
    """(reason number, first key) a page goes on from."""
    low, number, _, _ = paging.decode_cursor_with_bound(cursor_key(db), cursor)
    if not isinstance(low, str) or not low or isinstance(number, bool) or not isinstance(number, int) \
            or not 0 <= number < len(REASONS):
        raise BadRequest("The cursor is not valid.", fields={"cursor": [paging.BAD_CURSOR]})
    return number, low


class _Page:
    """What one page has read: the customers each key of each reason is visible on."""

    def __init__(self, db, caller, budget):
        self.db, self.caller, self.budget = db, caller, budget
        self.contacts = caller.can("contacts:read")
        self.read = 0

    def visible(self, customer):
        return customer.get("deleted_at") is None and self.caller.has_site(customer.get("site_id"))

    def keyed(self, rows, field, within):
        """``{key: [visible customers]}`` of the ``field`` keys ``within`` accepts."""
        groups = {}
        for row in rows:
            if self.visible(row):
                for key in own_keys(row, field, self.contacts):
                    if within(key):
                        groups.setdefault(key, []).append(row)
        return groups

    def window(self, field, low, high):
        rows = store.customers_keyed_between(self.db, field, low, high, self.budget)
        self.read += len(rows)
        return self.keyed(rows, field, lambda key: low <= key and (high is None or key < high))

    def sizes(self, field, keys):
        """``{key: visible customers}`` of each of ``keys``."""
        rows = store.customers_keyed_by(self.db, field, keys, self.budget)
        self.read += len(rows)
        return {key: len(members) for key, members in self.keyed(rows, field, keys.__contains__).items()}

    def repeats(self, number, groups):
        """The keys of ``groups`` (clusters of reason ``number``) whose members are exactly those of
        a stronger cluster: one of an earlier reason, or of an earlier key of this one."""
        asked = {}  # (reason number, key) -> the clusters whose members all share it
        for key, members in groups.items():
            for stronger in range(number + 1):
                field = REASONS[stronger][1]
                shared = set.intersection(*(own_keys(member, field, self.contacts) for member in members))
                for other in shared:
                    if stronger < number or other < key:
                        asked.setdefault((stronger, other), []).append(key)
        sizes = {}
        for stronger in range(number + 1):
            keys = {other for reason, other in asked if reason == stronger}
            if stronger == number:
                sizes.update(((number, other), len(groups[other])) for other in keys if other in groups)
                keys -= set(groups)
            sizes.update(((stronger, other), size) for other, size in self.sizes(REASONS[stronger][1], keys).items())
        return {key for place, keys in asked.items() for key in keys if sizes.get(place) == len(groups[key])}


def _member(customer):
    return {"id": customer["_id"], "legal_name": customer.get("legal_name"), "site_id": customer.get("site_id"),
            "tax_id": customer.get("tax_id")}


def duplicates(db, caller, limit=None, cursor=None):
    """One page of clusters ``{key, reason, customers: [{id, legal_name, site_id, tax_id}]}`` (at most
    ``MAX_MEMBERS`` customers each, by name), by reason (strongest first) then key:
    ``{"clusters", "next_cursor"}``, ``next_cursor`` None when no more may follow."""
    caller.require("customers:read")
    limit = paging.check_limit(limit)
    number, low = _position(db, cursor) if cursor else (0, FIRST)
    page = _Page(db, caller, paging.Budget(config.get_float("SEARCH_TIME_LIMIT")))
    sample = lists.sample_of(db)
    clusters = []
    while number < len(REASONS):
        reason, field = REASONS[number]
        high = next((cut for cut in cuts(sample, field) if cut > low), None)
        groups = {key: members for key, members in page.window(field, low, high).items() if len(members) > 1}
        left_out = page.repeats(number, groups)
        for key in sorted(groups):
            if key in left_out:
                continue
            members = sorted(groups[key], key=lambda c: (c.get("legal_name") or "", c["_id"]))
            clusters.append({"key": key, "reason": reason, "customers": [_member(c) for c in members[:MAX_MEMBERS]]})
            if len(clusters) >= limit:
                return _answer(db, clusters, number, key + "\x00")
        number, low = (number + 1, FIRST) if high is None else (number, high)
        if page.read >= BUDGET:
            break
    return _answer(db, clusters, number, low)


def _answer(db, clusters, number, low):
    more = number < len(REASONS)
    return {"clusters": clusters,
            "next_cursor": paging.encode_cursor(cursor_key(db), low, number, 0) if more else None}
