"""Entrypoints every service has: ``health``, the outbox relay, and the retry of failed events."""
from nameko.events import EventDispatcher

from services.common import config, consumer, outbox
from services.common.entrypoints import rpc
from services.common.metrics import Observability
from services.common.mongo import ping
from services.common.timers import timer

VERSION = "0.1.0"


class ServiceBase:
    """Subclasses set ``name``, a ``db = MongoDatabase(...)`` dependency, ``outbox_collections``
    and a ``context = CallerContext(...)`` dependency (``caller``: who calls the RPC method)."""

    name = None
    outbox_collections = ()

    dispatch = EventDispatcher()
    observability = Observability()

    @rpc
    def health(self):
        """-> {service, version, db}: ``db`` is true when this service's database answers."""
        return {"service": self.name, "version": VERSION, "db": ping(self.db)}

    @timer(interval=config.get_float("OUTBOX_INTERVAL"), guard="outbox relay", signal=outbox.QUEUED,
           idle=outbox.IDLE_SECONDS)
    def relay_outbox(self):
        """Publish the pending events; how many (some: the next tick runs again)."""
        return outbox.OutboxRelay(self.db, self.outbox_collections, self._publish, self.name).run_once()

    @timer(interval=10, guard="retry of failed events")
    def retry_failed_events(self):
        consumer.retry_failed(self.db, self)

    @property
    def caller(self):
        return self.context.caller

    def _publish(self, event):
        self.dispatch(event["type"], event)
