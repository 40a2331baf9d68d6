"""Duplicate clusters paged through windows of each reason's key index, on the real database server:
paging yields exactly the clusters grouping every visible customer finds (the old aggregate's answer),
in the caller's sites, on own phones and e-mails for callers who may not read contacts, with a
cluster that repeats a stronger one left out; every query rides a key index and a page reads a
bounded number of customers, not the archive."""
import random

import pytest

from services.common import paging
from services.common.auth import Caller
from services.common.errors import BadRequest
from services.customers import archive, dedupe, lists, store
from tests.support.sites import known_sites
from tests.support.windows import index_served, watching

SITES = ("site-a", "site-a", "site-b", "site-b", "site-c")
READ = ["customers:read"]
CONTACTS = READ + ["contacts:read"]
SALES_A = Caller("u-a", ["site-a"], CONTACTS)
FINANCE_A = Caller("u-fin", ["site-a"], READ)
BOTH = Caller("u-ab", ["site-a", "site-b"], CONTACTS)
ADMIN = Caller("u-admin", [], READ + ["sites:all"])
ARCHIVE = 2000
REASON_ORDER = {reason: number for number, (reason, _) in enumerate(dedupe.REASONS)}
COPIES = 30  # customers copied whole: each copy's tax-id cluster is also its name, phone and e-mail cluster


def seeded(rng):
    customers = []
    for number in range(ARCHIVE - COPIES):
        phones = sorted({"1380%07d" % rng.randrange(3000) for _ in range(rng.randrange(4))})
        emails = sorted({"buyer%d@%s.cn" % (rng.randrange(2500), rng.choice(["acme", "苏州"]))
                         for _ in range(rng.randrange(3))})
        tax_key = None
        if rng.random() < 0.6:
            tax_key = "9132%014d" % (rng.randrange(40) if rng.random() < 0.06 else 10 ** 6 + number)
        name = rng.choice(["acme", "华为", "zenith", "苏州精机", "ab"])
        name_key = name + ("%d" % rng.randrange(90) if rng.random() < 0.12 else "-%05d" % number)
        customers.append({
            "_id": "%032x" % rng.getrandbits(128), "site_id": rng.choice(SITES), "legal_name": name_key.upper(),
            "tax_id": tax_key and tax_key.upper(), "tax_id_key": tax_key, "name_key": name_key,
            "phone_keys": phones, "email_keys": emails,
            "contact_phone_keys": [phone for phone in phones if rng.random() < 0.3],
            "contact_email_keys": [email for email in emails if rng.random() < 0.3],
            "deleted_at": None if rng.random() > 0.03 else "2026-11-01T00:00:00+00:00", "version": 1})
    originals = [c for c in customers if c["tax_id_key"] and c["phone_keys"] and c["deleted_at"] is None]
    for original in rng.sample(originals, COPIES):
        customers.append(dict(original, _id="%032x" % rng.getrandbits(128), tax_id_key="9133%014d" % len(customers),
                              site_id=original["site_id"]))
        original["tax_id_key"] = customers[-1]["tax_id_key"]
    return customers


@pytest.fixture(scope="module")
def watched(test_env):
    for db, finds in watching(test_env, "duplicate_windows", "customers"):
        archive.prepare_database(db)
        known_sites(db)
        customers = seeded(random.Random(7))
        store.insert_customers(db, customers)
        yield db, finds, customers


@pytest.fixture(scope="module")
def paged(watched):
    """Each caller's clusters, paged with a sample of 400 of the 2 000 and small windows and pages
    (each reason takes several pages), and each page's queries."""
    db, finds, _ = watched
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CUSTOMERS_LIST_SAMPLE", "400")
        patch.setattr(dedupe, "WINDOW", 100)
        patch.setattr(dedupe, "BUDGET", 400)
        sample = lists.take_sample(db)
        assert sample.share < 0.25
        yield {caller.user_id: page_all(db, caller, 500, finds) for caller in (SALES_A, FINANCE_A, BOTH, ADMIN)}


