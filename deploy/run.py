"""`make run`: start the whole system on this machine under honcho; Ctrl-C stops all of it.

Starts one embedded MongoDB-wire server per service whose database has no configured URI
(``<SERVICE>_MONGO_URI`` or MONGO_URI; data under ./var/db/<service>, see deploy/db_split.py for
a ./var/db of the earlier single server), makes
sure RabbitMQ answers (starting a local rabbitmq-server if one is installed), declares every
service's event queues, starts an SMTP sink keeping mail under ./var/mail (when SMTP_HOST is this
machine), runs the four services and the gateway, and prints the URL once /readyz is green.
"""
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from honcho.manager import Manager

from deploy import db_split, processes
from services.common import config
from services.notifications.egress import allow_private

READY_TIMEOUT = 90


def broker_reachable(uri, timeout=2.0):
    parsed = urlparse(uri)
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout):
            return True
    except OSError:
        return False


def ensure_broker(uri):
    if broker_reachable(uri):
        return
    server = shutil.which("rabbitmq-server")
    host = urlparse(uri).hostname or "localhost"
    if server and host in ("localhost", "127.0.0.1", "::1"):
        print("RabbitMQ is not answering at %s; starting the local rabbitmq-server..." % uri, flush=True)
        subprocess.run([server, "-detached"], check=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if broker_reachable(uri):
                return
            time.sleep(1)
    sys.exit(
        "RabbitMQ is not reachable at %s.\n"
        "Install and start it (Debian/Ubuntu: `apt-get install rabbitmq-server && rabbitmq-server -detached`),\n"
        "or point AMQP_URI at a running broker." % uri
    )


def first_admin_password(var_dir):
    """A generated first-admin password when none is configured, once per ./var (None after)."""
    marker = os.path.join(var_dir, "first-admin-created")
    if config.get("CRM_ADMIN_PASSWORD") or os.path.exists(marker):
        return None
    with open(marker, "w") as handle:
        handle.write("The first admin's password was generated and printed once by `make run`.\n")
    return secrets.token_urlsafe(15)


def wait_until_ready(url, manager, admin_password=None):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if response.status == 200:
                    print("\n  Factory CRM is ready: %s  (API docs: %s/docs)\n" % (url, url), flush=True)
                    if admin_password:
                        print("  First admin: user 'admin' (%s), password %s\n  This password is shown only "
                              "once; change it after signing in.\n" % (config.get("CRM_ADMIN_EMAIL"), admin_password),
                              flush=True)
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    print("\n  The system did not become ready within %d s; see the log above.\n" % READY_TIMEOUT, flush=True)


def port_free(host, port):
    with socket.socket() as sock:
        try:
            sock.bind((host, int(port)))
            return True
        except OSError:
            return False


def add_mail_sink(manager, env, var_dir):
    """A local SMTP sink keeping mail under ./var/mail, when SMTP_HOST is this machine and nothing
    listens on SMTP_PORT yet."""
    host, port = config.get("SMTP_HOST"), config.get("SMTP_PORT")
    if host not in ("localhost", "127.0.0.1", "::1"):
        return
    if not port_free(host, port):
        print("Something already listens on %s:%s; mail goes there." % (host, port), flush=True)
        return
    command = processes.mailsink_command(host, port, os.path.join(var_dir, "mail"))
    manager.add_process("mail", shlex.join(command), env=env)


def add_embedded_mongo(manager, env, var_dir):
    """An embedded server per service without a configured database URI (its own process, port
    and files), and ``<SERVICE>_MONGO_URI`` for every process; a single-server ./var/db of an
    earlier version is split first."""
    servers = processes.embedded_mongo_servers(os.path.join(var_dir, "db"))
    if not servers:
        return
    db_split.split_if_needed(os.path.join(var_dir, "db"), log=lambda line: print(line, flush=True))
    for service, (port, storage_path) in servers.items():
        os.makedirs(storage_path, exist_ok=True)
        env[config.mongo_uri_variable(service)] = config.mongo_uri(service)
        command = processes.embedded_mongo_command(port, storage_path,
                                                   cache_size=config.get("CRM_EMBEDDED_MONGO_CACHE_SIZE"))
        manager.add_process("mongo-%s" % service, shlex.join(command), env=env)


def declare_queues(env):
    """Declare every service's event queues first, so no early event is dropped (docs/architecture.md §9)."""
    result = subprocess.run(processes.declare_queues_command(), env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print("Could not declare the event queues: %s" % (result.stderr.strip().splitlines() or ["?"])[-1],
              flush=True)


def main():
    var_dir = os.path.abspath(config.get("CRM_VAR_DIR"))
    os.makedirs(var_dir, exist_ok=True)
    ensure_broker(config.get("AMQP_URI"))

    env = processes.process_env(os.environ)
    if allow_private():
        print("WARNING: WEBHOOK_ALLOW_PRIVATE is on: webhooks may target loopback and private networks.",
              flush=True)
    admin_password = first_admin_password(var_dir)
    if admin_password:
        env["CRM_ADMIN_PASSWORD"] = admin_password
    manager = Manager()
    add_embedded_mongo(manager, env, var_dir)
    add_mail_sink(manager, env, var_dir)
    declare_queues(env)
    for name in processes.SERVICES:
        manager.add_process(name, shlex.join(processes.service_command(name)), env=env)
    manager.add_process("gateway", shlex.join(processes.gateway_command()), env=env)

    url = "http://localhost:%s" % config.get("GATEWAY_PORT")
    threading.Thread(target=wait_until_ready, args=(url, manager, admin_password), daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
