"""Import, export, duplicates and merge over RPC on the real broker and DB."""
import time

import eventlet
import pytest
from kombu import Connection, Exchange, Queue

from services.common.errors import NotFound
from tests.customers import samples

SALES = ["customers:read", "customers:write", "contacts:read", "contacts:write", "orders:read", "orders:write"]


@pytest.fixture
def published(nameko_config):
    """Events the service publishes on ``customers.events``, as they arrive."""
    with Connection(nameko_config["AMQP_URI"]) as connection:
        queue = Queue(exchange=Exchange("customers.events", type="topic", durable=True), routing_key="customers.#",
                      auto_delete=True, exclusive=True, channel=connection.default_channel)
        queue.declare()

        def wait_for(event_type, timeout=90, **data):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = queue.get(no_ack=True)
                if message is None:
                    eventlet.sleep(0.05)
                elif message.payload["type"] == event_type and data.items() <= message.payload["data"].items():
                    return message.payload
            raise AssertionError("no %s within %s s" % (event_type, timeout))

        yield wait_for


def upload(cluster, data, filename, dry_run=False, size=64 * 1024):
    job = cluster.customers.create_import(filename, dry_run)
    assert job["status"] == "uploading"
    for seq, piece in enumerate(samples.b64_chunks(data, size)):
        cluster.customers.append_import_chunk(job["id"], seq, piece)
    return cluster.customers.start_import(job["id"])


