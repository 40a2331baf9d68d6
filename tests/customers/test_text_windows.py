"""A search text most customers of a site hold is read from the site's windows, each row's keys
checked; in a site few of whose customers hold it, they are read by the text's index (the site's
holders alone): every page reads a bounded number of customers (on the real database server)."""
import datetime
import random

import pytest

from services.common.auth import Caller
from services.common.windows import sort_key
from services.customers import archive, customer_record, exports, identifiers, listing, lists, store
from tests.support.sites import known_sites
from tests.support.windows import watching

PERMISSIONS = ["customers:read", "customers:write"]
BOTH = Caller("u-ab", ["site-a", "site-b"], PERMISSIONS)
SITE_A = Caller("u-a", ["site-a"], PERMISSIONS)
SITE_B = Caller("u-b", ["site-b"], PERMISSIONS)
WITH_CONTACTS = Caller("u-c", ["site-a", "site-b"], PERMISSIONS + ["contacts:read"])
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
LIMIT = 10


@pytest.fixture(scope="module")
def watched(test_env):
    """Site-a: 400 customers, 240 of them named "Acme Gear …", three "Rarity …"; site-b: 600, two
    of them "Acme B …". Each with an e-mail "info<n>@…" of its own."""
    gen = watching(test_env, "text_windows", "customers")
    db, finds = next(gen)
    archive.prepare_database(db)
    known_sites(db)
    rng = random.Random(5)
    names = (["Acme Gear %03d" % n for n in range(240)] + ["Rarity Works %d" % n for n in range(3)]
             + ["Zenith Tools %03d" % n for n in range(157)])
    placed = [(name, "site-a") for name in names] + [("Acme B %d" % n, "site-b") for n in range(2)] + [
        ("Northwind %03d" % n, "site-b") for n in range(598)]
    customers = []
    for number, (name, site_id) in enumerate(placed):
        customer = customer_record.new_customer({"legal_name": name, "email": "info%d@works.example" % number},
                                                BOTH, site_id)
        customer.update(customer_record.derived_keys(customer))
        customer["updated_at"] = NOW - datetime.timedelta(seconds=rng.randrange(10 ** 6))
        customers.append(customer)
    store.insert_customers(db, customers)
    lists.take_sample(db)
    yield db, finds, customers
    gen.close()


def expected(customers, text, field="search_keys", sites=("site-a", "site-b")):
    chosen = [c for c in customers if any(key.startswith(text) for key in c[field]) and c["site_id"] in sites]
    chosen.sort(key=lambda c: sort_key(c["updated_at"], c["_id"]), reverse=True)
    return [c["_id"] for c in chosen]


def pages(db, caller, q):
    """Every page of the search ``q`` (newest change first): ids, and the first page's reads."""
    ids, cursor, totals = [], None, []
    while True:
        page = lists.list_customers(db, caller, {"q": q}, LIMIT, cursor)
        ids += [item["id"] for item in page["items"]]
        totals.append((page["total"], page["total_is_lower_bound"]))
        cursor = page["next_cursor"]
        if not cursor:
            return ids, totals


def read_by(finds, db):
    """(window queries, key queries) of the customers the last request sent (the page's
    read by id left out), and the rows the windows read."""
    queries = [query for query in finds.filters if "_id" not in query or not isinstance(query["_id"], dict)
               or "$in" not in query["_id"]]
    looked_up = [query for query in queries if "all_keys" in query]
    windows = [query for query in queries if "all_keys" not in query]
    return windows, looked_up, sum(store.count_customers(db, query) for query in windows)


def test_the_sample_tells_how_common_a_text_is_in_each_site():
    rows = [{"_id": "a%d" % n, "site_id": "site-a", "search_keys": ["acmegear", "acme", "gear"] if n < 3 else ["zen"],
             "all_keys": ["info%d" % n]} for n in range(4)] + [
        {"_id": "b", "site_id": "site-b", "search_keys": ["acmeb"], "all_keys": ["acmeb", "info9"]}]
    sample = listing.Sample(rows, 1.0, 5)
    assert sample.text_share("acme", "search_keys", ["site-a"]) == 0.75
    assert sample.text_share("acme", "search_keys", ["site-a", "site-b"]) == 0.8
    assert sample.text_share("acme", "search_keys") == 0.8 and sample.text_share("a", "search_keys") == 0.8
    assert sample.text_share("info", "all_keys") == 1.0 and sample.text_share("info", "search_keys") == 0.0
    assert sample.text_share("acmegearx", "search_keys") is None
    assert sample.text_share("acme", "search_keys", ["site-z"]) is None
    assert "search_keys" not in sample.rows["site-a"][0]  # kept once, in the sorted keys


def test_a_common_text_is_read_from_the_windows_and_a_site_few_hold_it_in_by_its_keys(watched):
    db, finds, customers = watched
    for q in ("acme", "Acme G", "a"):
        text = q.lower().replace(" ", "")
        finds.clear()
        first = lists.list_customers(db, BOTH, {"q": q}, LIMIT, None)
        windows, looked_up, read = read_by(finds, db)
        assert [item["id"] for item in first["items"]] == expected(customers, text)[:LIMIT], q
        # site-a from its windows, nothing looked up by the text there
        assert windows and all(query["site_id"] == "site-a" for query in windows), windows
        # site-b's two by the text's index (its holders in that site only)
        assert looked_up == [store.holding("site-b", identifiers.prefix_lookup(text))], looked_up
        # site-a's windows read far fewer customers than hold the text (240)
        assert read <= 4 * LIMIT, (q, read)
        ids, totals = pages(db, BOTH, q)
        assert ids == expected(customers, text), q
        assert all(bound for _, bound in totals[:-1]) and totals[-1] == (len(ids), False)


