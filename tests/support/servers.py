"""Real servers for tests: embedded MongoDB-wire server processes (one per service, as `make run`
starts them) and a RabbitMQ vhost."""
import os
import socket
import subprocess
import sys
import time

from services.common import config

BROKER = "amqp://guest:guest@localhost:5672/"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(count):
    """The first of ``count`` consecutive free ports (the embedded servers `make run` starts)."""
    for _ in range(50):
        first = free_port()
        if first + count <= 65536 and all(port_free(first + i) for i in range(count)):
            return first
    raise RuntimeError("no %d consecutive free ports" % count)


def port_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


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
        self.launch()
        wait_for_port(self.port, timeout)

    def launch(self):
        """Start the process without waiting for it to answer."""
        from deploy.processes import embedded_mongo_command

        command = embedded_mongo_command(self.port, os.path.join(self.storage_dir, "data"), sys.executable)
        command += self.extra_args
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        self.terminate()
        self.wait_stopped()

    def terminate(self):
        """Ask the process to stop, without waiting for it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self, timeout=15):
        """Wait for a terminated process to end; killed if it lingers."""
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ServiceServers:
    """One embedded server per service, each with its files under ``storage_dir/<service>``:
    ``servers["customers"]`` is the customers service's. ``env()`` -> the ``<SERVICE>_MONGO_URI``
    variables; ``uri`` is the customers server's, for databases of no service (MONGO_URI)."""

    def __init__(self, storage_dir, extra_args=()):
        self.servers = {}
        for service in config.SERVICE_NAMES:
            path = os.path.join(str(storage_dir), service)
            os.makedirs(path, exist_ok=True)
            self.servers[service] = EmbeddedMongo(path, extra_args)

    def __getitem__(self, service):
        return self.servers[service]

    @property
    def uri(self):
        return self.servers["customers"].uri

    def env(self):
        return {config.mongo_uri_variable(service): server.uri for service, server in self.servers.items()}

    def start(self, timeout=30.0):
        self.launch()
        self.wait_started(timeout)

    def launch(self):
        """Start every server's process without waiting for it to answer."""
        for server in self.servers.values():
            server.launch()

    def wait_started(self, timeout=30.0):
        for server in self.servers.values():
            wait_for_port(server.port, timeout)

    def stop(self):
        """Ask every server to stop at once (each takes seconds to close its files), then wait for each."""
        for server in self.servers.values():
            server.terminate()
        for server in self.servers.values():
            server.wait_stopped()


_clients = {}


def service_database(env, service):
    """``service``'s database (pymongo) on that service's server, as the processes running with
    ``env`` (``test_env`` or a stack's own) see it. Clients are shared per server and live until
    ``close_clients()`` (the end of the session): do not close the database's client."""
    from services.common.mongo import connect

    uri = env[config.mongo_uri_variable(service)]
    if uri not in _clients:
        _clients[uri] = connect(uri)
    return _clients[uri]["%s_%s" % (env["CRM_DB_PREFIX"], service)]


def close_clients():
    while _clients:
        _clients.popitem()[1].close()


def rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True)


def add_vhost(vhost):
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def delete_vhost(vhost):
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


def amqp_uri_for(vhost):
    return BROKER + vhost
