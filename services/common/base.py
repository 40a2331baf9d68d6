"""Entrypoints every service has: ``health``, the outbox relay, and the retry of failed events."""
import logging

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT, SERIALIZER_CONFIG_KEY,
)
from nameko.events import EventDispatcher
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange
from nameko.timer import timer
from pymongo.errors import PyMongoError

from services.common import config, events
from services.common.metrics import Observability
from services.common.errors import CrmError, Unavailable
from services.common.mongo import ping

log = logging.getLogger(__name__)

VERSION = "0.1.0"

BROKER_ERRORS = (OperationalError, AMQPError, OSError)


class ReplyPublisher(Publisher):
    """Publishes RPC replies without a publisher confirm and without persisting them.

    A reply matters only to a caller still waiting for it: a confirm would cost a broker round
    trip per call and change nothing (a reply the broker lost is the caller's timeout either
    way), and a reply kept on disk would outlive its caller.
    """

    use_confirms = False
    delivery_mode = NON_PERSISTENT
    # A dict of its own: nameko writes ``confirm_publish`` into the one publishers share.
    transport_options = dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=False)


class ReplyResponder(Responder):
    publisher_cls = ReplyPublisher


class ReplyingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, replying through ``ReplyPublisher``."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        serializer = config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config), serializer, message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class BrokerSafeRpc(Rpc):
    """nameko's RPC entrypoint, safe when a replica dies or the broker goes away mid-call.

    - A redelivered request (the process that took it died or lost the broker before
      acknowledging it) is answered Unavailable, not run again: the first run may already have
      written, and running it twice would write twice (two customers for one POST).
    - A reply lost with the broker is logged, not fatal: nameko kills the whole service
      container when it cannot publish a reply, which would stop the process for good. The
      caller has timed out by then (a 503).
    - Replies go out unconfirmed and transient (``ReplyPublisher``).
    """

    rpc_consumer = ReplyingRpcConsumer()

    def handle_message(self, body, message):
        if not message.delivery_info.get("redelivered"):
            return super().handle_message(body, message)
        log.warning("%s: redelivered request answered as unavailable, not run again", self.method_name)
        refusal = Unavailable("The request was interrupted and may have been applied; check before retrying.")
        try:
            self.rpc_consumer.handle_result(message, None, (Unavailable, refusal, None))
        except BROKER_ERRORS as exc:
            log.warning("refusal of %s lost: broker unavailable (%s)", self.method_name, type(exc).__name__)

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("reply to %s lost: broker unavailable (%s)", self.method_name, type(exc).__name__)
            return result, exc_info


def rpc(method):
    """A nameko RPC entrypoint whose domain errors are expected answers, not logged as failures."""
    return BrokerSafeRpc.decorator(expected_exceptions=CrmError)(method)


class ServiceBase:
    """Subclasses set ``name``, a ``db = MongoDatabase(...)`` dependency and ``outbox_collections``."""

    name = None
    outbox_collections = ()

    dispatch = EventDispatcher()
    observability = Observability()

    @rpc
    def health(self):
        """-> {service, version, db}: ``db`` is true when this service's database answers."""
        return {"service": self.name, "version": VERSION, "db": ping(self.db)}

    relay_pacing = events.RelayPacing()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.relay_pacing = events.RelayPacing()

    @timer(interval=config.get_float("OUTBOX_INTERVAL"))
    def relay_outbox(self):
        if not self.relay_pacing.due():
            return
        try:
            relay = events.OutboxRelay(self.db, self.outbox_collections, self._publish, self.name)
            self.relay_pacing.ran(relay.run_once())
        except PyMongoError as exc:
            log.warning("outbox relay of %s: database unavailable (%s)", self.name, type(exc).__name__)

    @timer(interval=10)
    def retry_failed_events(self):
        try:
            events.retry_failed(self.db, self)
        except PyMongoError as exc:
            log.warning("retry of failed events of %s: database unavailable (%s)", self.name, type(exc).__name__)

    def _publish(self, event):
        self.dispatch(event["type"], event)
