"""Prometheus metrics of a service process, served on ``CRM_METRICS_PORT`` (0: not served).

``Observability`` is a dependency every service has (ServiceBase): it times each entrypoint,
and sets the request id the worker logs under — from the RPC's context data, or from the
envelope of the event being handled.
"""
import logging
import time
import weakref

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.common import config, logs
from services.common.errors import CrmError

log = logging.getLogger(__name__)

ENTRYPOINT_SECONDS = Histogram(
    "crm_entrypoint_seconds", "Time a service spent in an entrypoint (RPC, event handler, timer).",
    ["service", "kind", "entrypoint", "outcome"])
EVENTS_HANDLED = Counter(
    "crm_events_handled_total", "Events a service's handlers took (handled, duplicate or failed).",
    ["service", "event_type", "outcome"])
EVENTS_PUBLISHED = Counter(
    "crm_events_published_total", "Events the outbox relay published with a broker confirm.", ["service", "event_type"])
OUTBOX_BACKLOG = Gauge(
    "crm_outbox_backlog", "Records with events not yet published, as the relay last saw them.", ["service"])
WEBHOOK_DELIVERIES = Counter(
    "crm_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "crm_webhook_delivery_seconds", "From the event's time to a successful webhook delivery.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600))

_exporter = {"port": None}


def serve(port):
    """Serve this process's metrics on ``port`` once; a port in use is logged, not fatal."""
    if not port or _exporter["port"] is not None:
        return
    try:
        start_http_server(port)
        _exporter["port"] = port
    except OSError as exc:
        log.warning("metrics not served on port %d: %s", port, exc)


def _kind(entrypoint):
    name = type(entrypoint).__name__.lower()
    return "rpc" if "rpc" in name else "event" if "event" in name else "timer" if "timer" in name else name


def _event_type(worker_ctx):
    args = worker_ctx.args or ()
    return args[0].get("type") if args and isinstance(args[0], dict) and "event_id" in args[0] else None


def _request_id_of(worker_ctx):
    data = worker_ctx.data or {}
    if data.get("request_id"):
        return data["request_id"]
    args = worker_ctx.args or ()
    if args and isinstance(args[0], dict) and "event_id" in args[0]:
        return args[0].get("request_id")
    return None


class Observability(DependencyProvider):
    def setup(self):
        self.service = self.container.service_name
        self.started = weakref.WeakKeyDictionary()
        logs.set_process_name(self.service)
        serve(config.get_int("CRM_METRICS_PORT"))

    def worker_setup(self, worker_ctx):
        logs.bind_request_id(_request_id_of(worker_ctx))
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        if started is None:
            return
        if exc_info is None:
            outcome = "ok"
        else:
            outcome = "refused" if isinstance(exc_info[1], CrmError) else "error"
        entrypoint, kind = worker_ctx.entrypoint, _kind(worker_ctx.entrypoint)
        elapsed = time.perf_counter() - started
        ENTRYPOINT_SECONDS.labels(self.service, kind, entrypoint.method_name, outcome).observe(elapsed)
        # One line per RPC and event handled (timers, and the revocation polls every process makes
        # every few seconds, only at DEBUG).
        quiet = kind == "timer" or entrypoint.method_name == "revocations_since"
        log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s in %.1f ms",
                kind, entrypoint.method_name, outcome, elapsed * 1000,
                extra={"entrypoint": entrypoint.method_name, "kind": kind, "outcome": outcome,
                       "duration_ms": round(elapsed * 1000, 1), "event_type": _event_type(worker_ctx)})

    def worker_teardown(self, worker_ctx):
        logs.bind_request_id(None)
