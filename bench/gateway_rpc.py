"""Throughput and latency of an RPC round trip through the gateway, against a running system."""
import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def measure(url, total, concurrency):
    session_per_thread = {}

    def one(_):
        session = session_per_thread.setdefault(threading.get_ident(), requests.Session())
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for latency, _ in results)
    errors = sum(1 for _, status in results if status != 200)
    return {
        "requests": total, "errors": errors, "throughput_rps": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url", nargs="?", default="http://localhost:8001",
                        help="the gateway's internal listener (GATEWAY_INTERNAL_PORT)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    url = args.base_url.rstrip("/") + "/api/v1/services/accounts/health"
    measure(url, 50, 2)
    result = measure(url, args.requests, args.concurrency)
    for key, value in result.items():
        print("%-16s %s" % (key, round(value, 2) if isinstance(value, float) else value))


if __name__ == "__main__":
    main()
