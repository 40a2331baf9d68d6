"""The one RPC client of the gateway and the services: every call bounded by a timeout (docs/architecture.md §9).

nameko's RpcProxy dependency has no timeout, so a dead peer would hang a worker, and its standalone
proxy connects anew for every call. A ``Client`` keeps started proxies in a per-process pool
instead: they are created lazily in the process that uses them (so after gunicorn forks), one is
checked out per call, and a proxy that timed out or lost its broker connection is thrown away
(with the rest of the pool, when the broker itself went away). An idle proxy is checked before
use, so the first call after a broker restart gets a fresh proxy rather than a 503.

A proxy speaks nameko's RPC protocol with nameko's reply listener, and publishes its requests
on the listener's own connection, kept for its life. Requests are ``mandatory`` and neither
confirmed nor persisted: a request no queue takes (a service nobody serves) comes back as a
return on that connection, which the wait for the reply reads, so the call is UnknownService at
once without a confirm's round trip per call; a request outliving its caller's timeout is of no
use to anyone.

The gateway binds a ``Client`` to its app; a service calls another with ``call``, forwarding the
caller's token and request id.
"""
import logging
import os
import queue
import socket
import threading
import time
import uuid

from amqp.exceptions import AMQPError
from kombu import Consumer, Producer
from kombu.common import maybe_declare
from kombu.exceptions import OperationalError
from nameko.constants import HEADER_PREFIX, NON_PERSISTENT
from nameko.exceptions import ContainerBeingKilled, MethodNotFound, RpcTimeout, UnknownService
from nameko.rpc import RpcReply, get_rpc_exchange
from nameko.standalone.rpc import PollingQueueConsumer, SingleThreadedReplyListener, StandaloneProxyBase

from services.common import config, logs
from services.common.errors import Unavailable

log = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, AMQPError, socket.error, ConnectionError, IOError)


def message_headers(context):
    """nameko's context data headers: ``nameko.<key>`` for each value that is set."""
    return {"%s.%s" % (HEADER_PREFIX, key): value for key, value in context.items() if value is not None}


class _UnacknowledgedReplies(PollingQueueConsumer):
    """nameko's polling reply consumer, taking replies without acknowledgements: the reply queue is
    the proxy's own (exclusive, deleted with its connection), so acknowledging would only cost a
    frame and the broker's work on it per call."""

    def _setup_consumer(self):
        if self.consumer is not None:
            try:
                self.consumer.cancel()
            except OSError:
                pass  # the connection is gone already, and the consumer with it
        channel = self.connection.channel()
        self.queue = self.queue.bind(channel)
        maybe_declare(self.queue, channel)
        self.consumer = Consumer(channel, queues=[self.queue], accept=self.accept, no_ack=True,
                                 callbacks=[self.on_message])
        self.consumer.consume()


class _ReplyListener(SingleThreadedReplyListener):
    def __init__(self, timeout=None):
        super().__init__(timeout=timeout)
        self.queue_consumer = _UnacknowledgedReplies(timeout=timeout)


class _Entry:
    """One started proxy: a reply queue with its listener, and a producer on the listener's connection."""

    def __init__(self, amqp_uri, timeout):
        config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self.exchange = get_rpc_exchange(config)
        self.container = StandaloneProxyBase.ServiceContainer(config)  # the listener holds it weakly
        self.replies = _ReplyListener(timeout=timeout).bind(self.container)
        try:
            self.replies.setup()
            self.connection = self.replies.queue_consumer.connection
            self.producer = Producer(self.connection.channel(), exchange=self.exchange, serializer="json",
                                     on_return=self._returned)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _returned(exception, exchange, routing_key, message):
        """A request no queue took, read while waiting for its reply: nobody serves its service."""
        raise UnknownService(routing_key.split(".", 1)[0])

    def call(self, service, method, args, kwargs, context, timeout):
        """``service.method(*args, **kwargs)``, waiting for the reply (RpcTimeout after ``timeout`` seconds)."""
        self.replies.queue_consumer.timeout = timeout
        correlation_id = str(uuid.uuid4())
        reply = RpcReply(self.replies.get_reply_event(correlation_id))
        self.producer.publish(
            {"args": args, "kwargs": kwargs}, routing_key="%s.%s" % (service, method), mandatory=True,
            reply_to=self.replies.routing_key, correlation_id=correlation_id,
            headers=message_headers(context), delivery_mode=NON_PERSISTENT)
        return reply.result()

    def usable(self):
        """False when the broker closed this proxy's connection while it sat idle (a broker restart,
        a forced close): a request published on it would fail, and the caller would get a 503."""
        try:
            self.connection.drain_events(timeout=0)
        except socket.timeout:
            return True
        except BROKER_ERRORS:
            return False
        return True

    def stop(self):
        try:
            self.replies.stop()
        except Exception:
            log.debug("stopping a broken RPC proxy", exc_info=True)


