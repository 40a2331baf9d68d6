"""Event to webhook latency: from a write's 2xx to the webhook delivery of the event it caused.

Starts a private system (``bench/system.py``), subscribes a webhook through the gateway to a
receiver in this process, creates customers through the gateway one at a time at random
intervals, and times each ``customers.customer_created`` delivery from the create's 201 (and
from the envelope's ``occurred_at``). The receiver answers every delivery 204 at once, so no
delivery is retried.

    .venv/bin/python -m bench.webhook_latency --events 300
"""
import argparse
import json
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from bench.load import percentile
from bench.system import private_system
from services.common.clock import parse_time
from tests.support.servers import free_port

TARGET_P99 = 1.0


class Receiver:
    """An HTTP server keeping, per customer id, when its ``customer_created`` delivery arrived."""

    def __init__(self):
        self.arrivals = {}
        self.duplicates = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived, wall = time.monotonic(), time.time()
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(204)
                self.end_headers()
                receiver.record(event, arrived, wall)

            def log_message(self, *args):
                pass

        return Handler

    def record(self, event, arrived, wall):
        key = event["data"].get("customer_id")
        with self.lock:
            if key in self.arrivals:
                self.duplicates += 1
            else:
                self.arrivals[key] = (arrived, wall, event)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def subscribe(system, url):
    response = requests.post(system.url + "/api/v1/webhooks", headers=system.headers, timeout=15, json={
        "url": url, "event_types": ["customers.customer_created"], "site_id": system.site_id})
    response.raise_for_status()


def create_customers(system, count, gap):
    """Create ``count`` customers, ``gap`` seconds apart on average; -> {customer id: monotonic time of the 201}."""
    session = requests.Session()
    session.headers.update(system.headers)
    acknowledged = {}
    for _ in range(count):
        body = {"legal_name": "Webhook bench %s Co., Ltd." % uuid.uuid4().hex[:16], "industry": "machinery"}
        response = session.post(system.url + "/api/v1/customers", json=body, timeout=15)
        if response.status_code == 201:
            acknowledged[response.json()["id"]] = time.monotonic()
        time.sleep(random.uniform(0, 2 * gap))
    return acknowledged


def wait_for(receiver, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not expected <= set(receiver.arrivals):
        time.sleep(0.1)


def summary(label, seconds):
    seconds = sorted(seconds)
    return "%-26s p50 %6.0f ms  p90 %6.0f ms  p99 %6.0f ms  max %6.0f ms" % (
        label, percentile(seconds, 0.50) * 1000, percentile(seconds, 0.90) * 1000,
        percentile(seconds, 0.99) * 1000, seconds[-1] * 1000 if seconds else float("nan"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.1, help="mean seconds between creates")
    parser.add_argument("--warmup", type=int, default=10, help="events sent first and not counted")
    parser.add_argument("--keep", action="store_true", help="keep the system's logs")
    args = parser.parse_args()
    with private_system(keep=args.keep) as system, Receiver() as receiver:
        subscribe(system, receiver.url)
        warm = create_customers(system, args.warmup, args.gap)
        wait_for(receiver, set(warm), 30)
        acknowledged = create_customers(system, args.events, args.gap)
        wait_for(receiver, set(acknowledged), 30)
        delivered = {cid: receiver.arrivals[cid] for cid in acknowledged if cid in receiver.arrivals}
        from_ack = [arrived - acknowledged[cid] for cid, (arrived, _, _) in delivered.items()]
        from_event = [wall - parse_time(event["occurred_at"]).timestamp() for _, wall, event in delivered.values()]
    print("%d customers created, %d deliveries arrived, %d duplicates" % (
        len(acknowledged), len(delivered), receiver.duplicates))
    print(summary("from the create's 201", from_ack))
    print(summary("from the event's occurred_at", from_event))
    p99 = percentile(sorted(from_ack), 0.99)
    print("target p99 <= %.0f ms: %s" % (TARGET_P99 * 1000, "met" if p99 <= TARGET_P99 else "NOT met"))


if __name__ == "__main__":
    main()
