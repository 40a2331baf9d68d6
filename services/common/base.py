"""Entrypoints every service has: ``health``, the outbox relay, and the retry of failed events."""
import logging

from nameko.events import EventDispatcher
from nameko.timer import timer
from pymongo.errors import PyMongoError

from services.common import config, events
from services.common.entrypoints import rpc
from services.common.metrics import Observability
from services.common.mongo import ping

log = logging.getLogger(__name__)

VERSION = "0.1.0"


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
