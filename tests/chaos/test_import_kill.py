"""The customers service killed in the middle of an import: once it is back, the job resumes where
its last saved batch ended (after its worker's lease runs out) and completes; the archive holds
each row's customer once, the list's kept total counts each, every customer's ``customer_created``
reaches a hook once, and the audit trail holds one entry per customer."""
import collections
import csv
import io

import pytest

from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually, every_item
from tests.support.customers import create_user, signed_in, unique

ROWS = 1000  # two of the worker's batches of 500: it is killed during the second


def job_of(api, job_id):
    """The import job; an empty answer while the customers service is down (503)."""
    response = api.get("/imports/%s" % job_id)
    return response.json() if response.status_code == 200 else {}


@pytest.mark.timeout(300)
def test_an_import_cut_by_a_killed_customers_service_resumes_and_writes_each_customer_once(stack, admin, site):
    importer = signed_in(stack, create_user(admin, [site["id"]], ["manager"]))
    tag = unique("kill")
    names = ["%s 精密铸造 %04d 有限公司" % (tag, n) for n in range(ROWS)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["客户名称", "标签"])
    writer.writerows([name, tag] for name in names)

    with WebhookReceiver() as receiver:
        hook = admin.post("/webhooks", {"url": receiver.url, "event_types": ["customers.customer_created"],
                                        "site_id": site["id"]})
        assert hook.status_code == 201, hook.text
        started = importer.post("/imports", files={"file": ("kill.csv", text.getvalue().encode("utf-8"))},
                                data={"site_id": site["id"], "entity": "customers"})
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        midway = eventually(lambda: job_of(importer, job_id), lambda job: job.get("done", 0) >= 1, timeout=120,
                            interval=0.05)
        assert midway["status"] == "running" and midway["done"] < ROWS, midway
        try:
            stack.kill("customers")
        finally:
            stack.start("customers")
        stack.wait_ready()

        job = eventually(lambda: job_of(importer, job_id), lambda job: job.get("status") in ("completed", "failed"),
                         timeout=180)
        assert job["status"] == "completed" and job["failed"] == 0, job
        # the rows of a batch the kill cut short are written again, and then count as unchanged
        assert job["created"] + job["unchanged"] == ROWS and job["created"] >= midway["done"], job

        listed = every_item(importer, "/customers", tag=tag)
        assert len(listed) == ROWS and sorted(item["legal_name"] for item in listed) == names
        ids = {item["id"] for item in listed}
        # the list's kept total too: the job taken up from the killed worker has the totals counted again
        eventually(lambda: importer.get("/customers", params={"tag": tag, "limit": 1}).json()["total"],
                   lambda total: total == ROWS, timeout=60)

        received = eventually(lambda: receiver.events(), lambda events: {
            event["data"]["customer_id"] for event in events} >= ids, timeout=120)
        copies = collections.Counter(event["event_id"] for event in received)
        assert not [event_id for event_id, n in copies.items() if n > 1]
        assert collections.Counter(event["data"]["customer_id"] for event in received) == dict.fromkeys(ids, 1)

        trail = eventually(lambda: [entry for entry in every_item(admin, "/audit", site_id=site["id"],
                                                                  entity_type="customer", action="created")
                                    if entry["entity_id"] in ids], lambda found: len(found) >= ROWS, timeout=120)
        assert collections.Counter(entry["entity_id"] for entry in trail) == dict.fromkeys(ids, 1)
        assert admin.delete("/webhooks/%s" % hook.json()["id"]).status_code == 204
