"""The processes of a running system: one place for `make run`, the tests and docker compose."""
import os
import sys

from services.common import config

# In the order of config.SERVICE_NAMES (the embedded servers' ports follow it).
SERVICES = {
    "accounts": "services.accounts.service:AccountsService",
    "customers": "services.customers.service:CustomersService",
    "feedback": "services.feedback.service:FeedbackService",
    "notifications": "services.notifications.service:NotificationsService",
}


# The embedded database server's launcher, by its path: it runs from any working directory.
EMBEDDED_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "secantus_server.py")

# eventlet announces its own deprecation on import; nameko 2.x depends on it (docs/architecture.md §9).
QUIET_WARNINGS = "ignore::Warning:nameko.containers,ignore::Warning:nameko.cli.commands"


def process_env(base):
    """The environment every process of the system runs with."""
    env = dict(base)
    env.setdefault("PYTHONWARNINGS", QUIET_WARNINGS)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def service_command(name, python=sys.executable):
    return [python, "-m", "nameko", "run", "--config", "deploy/nameko.yml", SERVICES[name]]


def gateway_command(python=sys.executable):
    return [python, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "gateway.wsgi:app"]


def embedded_mongo_command(port, storage_path, python=sys.executable, cache_size=None):
    command = [
        python, EMBEDDED_SERVER, "--host", "127.0.0.1", "--port", str(port),
        "--storage-path", storage_path, "--standalone",
    ]
    return command + (["--cache-size", cache_size] if cache_size else [])


def embedded_mongo_servers(db_dir):
    """``{service: (port, storage path)}`` of the embedded servers `make run` starts under
    ``db_dir``: one per service whose database has no configured URI, each on its own port."""
    return {service: (config.embedded_mongo_port(service), os.path.join(db_dir, service))
            for service in SERVICES if not config.configured_mongo_uri(service)}


def declare_queues_command(python=sys.executable):
    return [python, "-m", "deploy.declare_queues"]


def mailsink_command(host, port, directory, python=sys.executable):
    return [python, "-m", "deploy.mailsink", "--host", host, "--port", str(port), "--dir", directory]
