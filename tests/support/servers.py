"""Real servers for tests: an embedded MongoDB-wire server process and a RabbitMQ vhost."""
import os
import socket
import subprocess
import sys
import time

BROKER = "amqp://guest:guest@localhost:5672/"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on port %d after %.0f s" % (port, timeout))


class EmbeddedMongo:
    """SecantusDB as its own process, so a test can stop and restart it like a real server."""

    def __init__(self, storage_dir, extra_args=()):
        self.storage_dir = str(storage_dir)
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.process = None
        self.log = open(os.path.join(self.storage_dir, "..", "secantus-%d.log" % self.port), "ab")

    @property
    def uri(self):
        return "mongodb://127.0.0.1:%d/" % self.port

    def start(self, timeout=30.0):
        from deploy.processes import embedded_mongo_command

        command = embedded_mongo_command(self.port, os.path.join(self.storage_dir, "data"), sys.executable)
        command += self.extra_args
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True)


def add_vhost(vhost):
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def delete_vhost(vhost):
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


def amqp_uri_for(vhost):
    return BROKER + vhost