def finished(cluster, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job = cluster.customers.get_import(job_id)
        if job["status"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, "import still %s after %s s: %r" % (job["status"], timeout, job)
        eventlet.sleep(0.2)


def test_reimporting_the_same_1000_rows_leaves_1000_customers(customers, issue_token, rpc_as, published):
    data = samples.csv_bytes([samples.customer_row(n) for n in range(1000)])
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        first = finished(cluster, upload(cluster, data, "customers.csv")["id"])
        assert (first["status"], first["total"], first["done"], first["created"]) == ("completed", 1000, 1000, 1000)
        second = finished(cluster, upload(cluster, data, "customers.csv")["id"])
        assert (second["created"], second["updated"], second["unchanged"], second["failed"]) == (0, 0, 1000, 0)
        assert cluster.customers.list_customers({})["total"] == 1000
        assert cluster.customers.list_customers({"q": samples.uscc(777)})["total"] == 1
    event = published("customers.import_completed", import_id=first["id"])
    assert event["data"] == {"import_id": first["id"], "created": 1000, "updated": 0, "failed": 0, "total": 1000}


def test_three_bad_rows_are_reported_and_the_rest_imported(customers, issue_token, rpc_as):
    rows = [samples.customer_row(n) for n in range(40)]
    rows[4][2] = "91320100000000004X"
    rows[19][5] = "12345"
    rows[30][11] = "a lot"
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        job = finished(cluster, upload(cluster, samples.csv_bytes(rows), "bad.csv")["id"])
        assert (job["status"], job["done"], job["created"], job["failed"]) == ("completed", 40, 37, 3)
        assert [(e["row"], e["field"]) for e in job["errors_sample"]] == [
            (6, "tax_id"), (21, "phone"), (32, "annual_revenue")]
        report = cluster.customers.import_errors(job["id"])
        assert report["columns"] == ["row", "field", "message"] and [r[:2] for r in report["rows"]] == [
            [6, "tax_id"], [21, "phone"], [32, "annual_revenue"]]
        assert cluster.customers.list_customers({})["total"] == 37


def test_gbk_csv_with_chinese_headers_and_xlsx_both_import(customers, issue_token, rpc_as):
    gbk = samples.csv_bytes([samples.customer_row(n) for n in range(25)], samples.HEADERS_CN, encoding="gbk")
    xlsx = samples.xlsx_bytes([samples.customer_row(n) for n in range(25, 60)])
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        csv_job = finished(cluster, upload(cluster, gbk, "客户.csv", size=1000)["id"])
        assert (csv_job["status"], csv_job["format"], csv_job["created"]) == ("completed", "csv", 25)
        xlsx_job = finished(cluster, upload(cluster, xlsx, "客户.xlsx", size=4000)["id"])
        assert (xlsx_job["status"], xlsx_job["format"], xlsx_job["created"]) == ("completed", "xlsx", 35)
        found = cluster.customers.list_customers({"q": "华东精密零件3有限公司"})["items"]
        assert found[0]["tags"] == ["oem", "vip"] and found[0]["addresses"][0]["province"] == "江苏"
        assert cluster.customers.list_customers({})["total"] == 60


def test_dry_run_writes_nothing(customers, issue_token, rpc_as):
    rows = [samples.customer_row(n) for n in range(20)] + [["", "no name"]]
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        job = finished(cluster, upload(cluster, samples.csv_bytes(rows), "dry.csv", dry_run=True)["id"])
        assert (job["status"], job["dry_run"], job["created"], job["failed"]) == ("completed", True, 20, 1)
        assert cluster.customers.list_customers({})["total"] == 0


def customer_with_children(cluster, name, **fields):
    customer = cluster.customers.create_customer(dict(fields, legal_name=name), force=True)
    cluster.customers.create_part(customer["id"], "contacts", {"name": "联系人" + name, "phone": "13900139000"})
    cluster.customers.create_part(customer["id"], "orders", {
        "number": "SO-" + name, "order_date": "2026-08-01",
        "lines": [{"product": "Gear", "quantity": 2, "amount": 50}]})
    return customer["id"]


def children(cluster, customer_id):
    return ([c["name"] for c in cluster.customers.list_parts(customer_id, "contacts")["items"]],
            [o["number"] for o in cluster.customers.list_parts(customer_id, "orders")["items"]])


def test_merge_of_three_then_revert_restores_all_three_with_children(customers, issue_token, rpc_as, published):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        ids = [customer_with_children(cluster, "南通重工有限公司", tax_id=samples.uscc(1)),
               customer_with_children(cluster, "南通重工", website="https://ntzg.example.com"),
               customer_with_children(cluster, "南通重工集团")]
        before = {i: (cluster.customers.get_customer(i), children(cluster, i)) for i in ids}
        clusters = cluster.customers.duplicates()["clusters"]
        assert {c["id"] for c in clusters[0]["customers"]} == set(ids) and clusters[0]["reason"] == "similar_name"

        done = cluster.customers.merge(ids[0], {"merged_ids": ids[1:], "fields": {"legal_name": ids[2]}})
        assert done["status"] == "done" and done["moved"]["contacts"] == 2
        assert published("customers.customer_merged")["data"]["merged_ids"] == ids[1:]
        survivor = cluster.customers.get_customer(ids[0])
        assert survivor["legal_name"] == "南通重工集团" and survivor["website"] == "https://ntzg.example.com"
        contacts, orders = children(cluster, ids[0])
        assert len(contacts) == 3 and len(orders) == 3
        for merged in ids[1:]:
            with pytest.raises(NotFound):
                cluster.customers.get_customer(merged)

        assert cluster.customers.revert_merge(done["id"])["status"] == "reverted"
        assert published("customers.merge_reverted")["data"]["restored_ids"] == ids[1:]
        for customer_id, (customer, kids) in before.items():
            restored = cluster.customers.get_customer(customer_id)
            assert {k: v for k, v in restored.items() if k not in ("version", "updated_at")} == {
                k: v for k, v in customer.items() if k not in ("version", "updated_at")}
            assert children(cluster, customer_id) == kids


def test_merge_outside_your_sites_is_not_found(customers, issue_token, rpc_as):
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        mine = cluster.customers.create_customer({"legal_name": "Site A Castings"})["id"]
    with rpc_as(issue_token(SALES, ["site-b"])) as cluster:
        theirs = cluster.customers.create_customer({"legal_name": "Site B Castings"})["id"]
        with pytest.raises(NotFound):
            cluster.customers.merge(theirs, {"merged_ids": [mine]})


def test_export_pages_and_audit(customers, issue_token, rpc_as, published):
    with rpc_as(issue_token(["customers:read", "customers:write"], ["site-a"])) as cluster:
        for n in range(5):
            cluster.customers.create_customer({"legal_name": "Export Works %d" % n, "tags": ["oem"]}, force=True)
        page = cluster.customers.export_rows({"tag": "oem"}, None, 3)
        assert len(page["rows"]) == 3 and "primary_contact" not in page["columns"]
        rest = cluster.customers.export_rows({"tag": "oem"}, page["next_cursor"], 3)
        assert len(rest["rows"]) == 2 and rest["next_cursor"] is None
        assert cluster.customers.record_export({"tag": "oem"}, "csv", 5) == {}
        audit = published("customers.audit", action="exported")
        assert audit["data"]["changes"]["count"]["after"] == 5
