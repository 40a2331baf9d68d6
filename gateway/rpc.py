"""A per-process pool of started nameko RPC proxies.

Proxies are created lazily in the process that uses them (so after gunicorn forks), one is
checked out per call, and a proxy that timed out or lost its broker connection is thrown away
(with the rest of the pool, when the broker itself went away).
"""
import logging
import os
import queue
import socket
import threading
import time

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.exceptions import ContainerBeingKilled, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from gateway import metrics
from services.common.errors import Unavailable

log = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, AMQPError, socket.error, ConnectionError, IOError)


class _Entry:
    def __init__(self, amqp_uri, timeout):
        self.context = {}
        self.standalone = ClusterRpcProxy(
            {"AMQP_URI": amqp_uri, "serializer": "json"}, context_data=self.context, timeout=timeout
        )
        self.proxy = self.standalone.start()

    def stop(self):
        try:
            self.standalone.stop()
        except Exception:
            log.debug("stopping a broken RPC proxy", exc_info=True)


class RpcPool:
    def __init__(self, app=None):
        self._lock = threading.Lock()
        self._pid = None
        self._idle = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        self.amqp_uri = app.config["AMQP_URI"]
        self.timeout = float(app.config["RPC_TIMEOUT"])
        self.size = int(app.config["RPC_POOL_SIZE"])
        app.extensions["rpc"] = self

    def call(self, service, method, *args, context=None, **kwargs):
        """Call ``service.method`` with ``context`` as nameko context data; broker trouble is 503."""
        entry = self._checkout(service)
        entry.context.clear()
        entry.context.update(context or {})
        started = time.perf_counter()
        outcome = "error"
        try:
            result = getattr(getattr(entry.proxy, service), method)(*args, **kwargs)
            outcome = "ok"
        except RpcTimeout:
            entry.stop()
            outcome = "timeout"
            raise Unavailable("The %s service did not answer in time." % service, extra={"service": service})
        except (UnknownService, ContainerBeingKilled):
            self._checkin(entry)
            outcome = "unavailable"
            raise Unavailable("The %s service is unavailable." % service, extra={"service": service})
        except BROKER_ERRORS as exc:
            log.warning("broker error calling %s.%s: %s", service, method, exc)
            entry.stop()
            self._flush()
            outcome = "unavailable"
            raise Unavailable("The message broker is unavailable.", extra={"service": service})
        except Exception:
            self._checkin(entry)
            raise
        finally:
            metrics.RPC_LATENCY.labels(service, method, outcome).observe(time.perf_counter() - started)
        self._checkin(entry)
        return result

    def _pool(self):
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    self._idle = queue.LifoQueue()
                    self._pid = pid
        return self._idle

    def _checkout(self, service):
        try:
            return self._pool().get_nowait()
        except queue.Empty:
            pass
        try:
            return _Entry(self.amqp_uri, self.timeout)
        except BROKER_ERRORS as exc:
            log.warning("cannot reach the broker: %s", exc)
            raise Unavailable("The message broker is unavailable.", extra={"service": service})

    def _checkin(self, entry):
        idle = self._pool()
        if idle.qsize() < self.size:
            idle.put(entry)
        else:
            entry.stop()

    def _flush(self):
        idle = self._pool()
        while True:
            try:
                idle.get_nowait().stop()
            except queue.Empty:
                return
