"""The RPC client's pool against the real broker: an idle proxy whose connection the broker
closed (as a broker restart does) is replaced before use, so no request fails on it."""
import select
import subprocess

import eventlet
import pytest
from nameko.rpc import rpc

from services.common.errors import Unavailable
from services.common.remote import Client
from tests.chaos.broker import vhost_of


class Echo:
    name = "pool_echo"

    @rpc
    def ping(self, word):
        return word

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "late"


def broker_connections(vhost):
    """``{peer_port: connection pid}`` of the connections the broker holds on ``vhost``."""
    listed = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "vhost", "peer_port"],
                            check=True, capture_output=True, text=True, timeout=60).stdout
    found = {}
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == vhost:
            found[int(parts[2])] = parts[0]
    return found


def close_from_the_broker(vhost, sock):
    """Have the broker close the connection on ``sock``, and wait until its closing reaches us."""
    pid = broker_connections(vhost)[sock.getsockname()[1]]
    subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test: forced close"],
                   check=True, capture_output=True, timeout=60)
    readable, _, _ = select.select([sock], [], [], 30)
    assert readable, "the broker did not close the connection"


def pool_for(amqp_uri):
    return Client(amqp_uri, timeout=10, size=4)


def test_an_idle_proxy_closed_by_the_broker_is_replaced_before_the_next_call(run_service, integration_amqp_uri):
    run_service(Echo)
    pool = pool_for(integration_amqp_uri)
    assert pool.call("pool_echo", "ping", "first") == "first"
    [stale] = list(pool._pool().queue)

    close_from_the_broker(vhost_of(integration_amqp_uri), stale.connection.connection.sock)

    assert pool.call("pool_echo", "ping", "second") == "second"
    [fresh] = list(pool._pool().queue)
    assert fresh is not stale


def test_a_live_idle_proxy_is_reused(run_service, integration_amqp_uri):
    run_service(Echo)
    pool = pool_for(integration_amqp_uri)
    assert pool.call("pool_echo", "ping", "a") == "a"
    [first] = list(pool._pool().queue)
    assert pool.call("pool_echo", "ping", "b") == "b"
    assert list(pool._pool().queue) == [first]


def test_a_method_an_older_replica_lacks_is_unavailable_and_the_proxy_serves_on(run_service, integration_amqp_uri):
    """During a rolling upgrade a request may reach a replica without the method: 503, not 500."""
    run_service(Echo)
    pool = pool_for(integration_amqp_uri)
    with pytest.raises(Unavailable) as refused:
        pool.call("pool_echo", "added_in_the_next_version", "x")
    assert refused.value.code == "service_unavailable" and refused.value.extra == {"service": "pool_echo"}
    assert pool.call("pool_echo", "ping", "still") == "still"
    assert len(pool._pool().queue) == 1


def refused_then_served(pool, service, method, *args, reply_after=0):
    """The Unavailable ``service.method(*args)`` gets; the proxy it used is dropped, and the next calls
    to pool_echo, after any late reply was sent (``reply_after`` seconds), are served by one fresh proxy."""
    with pytest.raises(Unavailable) as refused:
        pool.call(service, method, *args)
    assert len(pool._pool().queue) == 0
    eventlet.sleep(reply_after)  # a late reply goes to a reply queue gone with its proxy
    assert [pool.call("pool_echo", "ping", word) for word in ("one", "two")] == ["one", "two"]
    assert len(pool._pool().queue) == 1
    return refused.value


def test_a_service_nobody_serves_is_unavailable_at_once_and_the_proxy_is_replaced(run_service, integration_amqp_uri):
    """The request comes back from the broker unrouted: 503 naming the service, not a wait for the timeout."""
    run_service(Echo)
    refused = refused_then_served(Client(integration_amqp_uri, timeout=120, size=4), "nobody_serves_this", "ping", "x")
    assert refused.message == "The nobody_serves_this service is unavailable."
    assert refused.extra == {"service": "nobody_serves_this"}


def test_a_call_past_its_timeout_is_unavailable_and_its_late_reply_reaches_no_other(run_service, integration_amqp_uri):
    run_service(Echo)
    refused = refused_then_served(Client(integration_amqp_uri, timeout=1, size=4), "pool_echo", "slow", 3,
                                  reply_after=3)
    assert refused.message == "The pool_echo service did not answer in time."
