"""The whole system as real processes (four services and the gateway), for end-to-end tests."""
import contextlib
import os
import signal
import subprocess
import sys
import time

import requests

from deploy import processes
from tests.support.servers import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Stack:
    def __init__(self, env, log_dir):
        self.port = free_port()
        self.internal_port = free_port()
        self.env = processes.process_env({**os.environ, **env, "GATEWAY_PORT": str(self.port),
                                          "GATEWAY_INTERNAL_PORT": str(self.internal_port),
                                          "GATEWAY_WORKERS": "2", "GATEWAY_THREADS": "4"})
        self.log_dir = str(log_dir)
        self.procs = {}
        self.metrics_ports = {}

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def internal_url(self):
        """The gateway's internal listener: /metrics and per-service health."""
        return "http://127.0.0.1:%d" % self.internal_port

    def command(self, name):
        if name == "gateway":
            return processes.gateway_command(sys.executable)
        return processes.service_command(name.split("#")[0], sys.executable)

    def start(self, name, **env_overrides):
        """Start a process; ``customers#2`` is a second replica of customers. ``env_overrides``
        change this process's environment only (e.g. a timer's interval)."""
        log = open(self.log_path(name), "ab")
        env = dict(self.env, **env_overrides)
        if name != "gateway":
            self.metrics_ports.setdefault(name, free_port())
            env = {**env, "CRM_METRICS_PORT": str(self.metrics_ports[name])}
        self.procs[name] = subprocess.Popen(
            self.command(name), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_path(self, name):
        return os.path.join(self.log_dir, "%s.log" % name.replace("#", "-"))

    def metrics(self, name):
        """The Prometheus text a service process serves."""
        return requests.get("http://127.0.0.1:%d/metrics" % self.metrics_ports[name], timeout=10).text

    def start_all(self):
        for name in processes.SERVICES:
            self.start(name)
        self.start("gateway")
        self.wait_ready()

    def kill(self, name, sig=signal.SIGKILL):
        proc = self.procs.pop(name)
        os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop_all(self):
        """Ask every process to stop at once, then wait for each (killed if it lingers)."""
        procs, self.procs = self.procs, {}
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 15)
        return requests.get(self.url + path, **kwargs)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.get("/readyz", timeout=10)
                if last.status_code == 200:
                    return last
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError("the system is not ready after %d s: %r\n%s"
                             % (timeout, getattr(last, "text", last), self.exited()))

    def dead(self):
        """The processes that ended without being stopped by the tests."""
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def exited(self):
        """Which processes have ended, with the end of each one's log (for a failure's report)."""
        lines = ["%s exited with %s; its log ends:\n%s" % (name, self.procs[name].returncode, self.log_tail(name))
                 for name in self.dead()]
        return "\n".join(lines) or "every process is running"

    def log_tail(self, name, size=4000):
        with open(self.log_path(name), "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - size))
            return log.read().decode("utf-8", "replace")
