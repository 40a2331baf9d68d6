"""A tap on a service's event exchange, for end-to-end tests that check what was published."""
import contextlib

from kombu import Connection, Exchange, Queue

from tests.support.api import eventually


class EventTap:
    """Every event published on ``<service>.events`` since the tap opened, in order."""

    def __init__(self, queue):
        self.queue = queue
        self.seen = []

    def events(self, event_type, **data):
        """The envelopes of ``event_type`` seen so far whose ``data`` holds every ``data`` item."""
        message = self.queue.get(no_ack=True)
        while message is not None:
            self.seen.append(message.payload)
            message = self.queue.get(no_ack=True)
        return [e for e in self.seen if e["type"] == event_type and all(e["data"].get(k) == v for k, v in data.items())]

    def received(self, event_type, at_least=1, timeout=20, **data):
        """Wait for ``at_least`` such events; -> all of them."""
        return eventually(lambda: self.events(event_type, **data), lambda found: len(found) >= at_least,
                          timeout=timeout)


@contextlib.contextmanager
def tap(amqp_uri, service):
    with Connection(amqp_uri) as connection:
        queue = Queue(exchange=Exchange("%s.events" % service, type="topic", durable=True),
                      routing_key="%s.#" % service, exclusive=True, auto_delete=True,
                      channel=connection.default_channel)
        queue.declare()
        yield EventTap(queue)
