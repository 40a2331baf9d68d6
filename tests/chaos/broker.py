"""Looking at the test run's vhost on the broker."""
import subprocess
import time


def vhost_of(amqp_uri):
    return amqp_uri.rstrip("/").rsplit("/", 1)[1]


def consumers(amqp_uri, queue):
    """How many consumers ``queue`` has (0 when it does not exist)."""
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost_of(amqp_uri), "name", "consumers"],
                            check=True, capture_output=True, text=True, timeout=30).stdout
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == queue:
            return int(parts[1])
    return 0


def wait_for_consumers(amqp_uri, queue, count, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        found = consumers(amqp_uri, queue)
        if found == count:
            return
        if time.monotonic() > deadline:
            raise AssertionError("%s has %d consumers after %d s, not %d" % (queue, found, timeout, count))
        time.sleep(0.5)
