"""The customer list on the real database server, at a size where reading everything shows: every
sort and filter pages to exactly the sorted list; each query it sends is served by a window index;
a page reads a bounded number of customers whatever the archive's size; totals come from the kept
counts, and stay right through updates, moves and deletes."""
import datetime
import random

import pytest
from pymongo import errors as pymongo_errors

from services.common.auth import Caller
from services.common.windows import sort_key
from services.customers import archive, customer_record, identifiers, listing, lists, store, tiering
from tests.support.sites import known_sites
from tests.support.windows import watching

SITES = ("site-a", "site-b")
TIERS = ("general", "key", "vip")
PERMISSIONS = ["customers:read", "customers:write"]
SALES_A = Caller("u-a", ["site-a"], PERMISSIONS)
BOTH = Caller("u-ab", list(SITES), PERMISSIONS)
ADMIN = Caller("u-admin", [], PERMISSIONS + ["sites:all"])
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
ARCHIVE = 2000
LIMIT = 25
WHOLE_LIST_LIMIT = 250
RARE = 6  # customers of owner u-rare, all in site-a


@pytest.fixture(scope="module")
def watched(test_env):
    gen = watching(test_env, "list_windows", "customers")
    db, finds = next(gen)
    archive.prepare_database(db)
    known_sites(db)
    rng, verified = random.Random(11), random.Random(12)
    customers = []
    for number in range(ARCHIVE):
        tier = rng.choice(TIERS)
        customers.append({
            "_id": "%032x" % rng.getrandbits(128),
            "site_id": rng.choice(SITES + ("site-a",)) if number >= RARE else "site-a",
            "legal_name": rng.choice(["Acme ", "苏州", "Zenith ", "北京", "ab ", "重庆"])
            + "%05d" % rng.randrange(10 ** 5),
            "tier": {"level": tier}, "tier_rank": tiering.RANK[tier], "status": "active",
            "lifecycle_stage": rng.choice(["new", "active", "dormant"]), "churn_risk": {"level": "none"},
            "tags": rng.sample(["oem", "export", "rail"], rng.randrange(3)),
            "industry": "bearings" if number < RARE else None,
            "owner_id": "u-rare" if number < RARE else rng.choice([None, "u-a", "u-b"]),
            "parent_id": None, "region_keys": [],
            "annual_revenue": rng.choice([None, 1e6, 2.5e7, 3e5]), "completeness": rng.randrange(100),
            "next_followup_date": rng.choice([None, "2026-12-%02d" % rng.randrange(1, 29)]),
            "last_order_date": None, "last_verified_at": NOW - datetime.timedelta(hours=verified.randrange(24 * 200)),
            "created_at": NOW - datetime.timedelta(minutes=number), "updated_at": NOW - datetime.timedelta(
                seconds=rng.randrange(10 ** 6)), "deleted_at": None, "version": 1})
    for customer in customers:
        customer["name_sort"] = identifiers.sort_key(customer["legal_name"])
    store.insert_customers(db, customers)
    yield db, finds, customers
    gen.close()


def expected(customers, caller, field, descending, test=lambda c: True):
    chosen = [c for c in customers if c["deleted_at"] is None and caller.has_site(c["site_id"]) and test(c)]
    chosen.sort(key=lambda c: sort_key(c.get(field), c["_id"]), reverse=descending)
    return [c["_id"] for c in chosen]


