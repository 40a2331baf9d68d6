"""A private system for a benchmark, beside whatever else runs on the machine.

Its own RabbitMQ vhost, its own embedded MongoDB-wire servers (one per service, as `make run`
starts them) and database prefix, the four
services and the gateway as processes (``tests.support``), with the gateway's workers and
threads from the environment as ``deploy/gunicorn.conf.py`` reads them.
"""
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import requests

from deploy import processes
from services.common import config
from tests.support import servers
from tests.support.stack import ROOT, Stack

ADMIN_EMAIL = "admin@bench.test"


class System:
    """A started system: its URL, environment, the admin's token and first site."""

    def __init__(self, stack, mongo, env, workdir):
        self.stack = stack
        self.mongo = mongo
        self.env = env
        self.workdir = workdir
        self.token = None
        self.site_id = None

    @property
    def url(self):
        return self.stack.url

    @property
    def headers(self):
        return {"Authorization": "Bearer " + self.token}

    def sign_in(self, timeout=60):
        """Sign in as the first admin (retried while accounts bootstraps) and pick the first site."""
        api = self.url + "/api/v1"
        deadline = time.monotonic() + timeout
        while True:
            response = requests.post(api + "/auth/login", json={
                "identifier": "admin", "password": self.env["CRM_ADMIN_PASSWORD"]}, timeout=15)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        response.raise_for_status()
        self.token = response.json()["access_token"]
        sites = requests.get(api + "/sites", headers=self.headers, timeout=15)
        sites.raise_for_status()
        self.site_id = sites.json()["items"][0]["id"]

    def pids(self, name):
        """The process ids of one of the system's processes and its children (gunicorn workers)."""
        return process_tree(self.stack.procs[name].pid)


def process_tree(pid):
    """``pid`` and its child processes."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(child) for child in children]


def bench_env(workdir, mongo, amqp_uri, prefix, extra=None):
    """The system's environment; ``mongo``: its ``servers.ServiceServers``."""
    env = {
        **mongo.env(),
        "AMQP_URI": amqp_uri,
        "CRM_DB_PREFIX": prefix,
        "CRM_VAR_DIR": os.path.join(workdir, "var"),
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(servers.free_port()),
    }
    env.update(extra or {})
    return env


@contextlib.contextmanager
def private_system(extra_env=None, keep=False):
    """Start a private system; stop it and drop its vhost and data (unless ``keep``: then say
    where its logs are) afterwards."""
    run_id = uuid.uuid4().hex[:8]
    workdir = tempfile.mkdtemp(prefix="crm-bench-")
    vhost = "crm_bench_%s" % run_id
    servers.add_vhost(vhost)
    for name in ("db", "logs"):
        os.makedirs(os.path.join(workdir, name))
    mongo = servers.ServiceServers(os.path.join(workdir, "db"))
    stack = None
    try:
        mongo.start()
        env = bench_env(workdir, mongo, servers.amqp_uri_for(vhost), "bench_%s" % run_id, extra_env)
        stack = Stack(env, os.path.join(workdir, "logs"))
        stack.env.update({"GATEWAY_WORKERS": str(config.get_int("GATEWAY_WORKERS")),
                          "GATEWAY_THREADS": str(config.get_int("GATEWAY_THREADS"))})
        stack.start_all()
        system = System(stack, mongo, env, workdir)
        system.sign_in()
        yield system
    finally:
        if stack is not None:
            stack.stop_all()
        mongo.stop()
        servers.delete_vhost(vhost)
        if keep:
            print("logs kept in %s" % os.path.join(workdir, "logs"))
        else:
            shutil.rmtree(workdir, ignore_errors=True)


class Gunicorn:
    """Another WSGI app under the gateway's gunicorn settings (``deploy/gunicorn.conf.py``)."""

    def __init__(self, app, env, log_path):
        self.port = servers.free_port()
        self.env = processes.process_env({**env, "GATEWAY_PORT": str(self.port), "GATEWAY_INTERNAL_PORT": "0"})
        self.app = app
        self.log_path = log_path
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=60):
        command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", self.app]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError("%s did not start; see %s" % (self.app, self.log_path))

    def pids(self):
        return process_tree(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