def test_a_rare_text_is_looked_up_by_its_holders_keys(watched):
    """Rare in every site read, as "acme" is in site-b alone (two of its 600 customers)."""
    db, finds, customers = watched
    for caller, q, sites in ((BOTH, "rarity", None), (BOTH, "r", None), (BOTH, "acmeb", None),
                             (SITE_B, "acme", ["site-b"])):
        finds.clear()
        ids, _ = pages(db, caller, q)
        assert ids == expected(customers, q, sites=sites or ("site-a", "site-b")), q
        assert finds.filters and all("all_keys" in query or "$in" in query["_id"] for query in finds.filters), q


def test_a_text_only_the_contacts_keys_hold_is_read_as_common_only_for_those_who_may_see_contacts(watched):
    """Every customer's e-mail starts with "info": common for a user who may see contacts (their
    keys), held by nobody for one who may not, who is answered from the keys index at once."""
    db, finds, customers = watched
    finds.clear()
    page = lists.list_customers(db, WITH_CONTACTS, {"q": "info"}, LIMIT, None)
    assert [item["id"] for item in page["items"]] == expected(customers, "info", "all_keys")[:LIMIT]
    windows, _, read = read_by(finds, db)
    assert windows and read <= 4 * LIMIT
    finds.clear()
    assert lists.list_customers(db, BOTH, {"q": "info"}, LIMIT, None)["items"] == []
    assert finds.filters and all("all_keys" in query for query in finds.filters)


def test_a_cursor_of_one_search_is_refused_by_another(watched):
    db, _, _ = watched
    page = lists.list_customers(db, BOTH, {"q": "acme"}, LIMIT, None)
    for other in ("acmeg", "zenith"):
        with pytest.raises(Exception) as refused:
            lists.list_customers(db, BOTH, {"q": other}, LIMIT, page["next_cursor"])
        assert getattr(refused.value, "fields", {}).get("cursor"), other


def test_an_export_of_a_common_text_reads_it_from_the_windows_too(watched):
    db, finds, customers = watched
    rows, cursor = [], None
    finds.clear()
    while True:
        page = exports.export_rows(db, BOTH, {"q": "acme"}, cursor, LIMIT)
        rows += page["rows"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    exported = [row[page["columns"].index("id")] for row in rows]
    assert len(exported) == len(set(exported)) and set(exported) == set(expected(customers, "acme"))
    assert any("all_keys" not in query and query.get("site_id") == "site-a" for query in finds.filters)


def acme_behind_zenith(db, holders):
    """300 customers of site-a, the first ``holders`` named "Acme Gear" and changed a day before
    the others ("Zenith"), sampled; the customers stored."""
    customers = []
    for number in range(300):
        customer = customer_record.new_customer(
            {"legal_name": ("Acme Gear %03d" if number < holders else "Zenith %03d") % number}, BOTH, "site-a")
        customer.update(customer_record.derived_keys(customer))
        customer["updated_at"] = NOW - datetime.timedelta(days=1 if number < holders else 0, seconds=number)
        customers.append(customer)
    store.insert_customers(db, customers)
    lists.take_sample(db)
    return customers


def test_windows_give_way_to_the_look_up_when_a_text_s_holders_sit_together_at_the_list_s_end(db, monkeypatch):
    """Half of site-a's customers hold "acme", all of them changed before any other: windows from
    the newest read the others first, and once they have read as many rows as the holders' look-up
    would, that look-up answers the page."""
    customers = acme_behind_zenith(db, 150)
    looked_up = []
    holding = store.holding
    monkeypatch.setattr(store, "holding", lambda *args: looked_up.append(args) or holding(*args))
    ids, _ = pages(db, SITE_A, "acme")
    assert ids == expected(customers, "acme")
    assert looked_up and all(site_id == "site-a" for site_id, _ in looked_up)
    looked_up.clear()
    assert pages(db, SITE_A, "zen")[0] == expected(customers, "zen") and not looked_up  # the newest: windows alone


def test_a_text_whose_sampled_holders_sit_far_along_the_list_is_looked_up_without_reading_windows(db, monkeypatch):
    """80 of site-a's 300 customers hold "acme", all changed before any other: enough that windows
    would be chosen by the text's share alone, but the sample shows them at the list's far end, so
    the holders' look-up answers the first page and no window is read for it; the next pages start
    among the holders, where windows read about a page."""
    customers = acme_behind_zenith(db, 80)
    assert not listing.gathers(80, 300, LIMIT + 1)
    looked_up, windows = [], []
    holding, window_customers = store.holding, store.window_customers
    monkeypatch.setattr(store, "holding", lambda *args: looked_up.append(args) or holding(*args))
    monkeypatch.setattr(store, "window_customers", lambda *args, **kwargs: windows.append(args) or window_customers(
        *args, **kwargs))
    first = lists.list_customers(db, SITE_A, {"q": "acme"}, LIMIT, None)
    assert [item["id"] for item in first["items"]] == expected(customers, "acme")[:LIMIT]
    assert looked_up and not windows
    looked_up.clear()
    following = lists.list_customers(db, SITE_A, {"q": "acme"}, LIMIT, first["next_cursor"])
    assert [item["id"] for item in following["items"]] == expected(customers, "acme")[LIMIT:2 * LIMIT]
    assert windows and not looked_up
    assert pages(db, SITE_A, "acme")[0] == expected(customers, "acme")