def keys(customer, field, contacts):
    value = customer.get(field)
    values = value if isinstance(value, list) else [value]
    if not contacts:
        values = [key for key in values if key not in (customer.get("contact_" + field) or ())]
    return {key for key in values if isinstance(key, str) and key}


def expected(customers, caller):
    """Every visible customer grouped on each reason's keys, strongest reason first then by key; a
    cluster with the very members of an earlier one left out."""
    contacts = caller.can("contacts:read")
    found, seen = [], set()
    for reason, field in dedupe.REASONS:
        groups = {}
        for customer in customers:
            if customer["deleted_at"] is None and caller.has_site(customer["site_id"]):
                for key in keys(customer, field, contacts):
                    groups.setdefault(key, set()).add(customer["_id"])
        for key in sorted(groups):
            members = frozenset(groups[key])
            if len(members) > 1 and members not in seen:
                seen.add(members)
                found.append((reason, key, sorted(members)))
    return found


def aggregated(db, caller):
    """The groups of 2+ customers the list once found with one aggregate per reason over every live
    customer of the caller's sites: ``{(reason, key): ids}``."""
    contacts = caller.can("contacts:read")
    found = {}
    for reason, field in dedupe.REASONS:
        key = "$" + field
        if field in dedupe.CONTACT_KEYS and not contacts:
            key = {"$setDifference": [key, {"$ifNull": ["$" + dedupe.CONTACT_KEYS[field], []]}]}
        scope = {} if caller.all_sites else {"site_id": {"$in": caller.sites}}
        stages = [{"$match": dict(scope, deleted_at=None)}, {"$project": {"k": key}}]
        stages += [{"$unwind": "$k"}] if field.endswith("_keys") else []
        stages += [{"$match": {"k": {"$type": "string", "$ne": ""}}},
                   {"$group": {"_id": "$k", "ids": {"$push": "$_id"}}}]
        for group in db.customers.aggregate(stages):
            if len(group["ids"]) > 1:
                found[(reason, group["_id"])] = sorted(group["ids"])
    return found


def page_all(db, caller, limit, finds=None):
    """Every page's clusters as (reason, key, ids), and each page's queries."""
    clusters, pages, cursor = [], [], None
    while True:
        if finds:
            finds.filters.clear()
        page = dedupe.duplicates(db, caller, limit, cursor)
        assert set(page) == {"clusters", "next_cursor"} and len(page["clusters"]) <= limit
        pages.append(list(finds.filters) if finds else [])
        for cluster in page["clusters"]:
            members = cluster["customers"]
            assert members == sorted(members, key=lambda c: (c["legal_name"] or "", c["id"]))
            assert all(caller.has_site(member["site_id"]) for member in members)
            clusters.append((cluster["reason"], cluster["key"], sorted(member["id"] for member in members)))
        cursor = page["next_cursor"]
        if not cursor:
            return clusters, pages


@pytest.mark.parametrize("caller", [SALES_A, FINANCE_A, BOTH, ADMIN], ids=["sales-a", "finance-a", "both", "admin"])
def test_paging_yields_exactly_the_clusters_of_the_whole_archive(watched, paged, caller):
    _, _, customers = watched
    wanted = expected(customers, caller)
    got, pages = paged[caller.user_id]
    assert got == wanted
    assert len(pages) > 4 and {reason for reason, _, _ in wanted} == {reason for reason, _ in dedupe.REASONS}


@pytest.mark.parametrize("caller", [FINANCE_A, ADMIN], ids=["finance-a", "admin"])
def test_the_expected_clusters_are_the_groups_the_aggregate_finds(watched, caller):
    """The expectation above against the aggregate the list once ran: the same groups, of which
    the first of each set of members (by reason, then key) is kept."""
    db, _, customers = watched
    groups = aggregated(db, caller)
    firsts, seen = [], set()
    for (reason, key), ids in sorted(groups.items(), key=lambda item: (REASON_ORDER[item[0][0]], item[0][1])):
        if frozenset(ids) not in seen:
            seen.add(frozenset(ids))
            firsts.append((reason, key, ids))
    assert firsts == expected(customers, caller) and len(groups) > len(firsts)


