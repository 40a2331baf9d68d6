"""Prometheus metrics of the gateway (multiprocess-aware under gunicorn)."""
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess,
)

REQUEST_LATENCY = Histogram(
    "crm_http_request_seconds", "Gateway request latency by route.", ["method", "route", "status"]
)
RPC_LATENCY = Histogram(
    "crm_rpc_call_seconds", "Latency of RPC calls made by the gateway.", ["service", "method", "outcome"]
)


def exposition():
    """(body, content type) of every worker's metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
