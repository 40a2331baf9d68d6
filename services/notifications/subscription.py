"""One idempotent SERVICE_POOL handler for every event on a service's exchange.

nameko's ``EventHandler`` binds its queue to the source service's topic exchange with the
event type as the binding key, and AMQP topic exchanges accept wildcards in binding keys; so
binding with ``<service>.#`` gives one durable queue per source exchange that receives the whole
catalogue, now and as it grows. The queue is named by nameko's rule
(``evt-<service>-<service>.#--notifications.<method>``), so ``deploy/declare_queues.py``
declares it like any other handler's.
"""
from services.common.consumer import HANDLER_OPTIONS, handle_once
from services.common.entrypoints import event_handler


def handler_name(source_service):
    return "on_%s_event" % source_service


def exchange_handler(source_service, handle="handle_event", idempotent=False):
    """A service method receiving every ``<source_service>.*`` event once per ``event_id`` (on each
    delivery, for the events the predicate ``idempotent`` names: see ``handle_once``).

    It passes the envelope to ``self.<handle>(event)``; a failure lands in ``failed_events`` and is
    retried (by ServiceBase) through this same method, so its name must be the attribute it is
    assigned to: ``on_<source_service>_event``.
    """
    name = handler_name(source_service)

    def handler(self, event):
        return handle_once(self.db, name, event, getattr(self, handle), source_service, idempotent)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = "Every event on the %s.events exchange." % source_service
    return event_handler(source_service, "%s.#" % source_service, **HANDLER_OPTIONS)(handler)
