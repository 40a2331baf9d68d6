"""Writes naming a site need it known and active, on the real DB: a disabled site's customers stay
readable and may be moved out, deleted or erased, nothing else; ``site_usage`` counts what still
belongs to a site."""
import pytest

from services.common import remote, sites
from services.common.auth import Caller
from services.common.errors import Forbidden, ValidationFailed
from services.customers import (
    archive, effects, erasure, import_jobs, import_mappings, import_worker, insights, merge, moves, parts,
    saved_views, settings, store,
)
from tests.customers import samples
from tests.support.sites import known_sites

PERMS = ["customers:read", "customers:write", "contacts:read", "contacts:write", "orders:read", "orders:write",
         "interactions:read", "interactions:write", "settings:write"]
HQ = Caller("u-hq", ["site-a", "site-b"], PERMS, token="t")
ADMIN = Caller("u-admin", [], ["sites:admin", "sites:all"], token="t")
ORDER = {"number": "SO-1", "order_date": "2026-09-01", "lines": [{"product": "Gear", "quantity": 1, "amount": 10}]}


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def disable(db, site_id):
    known_sites(db, site_id, status=sites.DISABLED, version=2)


def refused_on_site(call, code="site_disabled"):
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert list(refused.value.fields) == ["site_id"] and refused.value.code == code
    return refused.value


def customer_in(db, site_id, name="苏州精机有限公司"):
    customer = archive.create_customer(db, HQ, {"legal_name": name, "site_id": site_id}, force=True)
    parts.create_part(db, HQ, customer["id"], "orders", ORDER, effects.Effects(db))
    return customer


def test_a_disabled_site_takes_no_new_customer_nor_any_change(db):
    customer = customer_in(db, "site-b")
    disable(db, "site-b")
    hooks = effects.Effects(db)
    refused_on_site(lambda: archive.create_customer(db, HQ, {"legal_name": "新公司", "site_id": "site-b"}))
    refused_on_site(lambda: archive.update_customer(db, HQ, customer["id"], {"industry": "x", "version": 1}))
    refused_on_site(lambda: archive.update_customer(db, HQ, customer["id"], {"site_id": "site-b", "industry": "x",
                                                                             "version": 1}))
    refused_on_site(lambda: archive.verify_customer(db, HQ, customer["id"]))
    refused_on_site(lambda: parts.create_part(db, HQ, customer["id"], "contacts", {"name": "王"}, hooks))
    order = store.all_parts(db, "orders", {"customer_id": customer["id"]})[0]
    refused_on_site(lambda: parts.update_part(db, HQ, customer["id"], "orders", order["_id"],
                                              {"number": "SO-2", "version": order["version"]}, hooks))
    refused_on_site(lambda: insights.set_tier_override(db, HQ, customer["id"], {"tier": "vip", "reason": "big"}))
    refused_on_site(lambda: insights.clear_tier_override(db, HQ, customer["id"]))
    refused_on_site(lambda: saved_views.create_view(db, HQ, {"name": "Mine", "site_id": "site-b"}))
    refused_on_site(lambda: settings.update_settings(db, HQ, "site-b", {"version": 0, "review_days": 30}))
    refused_on_site(lambda: import_jobs.create_import(db, HQ, "c.csv", site_id="site-b"))
    other = customer_in(db, "site-a", "杭州精机有限公司")
    refused_on_site(lambda: merge.merge(db, HQ, customer["id"], {"merged_ids": [other["id"]], "fields": {}}))
    assert archive.get_customer(db, HQ, customer["id"])["version"] == 1


def test_a_customer_of_a_disabled_site_moves_out_with_its_records_and_may_be_deleted(db):
    customer = customer_in(db, "site-b")
    second = customer_in(db, "site-b", "无锡精机有限公司")
    disable(db, "site-b")
    moved = archive.update_customer(db, HQ, customer["id"], {"site_id": "site-a", "version": 1})
    assert moved["site_id"] == "site-a"
    assert {o["site_id"] for o in store.all_parts(db, "orders", {"customer_id": customer["id"]})} == {"site-a"}
    order = store.all_parts(db, "orders", {"customer_id": second["id"]})[0]
    assert parts.delete_part(db, HQ, second["id"], "orders", order["_id"], effects.Effects(db)) == {}
    assert archive.delete_customer(db, HQ, second["id"], erase=True) == {}
    assert store.find_customer(db, second["id"], include_deleted=True)["legal_name"] == erasure.ERASED


