"""Receive Factory CRM events on a durable queue of your own and print each one as a JSON line.

    AMQP_URI=amqp://integrator:PASSWORD@localhost:5672/ python docs/examples/subscriber.py \
        --queue integrator.erp --exchange customers --exchange feedback

The queue survives restarts of this program and of the broker, so events published while it is
not running wait for it. Each service publishes on its topic exchange ``<service>.events``
with the event type as routing key; ``--routing-key`` narrows what is bound (default
``<service>.#``, everything). Handle each event idempotently: drop repeats by ``event_id``.
The broker user ``integrator`` of a deployment may only read the exchanges (declared passively
here: they exist once the services ran) and use queues named ``integrator.*``. Reset links,
survey links and their addresses arrive only sealed (``sealed``, readable by the services alone).
Needs only ``kombu`` (``pip install kombu``).
"""
import argparse
import json
import os
import sys

from kombu import Connection, Exchange, Queue

SERVICES = ("accounts", "customers", "feedback", "notifications")


def exchange(service):
    """The service's exchange, as the services declare it; only checked here (passive): an
    integrator may read it but not configure it."""
    return Exchange("%s.events" % service, type="topic", durable=True, auto_delete=False, passive=True)


def bindings(services, routing_keys):
    return [(exchange(service), key) for service in services
            for key in (routing_keys or ["%s.#" % service]) if key.split(".", 1)[0] in (service, "#", "*")]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print Factory CRM events from a durable queue.")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/"))
    parser.add_argument("--queue", default="example.subscriber", help="your queue's name (durable)")
    parser.add_argument("--exchange", action="append", choices=SERVICES, help="a service; default all")
    parser.add_argument("--routing-key", action="append", help="e.g. customers.customer_created")
    args = parser.parse_args(argv)

    with Connection(args.amqp_uri) as connection:
        channel = connection.channel()
        queue = Queue(args.queue, durable=True, auto_delete=False, channel=channel)
        queue.declare()
        for source, key in bindings(args.exchange or SERVICES, args.routing_key):
            source(channel).declare()
            queue.bind_to(source, routing_key=key)

        def on_message(body, message):
            event = body if isinstance(body, dict) else json.loads(body)
            print(json.dumps(event, ensure_ascii=False, sort_keys=True), flush=True)
            message.ack()

        with connection.Consumer(queue, callbacks=[on_message], accept=["json"]):
            print("listening on queue %s" % args.queue, file=sys.stderr, flush=True)
            try:
                while True:
                    connection.drain_events()
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
