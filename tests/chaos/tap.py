"""A durable queue of the test's own bound to a service exchange, as an integration binds one."""
import uuid

from kombu import Connection, Exchange, Queue


class EventTap:
    """Everything published on ``<service>.events`` from now on, kept across broker restarts."""

    def __init__(self, amqp_uri, service):
        self.amqp_uri = amqp_uri
        self.exchange = Exchange("%s.events" % service, type="topic", durable=True, auto_delete=False)
        self.queue = Queue("chaos.tap.%s" % uuid.uuid4().hex[:8], exchange=self.exchange,
                           routing_key="%s.#" % service, durable=True, auto_delete=False)

    def __enter__(self):
        with Connection(self.amqp_uri, connect_timeout=10) as connection:
            self.queue(connection.channel()).declare()
        return self

    def drain(self):
        """Every message waiting in the queue (acknowledged), as event envelopes."""
        events = []
        with Connection(self.amqp_uri, connect_timeout=10) as connection:
            bound = self.queue(connection.channel())
            while True:
                message = bound.get(no_ack=False, accept=["json"])
                if message is None:
                    return events
                events.append(message.payload)
                message.ack()

    def __exit__(self, *exc):
        with Connection(self.amqp_uri, connect_timeout=10) as connection:
            self.queue(connection.channel()).delete()
