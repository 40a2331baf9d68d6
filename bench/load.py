"""A closed-loop HTTP load: C client threads, each with one keep-alive connection, sending the
next request as soon as the previous answer arrived, for a fixed time."""
import http.client
import json
import math
import threading
import time
from urllib.parse import urlsplit


class Client:
    """One keep-alive connection to ``base_url``, reopened after an error."""

    def __init__(self, base_url, headers=None, timeout=30):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None):
        """-> (status, parsed JSON body or None); status 0 for a transport error."""
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.connection.request(method, path, payload, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None
        return response.status, json.loads(data) if data else None

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(len(sorted_values) * fraction) - 1)]


class Result:
    """Latencies (seconds) and statuses of one timed run."""

    def __init__(self, latencies, statuses, elapsed):
        self.latencies = sorted(latencies)
        self.statuses = statuses
        self.elapsed = elapsed

    @property
    def requests(self):
        return len(self.statuses)

    @property
    def errors(self):
        return sum(1 for status in self.statuses if not 200 <= status < 300)

    @property
    def throughput(self):
        return (self.requests - self.errors) / self.elapsed if self.elapsed else 0.0

    def p(self, fraction):
        return percentile(self.latencies, fraction)

    @classmethod
    def merged(cls, results):
        """One result of several runs: requests and time add up, latencies pool."""
        return cls([x for r in results for x in r.latencies], [x for r in results for x in r.statuses],
                   sum(r.elapsed for r in results))


def drive(base_url, headers, make_request, seconds, concurrency):
    """Run ``make_request(worker, n) -> (method, path, body)`` from ``concurrency`` threads for
    ``seconds``; -> Result of the requests answered within the time."""
    start = threading.Barrier(concurrency + 1)
    outcomes = [[] for _ in range(concurrency)]
    stop_at = [0.0]

    def work(worker):
        client = Client(base_url, headers)
        start.wait()
        n = 0
        while True:
            method, path, body = make_request(worker, n)
            sent = time.perf_counter()
            if sent >= stop_at[0]:
                break
            status, _ = client.request(method, path, body)
            outcomes[worker].append((time.perf_counter() - sent, status))
            n += 1
        client.close()

    threads = [threading.Thread(target=work, args=(worker,), daemon=True) for worker in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    pairs = [pair for outcome in outcomes for pair in outcome]
    return Result([latency for latency, _ in pairs], [status for _, status in pairs], elapsed)