def page_all(db, caller, filters, field, descending, limit=WHOLE_LIST_LIMIT):
    ids, cursor, first = [], None, None
    while True:
        page = lists.read(db, caller, dict(filters), field, descending, limit, cursor)
        first = first or page
        ids += [c["_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids, first, page


FILTERS = {
    "none": ({}, lambda c: True),
    "tier": ({"tier": "vip"}, lambda c: c["tier"]["level"] == "vip"),
    "tag": ({"tag": "oem"}, lambda c: "oem" in c["tags"]),
    "no owner": ({"owner_id": "none"}, lambda c: c["owner_id"] is None),
    "two filters": ({"tier": "key", "tag": "rail"}, lambda c: c["tier"]["level"] == "key" and "rail" in c["tags"]),
}


@pytest.mark.parametrize("field", sorted(listing.SORTS))
def test_every_sort_pages_to_exactly_the_sorted_list(watched, field, monkeypatch):
    db, _, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "250")
    lists.take_sample(db)
    for descending, caller in ((False, SALES_A), (True, ADMIN)):
        got, _, _ = page_all(db, caller, {}, field, descending)
        assert got == expected(customers, caller, field, descending), (field, descending, caller.user_id)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_filter_pages_to_exactly_the_filtered_list_with_an_honest_total(watched, name, monkeypatch):
    db, _, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "250")
    lists.take_sample(db)
    filters, test = FILTERS[name]
    for caller, limit in ((SALES_A, WHOLE_LIST_LIMIT), (BOTH, 40)):
        got, first, last = page_all(db, caller, filters, "name_sort", False, limit)
        wanted = expected(customers, caller, "name_sort", False, test)
        assert got == wanted
        if name == "two filters" and len(wanted) > limit:
            assert first["total_is_lower_bound"] and first["total"] == limit + 1
            assert not last["total_is_lower_bound"] and last["total"] == len(wanted)
        else:
            assert not first["total_is_lower_bound"] and first["total"] == len(wanted)


def page_fetch(query):
    """The read of a page's customers by their ids, after rows were checked (index ``_id``)."""
    return list(query) == ["_id"] and list(query["_id"]) == ["$in"]


def index_served(query, field):
    """Equalities on a prefix of the window index of ``field`` and at most one range, next to them;
    or, gathering a filter's few customers, equalities on a prefix of a keyed window index; or the
    page's customers by id."""
    if page_fetch(query):
        return len(query["_id"]["$in"]) <= WHOLE_LIST_LIMIT + 1
    ranged = [name for name, value in query.items() if isinstance(value, dict)]
    equal = [name for name in query if name not in ranged]
    for index in [store.window_index(field)] + ([] if ranged else [store.window_index(listing.KEYED_SORTS[0])]):
        names = [name for name, _ in index]
        if len(ranged) <= 1 and set(names[:len(equal)]) == set(equal) and (
                not ranged or names[len(equal)] == ranged[0]):
            return True
    return False


@pytest.mark.parametrize("filters", [{}, {"tier": "vip"}, {"owner_id": "none"}], ids=["all", "tier", "no-owner"])
@pytest.mark.parametrize("field", ["name_sort", "updated_at", "tier_rank", "next_followup_date"])
def test_a_page_reads_a_bounded_number_of_customers(watched, field, filters, monkeypatch):
    """About one window, however many customers the sites hold: with a sample of 200 of 2 000,
    each cut stands for ten; a page of 25 reads a few dozen, not the site's 1 300 (nor, for the
    admin, a page from each site). A filter on a sort whose index has no keys reads each site's
    rows and checks them, or gathers the filter's rows: at most about sqrt(page * site) rows."""
    db, finds, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "200")
    lists.take_sample(db)
    for caller in (SALES_A, ADMIN):
        bound = 4 * (LIMIT + 1)
        if filters and field not in listing.KEYED_SORTS:
            sizes = [sum(1 for c in customers if c["site_id"] == site) for site in SITES if caller.has_site(site)]
            bound = sum(2 * ((LIMIT + 1) * size) ** 0.5 for size in sizes)
        cursor = None
        for _ in range(3):
            finds.filters.clear()
            page = lists.read(db, caller, dict(filters), field, True, LIMIT, cursor)
            cursor = page["next_cursor"]
            assert finds.filters and all(index_served(query, field) for query in finds.filters), finds.filters
            read = sum(db.customers.count_documents(query) for query in finds.filters)
            assert read <= bound, (read, bound, len(finds.filters))


