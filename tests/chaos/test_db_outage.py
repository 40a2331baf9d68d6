"""The database server stopped and started under a write load: clear 503s while it is down,
recovery without restarts, and no acknowledged write lost or failed write left half-done."""
import csv
import io
import time

import pytest
import requests

from tests.chaos.checks import missing_writes
from tests.chaos.databases import service_databases, wait_until_handled
from tests.chaos.load import WriteLoad, succeeded, tally, unexpected
from tests.chaos.processes import process_ids
from tests.chaos.tap import EventTap
from tests.support.api import eventually, every_item
from tests.support.customers import cjk, uscc

OUTAGE_SECONDS = 4
IMPORTED = 200


def audited_creations(api, site_id, wanted, timeout):
    """Ids of customers of ``site_id`` with a ``created`` audit entry, once all ``wanted`` have one."""
    deadline = time.monotonic() + timeout
    while True:
        found = {e["entity_id"] for e in every_item(api, "/audit", entity_type="customer", action="created",
                                                site_id=site_id)}
        if found >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(1)


def import_file(rows):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["客户名称", "统一社会信用代码", "行业", "城市"])
    for number in range(rows):
        writer.writerow(["%s导入%d有限公司" % (cjk(3), number), uscc(), "机械", "苏州"])
    return text.getvalue().encode("utf-8")


class Outage:
    """Stops the database server, probes the gateway while it is down, then starts it again."""

    def __init__(self, mongo_server, stack, api, limit):
        self.mongo_server, self.stack, self.api, self.limit = mongo_server, stack, api, limit
        self.probes = []

    def __call__(self):
        self.mongo_server.stop()
        try:
            time.sleep(1)
            deadline = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < deadline:
                self.probes.append(self._probe("/readyz", self.stack.get))
                self.probes.append(self._probe("/api/v1/customers", lambda path, **kw: self.api.get(
                    path[len("/api/v1"):], **kw)))
        finally:
            self.mongo_server.start()

    def _probe(self, path, get):
        started = time.monotonic()
        try:
            response = get(path, timeout=self.limit)
            return path, response.status_code, response.json(), time.monotonic() - started
        except requests.RequestException as exc:
            return path, type(exc).__name__, None, time.monotonic() - started


@pytest.mark.timeout(300)
def test_a_database_outage_mid_load_gives_503s_and_leaves_no_partial_records(
        stack, test_env, mongo_server, admin, site, writer):
    limit = float(test_env["RPC_TIMEOUT"]) + 5
    pids = process_ids(stack)
    with EventTap(test_env["AMQP_URI"], "customers") as tap:
        job = writer.post("/customers/import", files={"file": ("chaos.csv", import_file(IMPORTED))},
                          data={"dry_run": "false", "site_id": site["id"]})
        assert job.status_code == 202, job.text
        outage = Outage(mongo_server, stack, writer, limit)
        load = WriteLoad(stack.url, writer.token, site["id"], threads=4, request_timeout=limit)
        outcomes = load.run_for(12, during=outage, at=2)
        stack.wait_ready(30)
        assert process_ids(stack) == pids, "a process was restarted"
        assert all(proc.poll() is None for proc in stack.procs.values()), "a process has exited"

        readyz = [p for p in outage.probes if p[0] == "/readyz"]
        listed = [p for p in outage.probes if p[0] != "/readyz"]
        assert readyz and all(status == 503 and body["status"] == "unavailable" for _, status, body, _ in readyz), readyz
        assert listed and all(status == 503 and body["error"]["code"] == "service_unavailable"
                              for _, status, body, _ in listed), listed
        assert max(seconds for *_, seconds in outage.probes) < limit, outage.probes

        counts = tally(outcomes)
        wrong = unexpected(outcomes)
        assert not wrong, "%d of %d requests were neither 201 nor a 503 (%s): %s" % (
            len(wrong), len(outcomes), counts, [(o.kind, o.status, o.body) for o in wrong[:5]])
        assert counts.get(503), "the outage was not seen by any request: %s" % counts
        customers, interactions = missing_writes(writer, outcomes)
        assert not customers and not interactions, "acknowledged but missing: %d customers, %d interactions" % (
            len(customers), len(interactions))

        imported = eventually(lambda: writer.get("/imports/%s" % job.json()["id"]).json(),
                              lambda current: current["status"] not in ("uploading", "running"), timeout=90)
        assert (imported["status"], imported["done"], imported["created"], imported["failed"]) == (
            "completed", IMPORTED, IMPORTED, 0), imported

        stored = {c["id"] for c in every_item(writer, "/customers", site_id=site["id"])}
        assert len(stored) >= len(succeeded(outcomes, "customer")) + IMPORTED
        audited = audited_creations(admin, site["id"], stored, timeout=90)
        assert audited == stored, "%d customers, %d with a created audit entry" % (len(stored), len(audited))
        time.sleep(2)
        announcements = {e["data"]["customer_id"]: e["event_id"] for e in tap.drain()
                         if e["type"] == "customers.customer_created"}
        assert set(announcements) >= stored, "%d of %d customers have no customer_created event" % (
            len(stored - set(announcements)), len(stored))
        wanted = {announcements[customer_id] for customer_id in stored}
        with service_databases(test_env) as databases:
            seen = wait_until_handled(databases["notifications"], "on_customers_event", wanted, timeout=120)
        assert seen == wanted, "notifications handled %d of %d customer_created events" % (len(seen), len(wanted))
        print("db outage: requests %s, %d customers stored (%d acknowledged + %d imported)" % (
            counts, len(stored), len(succeeded(outcomes, "customer")), IMPORTED))
