"""The customer list at any archive size: bounded windows, totals from kept counts (``listing``).

A search text ``q`` is read like a filter: each site by its list's windows, each row's keys
checked, where the sample says many of its customers hold the text, else by the site's customers
holding a key that starts with it (index ``(site_id, deleted_at, all_keys)``), whichever reads fewer
(``listing.gathers``). The deleted customers are read as one query (``archive.search_query``):
they are few. A search is not counted (a count would read every match again): its total is a
lower bound until its last page.
"""
import datetime
import math
import time

from services.common import config, paging, sites
from services.common.clock import utcnow
from services.common.errors import ValidationFailed
from services.common.schemas import load
from services.common.windows import WHOLE, Order
from services.customers import archive, contract, customer_record, identifiers, listing, store

DEFAULT_SORT = "-updated_at"
_samples = {}


def list_customers(db, caller, filters, limit, cursor):
    caller.require("customers:read")
    filters = load(contract.ListQuerySchema(), filters or {})
    sort = filters.get("sort") or DEFAULT_SORT
    field, descending = listing.stored_sort(sort)
    if filters.get("name_from") and (field != "name_sort" or filters.get("q") or filters.get("deleted")):
        raise ValidationFailed(fields={"name_from": [
            "Only with sort=legal_name (or -legal_name), without q or deleted."]})
    if filters.get("deleted"):
        query = archive.search_query(caller, filters)
        if filters.get("q"):
            documents, next_cursor, total, bound = store.search_customers_uncounted(
                db, query, field, descending, limit, cursor, archive.search_text(caller, filters["q"])[0])
        else:
            documents, next_cursor, total = store.search_customers(db, query, field, descending, limit, cursor)
            bound = False
        return {"items": [archive.out(c) for c in documents], "next_cursor": next_cursor, "total": total,
                "total_is_lower_bound": bound}
    page = read(db, caller, filters, field, descending, limit, cursor)
    page["items"] = [archive.out(c) for c in page["items"]]
    return page


def _cursor_key(db, field, descending, text=None):
    """What a cursor of the list's windows is made for: the list, and the search text it checks."""
    key = "%s:windows" % paging.list_key(db.customers, field, descending)
    return key if text is None else "%s:text:%s" % (key, text[0])


def read(db, caller, filters, field, descending, limit, cursor):
    """One page of the live customers ``filters`` (a loaded ``ListFilterSchema``) name, in the
    caller's sites: ``{items (stored documents), next_cursor, total, total_is_lower_bound}``;
    with ``q``, those holding a key that starts with it (``archive.search_text``).

    ``total`` is the kept count of the list's one key when it has one (carried by the cursor, as
    the size of the list when paging began), else what paging has met so far: a lower bound
    until the last page makes it exact.
    """
    limit = paging.check_limit(limit)
    order = Order(field, descending, listing.SORTS[field], whole_numbers=field in listing.WHOLE_NUMBER_SORTS)
    text = archive.search_text(caller, filters["q"]) if filters.get("q") else None
    cursor_key = _cursor_key(db, field, descending, text)
    start, carried, bound = None, None, False
    if cursor:
        value, ident, carried, bound = paging.decode_cursor_with_bound(cursor_key, cursor)
        start = (value, ident)
    elif filters.get("name_from"):
        start = (listing.name_start(identifiers.sort_key(filters["name_from"]), descending), WHOLE)
    keys = listing.request_keys(filters, customer_record.region_key, archive.NO_OWNER)
    site_ids = scope_sites(db, caller, filters.get("site_id"))
    rows = _rows(db, site_ids, order, keys, start, limit + 1, text)
    more = len(rows) > limit
    seen = carried if bound else 0
    if not cursor and len(keys) == 1 and text is None:
        whole = not more and start is None  # the rows read are the whole list (not from a jump on)
        total = len(rows) if whole else sum(store.list_counts(db, site_ids, keys[0]).values())
    elif cursor and not bound:
        total = carried
    else:
        total, bound = paging.met_so_far(seen, len(rows), limit)
    rows, next_cursor = paging.cut_page(rows, limit, cursor_key, field, seen, total, bound)
    return {"items": rows, "next_cursor": next_cursor, "total": total, "total_is_lower_bound": bound}