@pytest.mark.parametrize("field", ["tier_rank", "completeness"])
def test_a_filter_few_customers_have_is_gathered_on_a_sort_without_keys(watched, field):
    """Six customers of 1 300 in the site: read by the keyed index's equalities, six rows a page,
    and paged in exactly the order of the sort."""
    db, finds, customers = watched
    wanted = expected(customers, SALES_A, field, False, lambda c: c["owner_id"] == "u-rare")
    ids, cursor = [], None
    while True:
        finds.filters.clear()
        page = lists.read(db, SALES_A, {"owner_id": "u-rare"}, field, False, 4, cursor)
        assert all(page_fetch(query) or not any(isinstance(value, dict) for value in query.values())
                   for query in finds.filters)
        assert sum(db.customers.count_documents(query) for query in finds.filters if not page_fetch(query)) <= RARE
        assert all(len(query["_id"]["$in"]) <= 4 + 1 for query in finds.filters if page_fetch(query))
        ids += [item["_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert ids == wanted and len(ids) == RARE
    assert page["total"] == RARE and not page["total_is_lower_bound"]


def test_two_filters_read_each_site_by_the_key_fewer_of_its_customers_have(watched):
    """A tag a third of the customers have, and an industry six of site-a's have: site-a is read by
    the industry's windows (the tag checked row by row), whatever order the filters come in."""
    db, finds, customers = watched
    filters = {"tag": "rail", "industry": "bearings"}
    wanted = expected(customers, BOTH, "updated_at", True,
                      lambda c: "rail" in c["tags"] and c["industry"] == "bearings")
    rarer = {}
    for site in SITES:
        mine = [c for c in customers if c["site_id"] == site]
        tagged = sum(1 for c in mine if "rail" in c["tags"])
        bearings = sum(1 for c in mine if c["industry"] == "bearings")
        rarer[site] = "tag:rail" if tagged < bearings else "industry:bearings"
    assert rarer["site-a"] == "industry:bearings"
    finds.filters.clear()
    page = lists.read(db, BOTH, dict(filters), "updated_at", True, WHOLE_LIST_LIMIT, None)
    assert {(query["site_id"], query["filter_keys"]) for query in finds.filters
            if "filter_keys" in query} == set(rarer.items())
    ids, cursor = [item["_id"] for item in page["items"]], page["next_cursor"]
    while cursor:
        page = lists.read(db, BOTH, dict(filters), "updated_at", True, WHOLE_LIST_LIMIT, cursor)
        ids, cursor = ids + [item["_id"] for item in page["items"]], page["next_cursor"]
    assert ids == wanted


def test_a_site_the_sample_holds_none_of_a_key_of_is_asked_its_share_by_the_kept_counts(watched, monkeypatch):
    """The sample holds none of u-b's customers of site-b (a sample of 200 000 customers holds a
    handful of one owner's): site-b's share of a page comes from the kept counts, so it is read in a
    window or two, not a row or two at a time, and the page is the list exactly."""
    db, finds, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "250")
    sample = lists.take_sample(db)
    sample.rows["site-b"] = [row for row in sample.rows["site-b"] if "owner:u-b" not in row["filter_keys"]]
    sample._cuts.clear()
    finds.clear()
    page = lists.read(db, BOTH, {"owner_id": "u-b"}, "name_sort", False, LIMIT, None)
    wanted = expected(customers, BOTH, "name_sort", False, lambda c: c["owner_id"] == "u-b")
    assert [item["_id"] for item in page["items"]] == wanted[:LIMIT]
    of_site_b = [query for query in finds.filters if query.get("site_id") == "site-b"]
    assert len(of_site_b) <= 6, of_site_b


def test_rows_checked_one_by_one_are_read_without_the_rest_of_the_customer(watched):
    """Windows checked row by row return only the sort field and the filter keys (the embedded
    server copies and sends whole every document it returns otherwise); the page's customers are
    then read whole, once, by their ids, and come back in the list's order."""
    db, finds, customers = watched
    filters = {"tag": "rail", "industry": "bearings"}
    for field, caller in (("updated_at", BOTH), ("completeness", SALES_A)):
        finds.clear()
        page = lists.read(db, caller, dict(filters), field, True, LIMIT, None)
        wanted = expected(customers, caller, field, True,
                          lambda c: "rail" in c["tags"] and c["industry"] == "bearings")[:LIMIT + 1]
        assert [item["_id"] for item in page["items"]] == wanted[:LIMIT]
        checked = [projection for query, projection in finds.projections if not page_fetch(query)]
        assert checked and all(projection == {field: 1, "filter_keys": 1} for projection in checked), checked
        [fetch] = [query for query, _ in finds.projections if page_fetch(query)]
        assert sorted(fetch["_id"]["$in"]) == sorted(wanted)
        assert {"legal_name", "industry", "tags", "owner_id"} <= set(page["items"][0])


def test_review_due_pages_each_sites_due_customers_oldest_first_reading_about_a_page(watched, monkeypatch):
    """Site-a reviews every 30 days, site-b every 90 (the default): the due are those verified
    before each site's own cutoff, paged in order of verification; a page reads a window or two of
    the due, not every customer verified before the cutoff, and nothing past it."""
    db, finds, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "200")
    lists.take_sample(db)
    db.settings.update_one({"_id": "site-a"}, {"$set": {"review_days": 30}}, upsert=True)
    cutoffs = {"site-a": NOW - datetime.timedelta(days=30), "site-b": NOW - datetime.timedelta(days=90)}
    try:
        for caller in (SALES_A, ADMIN):
            wanted = expected(customers, caller, "last_verified_at", False,
                              lambda c: c["last_verified_at"] < cutoffs[c["site_id"]])
            ids, cursor, reads = [], None, []
            while True:
                finds.filters.clear()
                page = lists.review_due(db, caller, LIMIT, cursor, now=NOW)
                assert all(index_served(query, "last_verified_at") for query in finds.filters), finds.filters
                reads.append(sum(db.customers.count_documents(query) for query in finds.filters))
                ids += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
                assert page["total_is_lower_bound"] and page["total"] == len(ids) + 1
            assert ids == wanted and len(wanted) > 3 * LIMIT
            # The sample's cuts are random: a page reads about two pages, at worst a few.
            assert sum(reads) <= 3 * (LIMIT + 1) * len(reads) and max(reads) <= 6 * (LIMIT + 1), reads
            assert page["total"] == len(wanted) and not page["total_is_lower_bound"]
    finally:
        db.settings.delete_one({"_id": "site-a"})


