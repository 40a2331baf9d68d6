"""The customer archive over RPC on the real broker and DB: rules enforced inside the service."""
import pytest

from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

SALES = ["customers:read", "customers:write", "contacts:read", "contacts:write", "interactions:read",
         "interactions:write", "orders:read"]
FINANCE = ["customers:read", "orders:read", "orders:write"]


def test_create_read_update_with_versions_and_site_scope(customers, issue_token, rpc_as):
    sales_a = issue_token(SALES, ["site-a"])
    sales_b = issue_token(SALES, ["site-b"])
    with rpc_as(sales_a) as cluster:
        created = cluster.customers.create_customer({
            "legal_name": "苏州精密机械有限公司", "short_name": "苏州精机", "tax_id": "91350100M000100Y43",
            "industry": "machinery", "tags": ["oem", "oem"],
            "addresses": [{"type": "billing", "city": "苏州", "province": "江苏"}]})
        assert created["site_id"] == "site-a" and created["tags"] == ["oem"] and created["version"] == 1
        assert created["tier"]["level"] == "general" and 0 < created["completeness"] < 100
        updated = cluster.customers.update_customer(created["id"], {"industry": "automation", "version": 1})
        assert updated["version"] == 2
        with pytest.raises(Conflict) as stale:
            cluster.customers.update_customer(created["id"], {"industry": "x", "version": 1})
        assert stale.value.code == "stale_version"
        found = cluster.customers.list_customers({"q": "精机"})
        assert [c["id"] for c in found["items"]] == [created["id"]]
        assert cluster.customers.list_customers({"q": "精密"})["total"] == 1
    with rpc_as(sales_b) as cluster:
        with pytest.raises(NotFound):
            cluster.customers.get_customer(created["id"])
        assert cluster.customers.list_customers({"q": "苏州"})["total"] == 0


def test_duplicates_on_create(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        first = cluster.customers.create_customer({"legal_name": "Acme Industrial Co., Ltd.",
                                                   "tax_id": "91110000802100433B"})
        with pytest.raises(Conflict) as same_tax:
            cluster.customers.create_customer({"legal_name": "Other", "tax_id": "91110000802100433B"})
        assert same_tax.value.code == "duplicate_tax_id" and same_tax.value.extra["existing_id"] == first["id"]
        with pytest.raises(Conflict) as similar:
            cluster.customers.create_customer({"legal_name": "ＡＣＭＥ Industrial Ltd"})
        assert similar.value.code == "possible_duplicate"
        assert [c["id"] for c in similar.value.extra["candidates"]] == [first["id"]]
        forced = cluster.customers.create_customer({"legal_name": "ＡＣＭＥ Industrial Ltd"}, force=True)
        assert forced["id"] != first["id"]


def test_bad_input_names_the_field(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        with pytest.raises(ValidationFailed) as bad:
            cluster.customers.create_customer({"legal_name": "", "tax_id": "91350100M000100Y44",
                                               "website": "not a url", "unknown": 1})
        assert {"legal_name", "tax_id", "website", "unknown"} <= set(bad.value.fields)
        customer = cluster.customers.create_customer({"legal_name": "Phone Test Works"})
        with pytest.raises(ValidationFailed) as phone:
            cluster.customers.create_part(customer["id"], "contacts", {"name": "Li Lei", "phone": "12345"})
        assert "phone" in phone.value.fields


def test_finance_sees_orders_but_no_contacts_or_interactions(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES + ["orders:write"], ["site-a"])) as cluster:
        customer = cluster.customers.create_customer({"legal_name": "Finance Visibility Ltd"})
        cluster.customers.create_part(customer["id"], "contacts", {"name": "王芳", "phone": "13800138000"})
        cluster.customers.create_part(customer["id"], "orders", {
            "number": "SO-1", "order_date": "2026-10-01", "lines": [{"product": "Gear", "quantity": 10, "amount": 5000}]})
    with rpc_as(issue_token(FINANCE, ["site-a"])) as cluster:
        assert cluster.customers.list_parts(customer["id"], "orders")["total"] == 1
        with pytest.raises(Forbidden):
            cluster.customers.list_parts(customer["id"], "contacts")
        with pytest.raises(Forbidden):
            cluster.customers.list_parts(customer["id"], "interactions")
        assert cluster.customers.list_customers({"q": "王芳"})["total"] == 0
        assert cluster.customers.list_customers({"q": "finance"})["total"] == 1


def test_hierarchy_refuses_cycles(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        group = cluster.customers.create_customer({"legal_name": "Group Holding", "account_type": "group"})
        entity = cluster.customers.create_customer({"legal_name": "Group Entity", "parent_id": group["id"]})
        plant = cluster.customers.create_customer({"legal_name": "Group Plant", "parent_id": entity["id"],
                                                   "account_type": "plant"})
        with pytest.raises(Conflict) as cycle:
            cluster.customers.update_customer(group["id"], {"parent_id": plant["id"], "version": 1})
        assert cycle.value.code == "hierarchy_cycle"


def test_soft_delete_and_restore(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        customer = cluster.customers.create_customer({"legal_name": "Restorable Parts Co"})
        cluster.customers.delete_customer(customer["id"])
        with pytest.raises(NotFound):
            cluster.customers.get_customer(customer["id"])
        assert customer["id"] in [c["id"] for c in cluster.customers.list_customers({"deleted": True})["items"]]
        restored = cluster.customers.restore_customer(customer["id"])
        assert restored["deleted_at"] is None
        assert cluster.customers.get_customer(customer["id"])["legal_name"] == "Restorable Parts Co"


def test_review_due_follows_each_sites_review_period(customers, issue_token, rpc_as):
    import datetime

    from tests.integration.test_outbox_and_consumers import _db_of

    manager = issue_token(SALES + ["reports:read", "settings:write", "sites:all"], ["site-a", "site-b"])
    with rpc_as(manager) as cluster:
        in_a = cluster.customers.create_customer({"legal_name": "Review Period A Works", "site_id": "site-a"})
        in_b = cluster.customers.create_customer({"legal_name": "Review Period B Works", "site_id": "site-b"})
        fresh = cluster.customers.create_customer({"legal_name": "Freshly Checked Works", "site_id": "site-a"})
        forty_five_days_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=45)
        _db_of(customers).customers.update_many({"_id": {"$in": [in_a["id"], in_b["id"]]}},
                                                {"$set": {"last_verified_at": forty_five_days_ago}})
        assert cluster.customers.review_due()["total"] == 0
        cluster.customers.update_settings("site-a", {"version": 0, "review_days": 30})
        assert [c["id"] for c in cluster.customers.review_due()["items"]] == [in_a["id"]]
        cluster.customers.verify_customer(in_a["id"])
        assert cluster.customers.review_due()["total"] == 0
        assert fresh["id"] not in [c["id"] for c in cluster.customers.review_due()["items"]]
