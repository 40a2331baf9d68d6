"""What one RPC costs in CPU: the caller's client, the service answering it, and the broker.

Starts a service of one method under a name of its own (the services' own RPC entrypoint,
``services.common.entrypoints.rpc``, answering a customer-sized document) and calls it through the
gateway's client (``services.common.remote.Client``) from ``--threads`` threads, in ``--rounds``
slices of ``--calls`` calls; reports the median CPU milliseconds per call of this process (the
client), the service's process and the RabbitMQ node, and the wall time per call. Run it on two
checkouts one after the other to compare versions of the hop; nothing else should be using the
broker meanwhile.

    .venv/bin/python -m bench.rpc_hop --rounds 5 --calls 2000
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

from bench import cpu
from services.common import config
from services.common.remote import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICE = r'''
import eventlet
eventlet.monkey_patch()
import sys
from nameko.containers import ServiceContainer
from services.common.entrypoints import rpc

DOCUMENT = {"legal_name": "Suzhou Precision Machinery Co., Ltd.", "tags": ["vip", "machinery"],
            "site_id": "site-1", "annual_revenue": 1250000.0, "version": 3, "notes": "n" * 300,
            "addresses": [{"type": "billing", "province": "江苏", "city": "苏州", "line": "x" * 40}] * 2,
            "contacts": [{"name": "张伟", "phone": "13800000000", "email": "buyer@example.com"}] * 3}


class Probe:
    name = sys.argv[1]

    @rpc
    def get(self, number):
        return dict(DOCUMENT, id=number)


container = ServiceContainer(Probe, {"AMQP_URI": sys.argv[2], "serializer": "json"})
container.start()
container.wait()
'''
CONTEXT = {"authorization": "t" * 400, "request_id": "r" * 32, "client_addr": "127.0.0.1"}


def calls(client, service, count, threads):
    """``count`` calls split over ``threads`` threads; -> seconds of wall time."""
    share = [count // threads + (1 if n < count % threads else 0) for n in range(threads)]

    def work(n):
        for number in range(share[n]):
            client.call(service, "get", number, context=CONTEXT)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--threads", type=int, default=1, help="calling threads")
    args = parser.parse_args()

    amqp_uri = config.get("AMQP_URI")
    name = "rpc_hop_%s" % uuid.uuid4().hex[:8]
    service = subprocess.Popen([sys.executable, "-c", SERVICE, name, amqp_uri], cwd=ROOT,
                               env=dict(os.environ, PYTHONPATH=ROOT, PYTHONWARNINGS="ignore"),
                               stderr=subprocess.DEVNULL)
    client = Client(amqp_uri, timeout=10, size=args.threads)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.call(name, "get", 0, context=CONTEXT)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        calls(client, name, 300, args.threads)
        rows = []
        for _ in range(args.rounds):
            meter = cpu.Meter({"service": [service.pid], "broker": cpu.broker_pids()})
            meter.start()
            before = time.process_time()
            wall = calls(client, name, args.calls, args.threads)
            spent = meter.stop()
            rows.append(((time.process_time() - before), spent["service"], spent["broker"], wall))
    finally:
        client.close()
        service.terminate()
        service.wait(10)
    client_ms, service_ms, broker_ms, wall_ms = (
        statistics.median(column) * 1000 / args.calls for column in zip(*rows))
    print("load average %.1f; %d rounds of %d calls from %d thread(s)" % (
        os.getloadavg()[0], args.rounds, args.calls, args.threads))
    print("CPU ms per call: client %.3f, service %.3f, broker %.3f (total %.3f); wall %.3f ms per call" % (
        client_ms, service_ms, broker_ms, client_ms + service_ms + broker_ms, wall_ms))


if __name__ == "__main__":
    main()