def test_counts_follow_updates_moves_and_deletes(watched):
    db, _, _ = watched

    def listed(caller, **filters):
        ids, first, _ = page_all(db, caller, filters, "name_sort", False, 500)
        assert first["total"] == len(ids) and not first["total_is_lower_bound"]
        return len(ids)

    created = archive.create_customer(db, SALES_A, {"legal_name": "Counted Works", "tags": ["oem"]}, force=True)
    oem_a, rail_a, rail_b = listed(SALES_A, tag="oem"), listed(SALES_A, tag="rail"), listed(BOTH, tag="rail")
    changed = archive.update_customer(db, SALES_A, created["id"], {"tags": ["rail"], "version": created["version"]})
    assert (listed(SALES_A, tag="oem"), listed(SALES_A, tag="rail")) == (oem_a - 1, rail_a + 1)
    move = {"site_id": "site-b", "owner_id": None, "version": changed["version"]}
    archive.update_customer(db, BOTH, created["id"], move)
    assert (listed(SALES_A, tag="rail"), listed(BOTH, tag="rail")) == (rail_a, rail_b + 1)
    archive.delete_customer(db, BOTH, created["id"])
    assert listed(BOTH, tag="rail") == rail_b
    counts = {place: n for place, n in _all_counts(db).items() if n}
    store.recount(db)
    assert {place: n for place, n in _all_counts(db).items() if n} == counts


def _all_counts(db):
    return {(found["site_id"], found["key"]): found["n"] for found in db.list_counts.find()}