class Client:
    """A per-process pool of started proxies on one broker: up to ``size`` kept idle, each call
    waiting ``timeout`` seconds unless it says otherwise.

    ``latency``, when given, is a histogram labelled service, method and outcome (ok, error,
    timeout, unavailable) that every call is timed into.
    """

    def __init__(self, amqp_uri=None, timeout=None, size=1, latency=None):
        self._lock = threading.Lock()
        self._pid = None
        self._idle = None
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.size = size
        self.latency = latency

    def init_app(self, app):
        """Take the broker, timeout and pool size from a Flask app's config."""
        self.amqp_uri = app.config["AMQP_URI"]
        self.timeout = float(app.config["RPC_TIMEOUT"])
        self.size = int(app.config["RPC_POOL_SIZE"])
        app.extensions["rpc"] = self

    def call(self, service, method, *args, context=None, timeout=None, **kwargs):
        """Call ``service.method`` with ``context`` as nameko context data, waiting ``timeout`` seconds
        at most (the client's own by default); no answer, or broker trouble, is Unavailable (503)."""
        entry = self._checkout(service)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = entry.call(service, method, args, kwargs, context or {}, timeout or self.timeout)
            outcome = "ok"
        except RpcTimeout:
            entry.stop()
            outcome = "timeout"
            raise Unavailable("The %s service did not answer in time." % service, extra={"service": service})
        except UnknownService:
            entry.stop()  # the return was raised out of its frame handling: the proxy is not reused
            outcome = "unavailable"
            raise Unavailable("The %s service is unavailable." % service, extra={"service": service})
        except ContainerBeingKilled:
            self._checkin(entry)
            outcome = "unavailable"
            raise Unavailable("The %s service is unavailable." % service, extra={"service": service})
        except MethodNotFound:
            # A replica of an older version answered (a rolling upgrade): the request cannot be served yet.
            self._checkin(entry)
            outcome = "unavailable"
            log.warning("%s has no method %s: an older version is running", service, method)
            raise Unavailable("The %s service cannot answer this yet." % service, extra={"service": service})
        except BROKER_ERRORS as exc:
            entry.stop()
            self._flush()
            log.warning("broker error calling %s.%s: %s", service, method, exc)
            outcome = "unavailable"
            raise Unavailable("The message broker is unavailable.", extra={"service": service})
        except Exception:
            self._checkin(entry)
            raise
        finally:
            if self.latency is not None:
                self.latency.labels(service, method, outcome).observe(time.perf_counter() - started)
        self._checkin(entry)
        return result

    def close(self):
        """Stop this process's idle proxies."""
        self._flush()

    def _pool(self):
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    self._idle = queue.LifoQueue()
                    self._pid = pid
        return self._idle

    def _checkout(self, service):
        idle = self._pool()
        try:
            entry = idle.get_nowait()
        except queue.Empty:
            pass
        else:
            if entry.usable():
                return entry
            entry.stop()
            self._flush()  # the broker went away since: the other idle proxies are as stale
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


_clients = {}
_clients_lock = threading.Lock()


def shared_client():
    """This process's client on the configured broker (one per ``AMQP_URI``)."""
    amqp_uri = config.get("AMQP_URI")
    client = _clients.get(amqp_uri)
    if client is None:
        with _clients_lock:
            client = _clients.setdefault(amqp_uri, Client(amqp_uri, size=config.get_int("RPC_POOL_SIZE")))
    return client


def call(service, method, *args, token=None, timeout=None, **kwargs):
    """``service.method(*args, **kwargs)`` from a service, as the caller holding ``token``; Unavailable
    when no answer came within ``timeout`` seconds (``RPC_TIMEOUT``) or the broker is away."""
    context = {"authorization": token} if token else {}
    if logs.current_request_id():
        context["request_id"] = logs.current_request_id()
    try:
        return shared_client().call(service, method, *args, context=context,
                                    timeout=timeout or config.get_float("RPC_TIMEOUT"), **kwargs)
    except Unavailable as exc:
        log.warning("%s.%s unavailable: %s", service, method, exc.message)
        raise
