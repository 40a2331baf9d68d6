"""Structured logs: one JSON object per line, each carrying the request id of the work it belongs to.

The gateway takes ``X-Request-ID`` (or makes one) and passes it as nameko context data on every
RPC; services pass it on to the services they call and stamp it on the events they publish, and
an event handler works under the id of the event that woke it. ``request_scope`` sets the id for
the code inside it; ``RequestIdFilter`` puts it on every log record.
"""
import contextlib
import logging
import threading

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from services.common import config

# A record leaves out the thread and the process, which no format here prints (under eventlet,
# looking the thread up walks every green thread): the logging documentation's "Optimization"
# switches.
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False

_local = threading.local()  # greenlet-local in the services (eventlet patches threading)
_process = {"name": "crm"}


def process_name():
    return _process["name"]


def set_process_name(name):
    """Name this process's log lines carry (the service, or ``gateway``)."""
    _process["name"] = name


def current_request_id():
    return getattr(_local, "request_id", None)


def bind_request_id(request_id):
    """Log under ``request_id`` from now on in this thread (None: no request)."""
    _local.request_id = request_id


@contextlib.contextmanager
def request_scope(request_id):
    """Log (and stamp events) under ``request_id`` inside the block; restores the previous id."""
    previous = current_request_id()
    _local.request_id = request_id
    try:
        yield
    finally:
        _local.request_id = previous


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None) and ``service`` to every record."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        record.service = _process["name"]
        return True


class JsonFormatter(_JsonFormatter):
    """time (UTC ISO 8601), level, logger, message, service, request_id — and exc_info when there is one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__("%(levelname)s %(name)s %(message)s %(service)s %(request_id)s", **kwargs)


def logging_config():
    """The ``logging.config.dictConfig`` of every process: JSON lines (or plain with LOG_FORMAT=plain)."""
    plain = config.get("LOG_FORMAT") == "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "plain": {"format": "%(asctime)s %(levelname)s %(service)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain" if plain else "json",
                        "filters": ["request_id"]},
        },
        "root": {"level": config.get("LOG_LEVEL"), "handlers": ["console"]},
    }