def test_an_archive_of_an_earlier_release_loses_the_list_indexes_windows_do_not_use(db_factory):
    """The single-field list indexes, and the keyed window indexes of the sorts that have none now."""
    db = db_factory("customers")
    db.customers.create_index([("tier.level", 1), ("_id", 1)])
    db.customers.create_index([("legal_name", 1), ("_id", 1)])
    db.customers.create_index(store.window_index("completeness", keyed=True))
    db.customers.create_index(store.window_index("legal_name", keyed=True))
    archive.prepare_database(db)
    keys = [index["key"] for index in db.customers.index_information().values()]
    assert [("tier.level", 1), ("_id", 1)] not in keys and [("legal_name", 1), ("_id", 1)] not in keys
    assert store.window_index("completeness", keyed=True) not in keys
    assert store.window_index("legal_name", keyed=True) not in keys  # names sort by their pinyin key
    assert store.window_index("updated_at", keyed=True) in keys
    assert all(store.window_index(field) in keys for field in listing.SORTS)
    assert [("match_keys", 1)] in keys and [("deleted_at", 1), ("_id", 1)] in keys


def test_a_write_keeps_its_conditions_and_an_old_image_without_keys_is_restored_with_them(db_factory):
    """A merge revert puts back an image saved before customers had keys (it unsets the fields
    the image lacks); a condition on the deletion (``$ne``) still decides whether a write applies."""
    db = db_factory("customers")
    archive.prepare_database(db)
    created = archive.create_customer(db, SALES_A, {"legal_name": "Restored Works", "tags": ["oem"]}, force=True)
    image = {key: value for key, value in store.find_customer(db, created["id"]).items()
             if key not in ("filter_keys", "_id", "version", "updated_at")}
    restored = store.change_customer(db, {"_id": created["id"]}, dict(image, tags=["rail"]), unset=["filter_keys"])
    assert "tag:rail" in restored["filter_keys"] and "tag:oem" not in restored["filter_keys"]
    assert store.list_counts(db, ["site-a"], "tag:rail") == {"site-a": 1}
    assert store.change_customer(db, {"_id": created["id"], "deleted_at": {"$ne": None}}, {"tags": []}) is None
    assert store.find_customer(db, created["id"])["tags"] == ["rail"]


def test_counts_that_cannot_be_written_ask_for_a_recount_and_the_customer_stays_written(db_factory, monkeypatch):
    db = db_factory("customers")
    archive.prepare_database(db)
    store.claim_run(db, "recount", 86400, NOW)

    def refused(*args, **kwargs):
        raise pymongo_errors.AutoReconnect("the counts' server went away")

    monkeypatch.setattr(type(db.list_counts), "bulk_write", refused)
    created = archive.create_customer(db, SALES_A, {"legal_name": "Uncounted Works"}, force=True)
    monkeypatch.undo()
    assert store.find_customer(db, created["id"])["legal_name"] == "Uncounted Works"
    assert store.list_counts(db, ["site-a"], listing.ALL) == {}
    assert store.claim_run(db, "recount", 86400, NOW)
    store.recount(db)
    assert store.list_counts(db, ["site-a"], listing.ALL) == {"site-a": 1}


def test_a_sample_of_an_empty_archive_is_taken_again_once_an_import_filled_it(db_factory, monkeypatch):
    """The service samples at its start, often before the first import: the next check after the
    archive grew by a fifth takes a new sample, so the list's windows are cut again; a fresh sample
    of an archive that did not change is kept."""
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "100")
    db = db_factory("customers")
    archive.prepare_database(db)
    known_sites(db)
    lists.keep_sample(db)
    empty = lists.sample_of(db)
    assert empty.rows == {} and empty.live == 0
    store.insert_customers(db, [customer_record.new_customer({"legal_name": "Imported %03d Works" % number}, SALES_A,
                                                             "site-a") for number in range(400)])
    lists.keep_sample(db)
    filled = lists.sample_of(db)
    assert filled is not empty and filled.live == 400 and 60 <= len(filled.rows["site-a"]) <= 140
    assert filled.cuts("site-a", listing.ALL, "name_sort", False)
    lists.keep_sample(db)
    assert lists.sample_of(db) is filled
