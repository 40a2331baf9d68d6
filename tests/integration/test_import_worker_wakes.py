"""The import worker of a running customers service: woken by a start in its process, looking for
other jobs every IDLE_SECONDS, not on every tick."""
import time

import eventlet
import pytest

from services.customers import import_jobs, store
from tests.customers import samples
from tests.integration.test_customers_import_merge import SALES, finished, upload


@pytest.fixture
def claims(monkeypatch):
    """The times the import worker looked for a job."""
    looked = []
    claim = store.claim_import

    def counted(*args, **kwargs):
        looked.append(time.monotonic())
        return claim(*args, **kwargs)

    monkeypatch.setattr(store, "claim_import", counted)
    return looked


def import_timer(container):
    [timer] = [entrypoint for entrypoint in container.entrypoints if entrypoint.method_name == "process_imports"]
    return timer


def test_an_idle_worker_looks_for_jobs_every_few_seconds_not_on_every_tick(customers, claims):
    eventlet.sleep(1)
    start = time.monotonic()
    eventlet.sleep(4)
    looked = [at for at in claims if at >= start]
    assert len(looked) <= 1, "%d looks in 4 s with no job" % len(looked)  # every 0.2 s would be 20


def test_a_start_wakes_the_worker_of_its_process(customers, claims, issue_token, rpc_as):
    import_timer(customers).idle = 3600  # nothing but the start's wake can make it look now
    data = samples.csv_bytes([samples.customer_row(n) for n in range(30)])
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        job = finished(cluster, upload(cluster, data, "woken.csv")["id"], timeout=60)
    assert (job["status"], job["created"]) == ("completed", 30)
    assert claims


def test_a_job_started_without_a_wake_is_found_by_the_idle_look(customers, monkeypatch, issue_token, rpc_as):
    """As a job another replica started or left: no wake reaches this process."""
    timer = import_timer(customers)
    timer.idle = 3600
    monkeypatch.setattr(import_jobs.STARTED, "wake", lambda: None)
    data = samples.csv_bytes([samples.customer_row(n) for n in range(30)])
    with rpc_as(issue_token(SALES, ["site-a"])) as cluster:
        started = upload(cluster, data, "elsewhere.csv")
        eventlet.sleep(2)
        assert cluster.customers.get_import(started["id"])["done"] == 0
        timer.idle = 1
        job = finished(cluster, started["id"], timeout=60)
    assert (job["status"], job["created"]) == ("completed", 30)