def review_due(db, caller, limit, cursor, now=None):
    """One page of the live customers of the caller's sites not verified within their site's
    review period (``review_days``, else ``archive.REVIEW_DAYS``), oldest verification first:
    ``{items, next_cursor, total, total_is_lower_bound}``.

    Each site is read as windows of ``listing.REVIEWED``, cut from the sample and closed at the
    site's own cutoff, so a page reads about a page of due customers whatever the archive holds.
    Nothing counts the due: ``total`` is what paging has met, a lower bound until the last page.
    """
    caller.require("customers:read")
    limit = paging.check_limit(limit)
    now = now or utcnow()
    order = Order(listing.REVIEWED, False, listing.SORTS["updated_at"])
    cursor_key = "%s:due" % paging.list_key(db.customers, listing.REVIEWED, False)
    start, seen = (None, WHOLE), 0  # never-verified customers (none are stored) are not due
    if cursor:
        value, ident, seen, _ = paging.decode_cursor_with_bound(cursor_key, cursor)
        start = (value, ident)
    periods, sample = store.review_periods(db), sample_of(db)
    scopes = []
    for site_id in scope_sites(db, caller, None):
        before = now - datetime.timedelta(days=periods.get(site_id, archive.REVIEW_DAYS), microseconds=1)
        last = (before.replace(microsecond=before.microsecond // 1000 * 1000), WHOLE)  # the database keeps ms
        cuts = [cut for cut in sample.cuts(site_id, listing.ALL, listing.REVIEWED, False)
                if order.pair_key(cut) < order.pair_key(last)]
        scopes.append(({"site_id": site_id, "deleted_at": None}, cuts + [last], sample.stride(limit + 1, site_id)))
    rows = store.window_customers(db, scopes, order, start, limit + 1, closed=True) if scopes else []
    total, bound = paging.met_so_far(seen, len(rows), limit)
    rows, next_cursor = paging.cut_page(rows, limit, cursor_key, listing.REVIEWED, seen, total, bound)
    return {"items": [archive.out(c) for c in rows], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def _rows(db, site_ids, order, keys, start, need, text=None):
    """Up to ``need`` live customers of ``site_ids`` with every one of ``keys`` (and with ``text``,
    a key starting with it) after ``start``, in ``order``. Each site is read by the key fewest of
    its customers have (by the kept counts): windows of that key's list where the sort's index has
    the keys, else windows of the whole list checked row by row, or the key's few customers
    gathered where that reads less (``listing.gathers``)."""
    sample = sample_of(db)
    keyed = order.field in listing.KEYED_SORTS
    wanted = [key for key in keys if key != listing.ALL]
    counts = {key: store.list_counts(db, site_ids, key) for key in wanted} if len(wanted) > 1 or not keyed else {}
    sizes = store.list_counts(db, site_ids, listing.ALL) if (wanted and not keyed) or text else {}
    lookup = identifiers.prefix_lookup(text[0]) if text else None
    scopes, gathered, read_by, held = [], [], [], 0
    for site_id in site_ids:
        key = min(wanted, key=lambda k: counts[k].get(site_id, 0)) if counts else keys[0]
        others = [other for other in wanted if other != key]
        spanned = need
        if text:
            # A site few of whose customers hold the text, or whose holders sit far along the list
            # (its windows would read twice as many rows as make them give way, below): they are
            # read by its holders' keys.
            share = sample.text_share(text[0], text[1], [site_id]) or 0.0
            size = sizes.get(site_id, 0)
            if lookup is not None and (listing.gathers(share * size, size, need) or (
                    sample.text_reach(text[0], text[1], site_id, order, start, need, size) or 0)
                    > 2 * (share * size + need)):
                gathered.append(store.holding(site_id, lookup))
                continue
            # Else its windows span as many more rows as the sample says few have it.
            spanned = math.ceil(need / max(share, 1 / max(len(sample.rows.get(site_id, ())), 1)))
            held += share * size
        if keyed:
            scopes.append(({"site_id": site_id, "deleted_at": None, "filter_keys": key},
                           sample.cuts(site_id, key, order.field, order.descending),
                           sample.stride(spanned, site_id, key, others)))
            read_by.append((site_id, key))
        elif key != listing.ALL and listing.gathers(counts[key].get(site_id, 0), sizes.get(site_id, 0), need):
            gathered.append({"site_id": site_id, "deleted_at": None, "filter_keys": key})
        else:
            scopes.append(({"site_id": site_id, "deleted_at": None},
                           sample.cuts(site_id, listing.ALL, order.field, order.descending),
                           sample.stride(spanned, site_id, listing.ALL, wanted)))
            read_by.append((site_id, listing.ALL))

    # A text's holders may sit together in the list's order (customers imported together): windows
    # that read as many rows as the holders' look-up would give way to it.
    left = [math.ceil(held) + need if text and lookup is not None else None]  # rows the windows may read

    def keep(document):
        if left[0] is not None:
            left[0] -= 1
            if left[0] < 0:
                raise _TextApart()
        return all(key in document.get("filter_keys", ()) for key in wanted) and (
            text is None or any(found.startswith(text[0]) for found in document.get(text[1]) or ()))

    checked = keep if len(wanted) > 1 or (wanted and not keyed) or text else None
    checks = text[1:] if text else ()
    try:
        rows = store.window_customers(db, scopes, order, start, need, checked, checks=checks,
                                      sizes=_scope_sizes(db, site_ids, read_by, counts)) if scopes else []
    except _TextApart:
        rows = []
        gathered += [store.holding(site_id, lookup) for site_id, _ in read_by]
    left[0] = None
    for equalities in gathered:
        rows += store.gather_customers(db, equalities, order, start, need, checked, checks)
    return sorted(rows, key=order.key)[:need] if gathered else rows


class _TextApart(Exception):
    """A text's windows read as many rows as its holders' look-up would (``_rows``)."""


def _scope_sizes(db, site_ids, read_by, counts):
    """How many customers each scope's key has, by the kept counts (``read_by``: (site, key) per
    scope): a site's share of a page. Sampled cuts misjudge it for a key the sample holds few of
    (an owner's customers), and a site asked too little is read again and again. None for one scope,
    and for the whole list, whose cuts are as many as each site's share."""
    if len(read_by) < 2 or all(key == listing.ALL for _, key in read_by):
        return None
    known = dict(counts)
    for key in {key for _, key in read_by} - set(known):
        known[key] = store.list_counts(db, site_ids, key)
    return [known[key].get(site_id, 0) for site_id, key in read_by]


def scope_sites(db, caller, site_id):
    """The sites a list reads: the one asked for (if the caller's), else every site of the caller."""
    if site_id:
        return [site_id] if caller.has_site(site_id) else []
    if caller.all_sites:
        return sorted(store.counted_sites(db) | sites.known_ids(db))
    return sorted(caller.sites)


def sample_of(db):
    """The kept sample of ``db``'s customers (taken now if this process has none yet)."""
    return _samples.get(db.name) or take_sample(db)


def take_sample(db, live=None):
    """Sample ``db``'s customers again (``listing.Sample``)."""
    live = store.live_customer_count(db) if live is None else live
    wanted = config.get_int("CUSTOMERS_LIST_SAMPLE")
    share = 1.0 if live <= wanted else wanted / live
    kept = _samples[db.name] = listing.Sample(store.sample_customers(db, share), share, live, time.monotonic())
    return kept


def keep_sample(db):
    """Sample again when the kept sample is CUSTOMERS_LIST_SAMPLE_SECONDS old, or when the archive
    grew or shrank away from it (``listing.Sample.outgrown``: an import, a restored backup), so that
    windows stay small. The service's timer checks every few seconds from its start (a count read
    of a few documents), so a list request seldom waits for a sample."""
    kept, live = _samples.get(db.name), store.live_customer_count(db)
    if kept is None or kept.outgrown(live) or time.monotonic() - kept.taken_at > config.get_float(
            "CUSTOMERS_LIST_SAMPLE_SECONDS"):
        take_sample(db, live)


def periodic_recount(db, every_seconds, now=None):
    """The recount of the list totals, by one replica once per ``every_seconds``."""
    if store.claim_run(db, "recount", every_seconds, now or utcnow()):
        store.recount(db)