def test_a_small_limit_pages_to_the_same_clusters(watched, paged):
    db, _, customers = watched
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedupe, "WINDOW", 100)
        patch.setattr(dedupe, "BUDGET", 400)
        got, pages = page_all(db, SALES_A, 20)
    assert got == paged[SALES_A.user_id][0] and len(pages) >= len(got) / 20


def test_callers_who_may_not_read_contacts_group_on_own_phones_and_emails(watched, paged):
    _, _, customers = watched
    with_contacts = {(reason, key) for reason, key, _ in paged[SALES_A.user_id][0]}
    own = {(reason, key) for reason, key, _ in paged[FINANCE_A.user_id][0]}
    only_contacts = with_contacts - own
    assert only_contacts and all(reason in ("same_phone", "same_email") for reason, _ in only_contacts)
    contact_keys = {key for c in customers for key in c["contact_phone_keys"] + c["contact_email_keys"]}
    assert any(key in contact_keys for _, key in only_contacts)


def test_a_copied_customer_is_one_cluster_not_one_per_reason(watched, paged):
    _, _, customers = watched
    got, _ = paged[ADMIN.user_id]
    copies = {}
    for customer in customers:
        if customer["tax_id_key"] and customer["tax_id_key"].startswith("9133"):
            copies.setdefault(customer["tax_id_key"], []).append(customer["_id"])
    assert len(copies) == COPIES
    for tax_key, ids in copies.items():
        holding = [(reason, key) for reason, key, members in got if members == sorted(ids)]
        live = all(c["deleted_at"] is None for c in customers if c["_id"] in ids)
        assert holding == ([("same_tax_id", tax_key)] if live else []), (tax_key, holding)


def test_every_query_rides_a_key_index_and_a_page_reads_a_bounded_part_of_the_archive(watched, paged):
    """Each query is one clause, a range or an ``$in`` of one reason's look-up keys; a page
    reads its budget, the window that goes past it, and the keys its clusters share with stronger
    ones (two budgets at most here), whatever the archive's size: an eighth of the archive's keys at most."""
    db, _, customers = watched
    entries = sum(len(keys(c, field, True)) for c in customers for _, field in dedupe.REASONS)
    for caller in (SALES_A, ADMIN):
        _, pages = paged[caller.user_id]
        reads = []
        for queries in pages:
            for query in queries:
                [(field, condition)] = query.items()
                assert field == "match_keys" and index_served(db.customers, query), query
                assert set(condition) in ({"$gte", "$lt"}, {"$in"}), query
                bounds = condition.get("$in") or [condition["$gte"], condition["$lt"]]
                assert len({bound.split(":")[0].rstrip(";") for bound in bounds}) == 1, query  # one reason
            reads.append(sum(db.customers.count_documents(query) for query in queries))
        assert max(reads) <= 2 * 400 and max(reads) <= entries / 8, reads


def test_default_windows_read_about_their_budget(watched, monkeypatch):
    db, finds, customers = watched
    monkeypatch.setenv("CUSTOMERS_LIST_SAMPLE", "400")
    lists.take_sample(db)
    got, pages = page_all(db, ADMIN, 500, finds)
    assert got == expected(customers, ADMIN) and len(pages) > 2, len(pages)
    reads = [sum(db.customers.count_documents(query) for query in queries) for queries in pages]
    assert max(reads) <= dedupe.BUDGET + 3 * dedupe.WINDOW, reads


def test_a_tampered_cursor_or_another_lists_is_refused_naming_cursor(watched):
    db, _, _ = watched
    cursor = dedupe.duplicates(db, BOTH, 5)["next_cursor"]
    body, mac = cursor.split(".")
    forged = [body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac,
              paging.encode_cursor(paging.list_key(db.customers, "legal_name", False), "acme", "c1", 0),
              paging.encode_cursor(dedupe.cursor_key(db), "acme", 9, 0),
              paging.encode_cursor(dedupe.cursor_key(db), "", 1, 0)]
    for bad in forged:
        with pytest.raises(BadRequest) as refused:
            dedupe.duplicates(db, BOTH, 5, bad)
        assert "cursor" in refused.value.fields
