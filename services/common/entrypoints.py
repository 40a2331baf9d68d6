"""nameko's RPC and event entrypoints, made safe for a broker connection lost mid-message.

nameko kills the whole service container when an entrypoint cannot publish a reply or
acknowledge a message (an error in the thread that finishes a worker is fatal to it), which
stops the process for good. A broker outage does exactly that to whichever worker finishes
between the broker going away and the consumer noticing: its acknowledgement goes out on a dead
socket. These entrypoints log such a loss instead; the broker redelivers what was not
acknowledged once the consumer has reconnected.
"""
import functools
import inspect
import logging
import sys

import kombu.serialization
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.pools import producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
)
from nameko.events import EventHandler
from nameko.exceptions import IncorrectSignature, MethodNotFound, UnserializableValueError, serialize
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from services.common.errors import CrmError, Unavailable

log = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, AMQPError, OSError)


class Replies:
    """Publishes RPC replies: serialized once, neither confirmed nor persisted, from a producer pool
    kept per broker.

    A reply matters only to a caller still waiting for it: a confirm would cost a broker round
    trip per call and change nothing (a reply the broker lost is the caller's timeout either
    way), and a reply kept on disk would outlive its caller. nameko's own responder serializes
    each result twice (a check, then the message) and builds a connection and looks up its pool
    for every reply; that was a third of a small RPC's cost in the service.
    """

    def __init__(self):
        self._connections = {}

    def _connection(self, amqp_uri, ssl, login_method):
        key = (amqp_uri, repr(ssl), login_method)
        connection = self._connections.get(key)
        if connection is None:
            connection = self._connections[key] = Connection(
                amqp_uri, ssl=ssl, login_method=login_method,
                transport_options=dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=False))
        return connection

    def send(self, config, message, result, exc_info):
        """Reply to ``message`` with ``result`` (or the error of ``exc_info``); -> (result, exc_info),
        the error being UnserializableValueError when ``result`` cannot be sent."""
        content_type = message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            error, result = serialize(UnserializableValueError(result)), None
            content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        connection = self._connection(config[AMQP_URI_CONFIG_KEY], config.get(AMQP_SSL_CONFIG_KEY),
                                      config.get(LOGIN_METHOD_CONFIG_KEY))
        with producers[connection].acquire(block=True) as producer:
            producer.publish(
                body, content_type=content_type, content_encoding=encoding, exchange=get_rpc_exchange(config),
                routing_key=message.properties["reply_to"], correlation_id=message.properties.get("correlation_id"),
                delivery_mode=NON_PERSISTENT, retry=True, retry_policy=DEFAULT_RETRY_POLICY)
        return result, exc_info


replies = Replies()


class ReplyingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, replying through ``replies``; a reply or acknowledgement lost with
    the broker is logged (the caller has timed out by then: a 503). It finds a request's
    entrypoint by its routing key in a dict (nameko compares it with every entrypoint's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._by_routing_key = {}

    def _routing_key(self, provider):
        return "%s.%s" % (self.container.service_name, provider.method_name)

    def register_provider(self, provider):
        super().register_provider(provider)
        self._by_routing_key[self._routing_key(provider)] = provider

    def unregister_provider(self, provider):
        super().unregister_provider(provider)  # returns once every provider has asked, as nameko's
        self._by_routing_key.pop(self._routing_key(provider), None)

    def get_provider_for_method(self, routing_key):
        try:
            return self._by_routing_key[routing_key]
        except KeyError:
            raise MethodNotFound(routing_key.split(".")[-1]) from None

    def handle_result(self, message, result, exc_info):
        try:
            result, exc_info = replies.send(self.container.config, message, result, exc_info)
            self.queue_consumer.ack_message(message)
        except BROKER_ERRORS as exc:
            log.warning("reply to %s lost: broker unavailable (%s)",
                        message.delivery_info.get("routing_key"), type(exc).__name__)
        return result, exc_info


class BrokerSafeRpc(Rpc):
    """nameko's RPC entrypoint, safe when a replica dies or the broker goes away mid-call.

    A redelivered request (the process that took it died or lost the broker before
    acknowledging it) is answered Unavailable, not run again: the first run may already have
    written, and running it twice would write twice (two customers for one POST).
    """

    rpc_consumer = ReplyingRpcConsumer()

    @functools.cached_property
    def _signature(self):
        return inspect.signature(getattr(self.container.service_cls, self.method_name))

    def check_signature(self, args, kwargs):
        """nameko's check (the arguments fit the method), with the method's signature read once."""
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_message(self, body, message):
        if not message.delivery_info.get("redelivered"):
            return super().handle_message(body, message)
        log.warning("%s: redelivered request answered as unavailable, not run again", self.method_name)
        refusal = Unavailable("The request was interrupted and may have been applied; check before retrying.")
        self.rpc_consumer.handle_result(message, None, (Unavailable, refusal, None))


class BrokerSafeEventHandler(EventHandler):
    """nameko's event handler, whose acknowledgement (or requeue) lost with the broker is logged.

    The broker redelivers the event after the reconnection; handlers run once per ``event_id``
    (``events.handle_once``), so the second delivery is a duplicate, not a second run.
    """

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("acknowledgement of %s lost: broker unavailable (%s); it will be redelivered",
                        self.method_name, type(exc).__name__)
            return result, exc_info


def rpc(method):
    """A nameko RPC entrypoint whose domain errors are expected answers, not logged as failures."""
    return BrokerSafeRpc.decorator(expected_exceptions=CrmError)(method)


event_handler = BrokerSafeEventHandler.decorator
