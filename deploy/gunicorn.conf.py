"""gunicorn settings of the gateway; values from the environment (services/common/config.py)."""
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

from services.common import config as crm_config
from services.common import logs

# The public port, and the internal one of /metrics and per-service health (health.py tells them
# apart by the socket a request came in on).
bind = ["0.0.0.0:%s" % crm_config.get("GATEWAY_PORT")]
if crm_config.get_int("GATEWAY_INTERNAL_PORT"):
    bind.append("0.0.0.0:%s" % crm_config.get("GATEWAY_INTERNAL_PORT"))
workers = crm_config.get_int("GATEWAY_WORKERS")
threads = crm_config.get_int("GATEWAY_THREADS")
worker_class = "deploy.gunicorn_worker.JsonErrorWorker"  # gthread, refusing bad HTTP in JSON
timeout = 60
keepalive = crm_config.get_int("GATEWAY_KEEPALIVE")
graceful_timeout = 10
# The longest request line gunicorn allows (its maximum, so memory stays bounded): the app answers
# an over-long query parameter with a JSON 422 naming it; a line past this gets a JSON 414 from the
# worker, too many or too long headers a JSON 431.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # the app logs each request itself, as JSON with its request id
logs.set_process_name("gateway")

# gunicorn's own loggers are redefined here: its defaults name handlers this config replaces.
logconfig_dict = {**logs.logging_config(), "loggers": {
    "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
    "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
}}
preload_app = False


class AppLogger(Logger):
    """gunicorn's logger without its access lines: the app logs each request itself. (A
    ``logconfig_dict`` alone turns gunicorn's access log on, a second line per request.)"""

    access_log_enabled = False


logger_class = AppLogger

_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="crm-metrics-"))


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
control_socket_disable = True
