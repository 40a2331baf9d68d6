"""Declare every service's event queues and bindings on the broker, before any service starts.

The broker drops an event published to an exchange with no bound queue (docs/architecture.md §9), so an event
published before its subscriber first started would be lost. This builds each service class's
nameko container (without starting it), lets each event handler work out its queue, exchange
and binding exactly as it would at start, and declares them durably.

    python -m deploy.declare_queues        # uses AMQP_URI

`make run` runs it before the services; run it as an init step (a compose one-shot service, a
Kubernetes Job or init container) wherever the services are deployed.
"""
import importlib
import logging
import sys

from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.containers import ServiceContainer
from nameko.events import EventHandler

from deploy.processes import SERVICES
from services.common import config

log = logging.getLogger(__name__)


def service_class(target):
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def event_queues(service_cls, nameko_config):
    """The kombu queues (bound to their exchanges) of ``service_cls``'s event handlers."""
    container = ServiceContainer(service_cls, nameko_config)
    queues = []
    for entrypoint in container.entrypoints:
        if isinstance(entrypoint, EventHandler) and entrypoint.reliable_delivery:  # not a process's broadcast queue
            entrypoint.setup()
            queues.append(entrypoint.queue)
    return queues


def declare(amqp_uri, targets=None):
    """Declare the queues of ``targets`` (default: every service); -> the names declared."""
    nameko_config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    declared = []
    with Connection(amqp_uri, connect_timeout=10) as connection:
        channel = connection.channel()
        for target in (targets or SERVICES.values()):
            for queue in event_queues(service_class(target), nameko_config):
                queue(channel).declare()
                declared.append(queue.name)
    return declared


def main():
    logging.basicConfig(level=config.get("LOG_LEVEL"))
    try:
        names = declare(config.get("AMQP_URI"))
    except (OSError, OperationalError) as exc:
        sys.exit("cannot declare the event queues at %s: %s" % (config.get("AMQP_URI"), exc))
    print("declared %d event queues" % len(names), flush=True)


if __name__ == "__main__":
    main()