def test_a_merge_may_take_customers_out_of_a_disabled_site(db):
    survivor = customer_in(db, "site-a")
    merged = customer_in(db, "site-b", "无锡精机有限公司")
    disable(db, "site-b")
    done = merge.merge(db, HQ, survivor["id"], {"merged_ids": [merged["id"]], "fields": {}})
    assert done["status"] == "done"
    assert moves.site_usage(db, ADMIN, "site-b") == {"counts": {}}


def test_moving_to_a_disabled_or_unknown_site_is_refused(db, monkeypatch):
    customer = customer_in(db, "site-a")
    disable(db, "site-b")
    refused_on_site(lambda: archive.update_customer(db, HQ, customer["id"], {"site_id": "site-b", "version": 1}))
    asked = []

    def accounts(service, method, site_ids, token=None):
        asked.append((service, method, site_ids))
        return {"items": []}

    monkeypatch.setattr(remote, "call", accounts)
    everywhere = Caller("u-hq", [], PERMS + ["sites:all"], token="t")
    refused_on_site(lambda: archive.update_customer(db, everywhere, customer["id"], {"site_id": "site-zz",
                                                                                     "version": 1}), "unknown_site")
    refused_on_site(lambda: archive.create_customer(db, everywhere, {"legal_name": "新公司", "site_id": "site-zz"}),
                    "unknown_site")
    assert asked[0] == ("accounts", "site_directory", ["site-zz"])


def test_an_import_whose_site_is_disabled_before_it_runs_fails_storing_nothing(db):
    job = import_jobs.create_import(db, HQ, "c.csv", site_id="site-b")
    import_jobs.append_chunk(db, HQ, job["id"], 0, samples.b64_chunks(samples.csv_bytes(
        [samples.customer_row(n) for n in range(5)]), 4096)[0])
    import_jobs.start_import(db, HQ, job["id"])
    disable(db, "site-b")
    while import_worker.run_tick(db):
        pass
    ended = import_jobs.get_import(db, HQ, job["id"])
    assert ended["status"] == "failed" and "disabled" in ended["error"] and ended["created"] == 0
    assert store.count_customers(db, {}) == 0


def test_starting_an_import_of_a_site_disabled_since_fails_the_job(db):
    job = import_jobs.create_import(db, HQ, "c.csv", site_id="site-b")
    import_jobs.append_chunk(db, HQ, job["id"], 0, samples.b64_chunks(samples.csv_bytes([samples.customer_row(1)]),
                                                                  4096)[0])
    disable(db, "site-b")
    refused_on_site(lambda: import_jobs.start_import(db, HQ, job["id"]))
    ended = import_jobs.get_import(db, HQ, job["id"])
    assert ended["status"] == "failed" and "disabled" in ended["error"]


def test_site_usage_counts_what_still_belongs_to_a_site(db):
    customer = customer_in(db, "site-b")
    parts.create_part(db, HQ, customer["id"], "contacts", {"name": "王"}, effects.Effects(db))
    deleted = customer_in(db, "site-b", "无锡精机有限公司")
    archive.delete_customer(db, HQ, deleted["id"])
    erased = customer_in(db, "site-b", "常州精机有限公司")
    archive.delete_customer(db, HQ, erased["id"], erase=True)
    saved_views.create_view(db, HQ, {"name": "Mine", "site_id": "site-b"})
    gone = saved_views.create_view(db, HQ, {"name": "Old", "site_id": "site-b"})
    saved_views.delete_view(db, HQ, gone["id"])
    mapping = {"name": "ERP", "entity": "customers", "site_id": "site-b", "mapping": {"客户": "legal_name"}}
    import_mappings.save(db, HQ, mapping)
    dropped = import_mappings.save(db, HQ, dict(mapping, name="Old ERP"))
    import_mappings.delete(db, HQ, dropped["id"])
    customer_in(db, "site-a", "杭州精机有限公司")
    counts = moves.site_usage(db, ADMIN, "site-b")["counts"]
    assert counts == {"customers": 2, "orders": 2, "contacts": 1, "views": 1, "import_mappings": 1}
    assert moves.site_usage(db, ADMIN, "site-c") == {"counts": {}}


@pytest.mark.parametrize("perms", [["sites:admin"], ["sites:all"], ["customers:read", "customers:write"]])
def test_site_usage_needs_sites_admin_held_company_wide(db, perms):
    with pytest.raises(Forbidden):
        moves.site_usage(db, Caller("u-x", ["site-b"], perms, token="t"), "site-b")
