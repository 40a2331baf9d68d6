"""A customers replica killed mid-load: the other one carries on and no acknowledged write is lost."""
import signal

import pytest

from tests.chaos.broker import wait_for_consumers
from tests.chaos.checks import missing_writes
from tests.chaos.load import WriteLoad, succeeded, tally, unexpected

RPC_QUEUE = "rpc-customers"


@pytest.mark.timeout(240)
def test_killing_one_of_two_customers_replicas_mid_load_loses_no_acknowledged_write(
        stack, test_env, site, writer):
    amqp_uri = test_env["AMQP_URI"]
    limit = float(test_env["RPC_TIMEOUT"]) + 5
    stack.start("customers#2")
    try:
        wait_for_consumers(amqp_uri, RPC_QUEUE, 2)
        load = WriteLoad(stack.url, writer.token, site["id"], threads=4, request_timeout=limit)
        outcomes = load.run_for(15, during=lambda: stack.kill("customers"))
    finally:
        if "customers" not in stack.procs:
            stack.start("customers")
        wait_for_consumers(amqp_uri, RPC_QUEUE, 2)
        stack.kill("customers#2", signal.SIGTERM)
    stack.wait_ready()

    counts = tally(outcomes)
    wrong = unexpected(outcomes)
    assert len(succeeded(outcomes, "customer")) > 20, counts
    assert not wrong, "%d of %d requests were neither 201 nor a 503 (%s): %s" % (
        len(wrong), len(outcomes), counts, [(o.kind, o.status, o.body) for o in wrong[:5]])
    slowest = max(o.seconds for o in outcomes)
    assert slowest < limit, "the slowest request took %.1f s (%s)" % (slowest, counts)

    acknowledged = len(succeeded(outcomes, "customer"))
    attempted = len([o for o in outcomes if o.kind == "customer"])
    stored = writer.get("/customers", params={"limit": 1}).json()["total"]
    assert acknowledged <= stored <= attempted, (
        "the site holds %d customers for %d acknowledged of %d attempted creations" % (stored, acknowledged, attempted))

    customers, interactions = missing_writes(writer, outcomes)
    assert not customers and not interactions, (
        "acknowledged but missing: %d of %d customers, %d of %d interactions" % (
            len(customers), len(succeeded(outcomes, "customer")),
            len(interactions), len(succeeded(outcomes, "interaction"))))
