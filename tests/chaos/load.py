"""A write load through the gateway: threads creating customers and logging interactions,
keeping the outcome of every request so a test can check each one afterwards."""
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from tests.support.api import Api
from tests.support.customers import cjk

OK, UNAVAILABLE = "ok", "unavailable"


@dataclass
class Outcome:
    kind: str
    status: object
    seconds: float
    customer_id: str = None
    record_id: str = None
    legal_name: str = None
    body: str = ""


@dataclass
class WriteLoad:
    """``threads`` writers against ``base_url`` as the holder of ``token`` until ``stop()``.

    ``request_timeout`` bounds every request: one that takes longer is recorded with the
    status ``"hang"``, a refused or dropped connection as ``"connection"``.
    """

    base_url: str
    token: str
    site_id: str
    threads: int = 4
    request_timeout: float = 10.0
    outcomes: list = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._workers = []
        self._lock = threading.Lock()

    def start(self):
        for number in range(self.threads):
            worker = threading.Thread(target=self._write, args=(number,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self):
        self._stop.set()
        for worker in self._workers:
            worker.join(self.request_timeout * 3)
        assert not any(worker.is_alive() for worker in self._workers), "a load thread did not finish"
        return self.outcomes

    def run_for(self, seconds, during=None, at=None):
        """Load for ``seconds``; ``during()`` is called ``at`` seconds in (default: halfway)."""
        self.start()
        try:
            time.sleep(seconds / 2 if at is None else at)
            if during is not None:
                during()
            time.sleep(max(seconds - (seconds / 2 if at is None else at), 0))
        finally:
            self.stop()
        return self.outcomes

    def _write(self, number):
        api = Api(self.base_url, self.token)
        mine = []
        while not self._stop.is_set():
            if mine and len(mine) % 2 == 0:
                self._log_interaction(api, mine[-1])
            created = self._create_customer(api, number)
            if created:
                mine.append(created)

    def _create_customer(self, api, number):
        name = "%s压力%d精工有限公司%s" % (cjk(3), number, uuid.uuid4().hex[:4])
        response = self._send(api, "customer", "POST", "/customers",
                              json={"legal_name": name, "site_id": self.site_id},
                              params={"force": "true"}, legal_name=name)
        return response.customer_id if response.status == 201 else None

    def _log_interaction(self, api, customer_id):
        summary = "Load call %s" % uuid.uuid4().hex[:8]
        self._send(api, "interaction", "POST", "/customers/%s/interactions" % customer_id,
                   json={"kind": "call", "occurred_at": "2026-11-20T10:00:00+08:00", "summary": summary},
                   customer_id=customer_id, legal_name=summary)

    def _send(self, api, kind, method, path, customer_id=None, legal_name=None, **kwargs):
        started = time.monotonic()
        outcome = Outcome(kind, None, 0.0, customer_id=customer_id, legal_name=legal_name)
        try:
            response = api.request(method, path, timeout=self.request_timeout, **kwargs)
            outcome.status, outcome.body = response.status_code, response.text[:300]
            if response.status_code == 201:
                record = response.json()
                if kind == "customer":
                    outcome.customer_id = record["id"]
                else:
                    outcome.record_id = record["id"]
        except requests.Timeout:
            outcome.status = "hang"
        except requests.ConnectionError as exc:
            outcome.status, outcome.body = "connection", str(exc)[:300]
        outcome.seconds = time.monotonic() - started
        with self._lock:
            self.outcomes.append(outcome)
        return outcome


def tally(outcomes):
    """``{status: count}`` of ``outcomes``, for assertion messages."""
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def succeeded(outcomes, kind):
    return [o for o in outcomes if o.kind == kind and o.status == 201]


def unexpected(outcomes):
    """Outcomes that are neither a success nor a clear 503 ``service_unavailable`` answer."""
    return [o for o in outcomes if o.status != 201 and not (o.status == 503 and "service_unavailable" in o.body)]
