"""`make run`'s launcher: embedded DB kept across restarts, readiness, broker check, clean stop."""
import os
import signal
import subprocess
import sys
import threading
import time

import pymongo
import pytest
import requests

from tests.conftest import RUN_ID
from tests.support import servers
from tests.support.servers import free_port
from tests.support.stack import ROOT


class Launch:
    """`python -m deploy.run` with its output drained by a thread, so the pipe never fills."""

    def __init__(self, env):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.lines = []
        self.read = 0
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def read_until(self, marker, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self.read < len(self.lines):
                line = self.lines[self.read]
                self.read += 1
                if marker in line:
                    return line
            if self.proc.poll() is not None and self.read >= len(self.lines):
                break
            time.sleep(0.1)
        raise AssertionError("%r not printed within %d s:\n%s" % (marker, timeout, "".join(self.lines[-40:])))


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop(launch, sig=signal.SIGINT):
    proc = launch.proc
    proc.send_signal(sig)
    proc.wait(30)
    deadline = time.monotonic() + 15
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not group_alive(proc.pid)


@pytest.fixture(scope="module")
def launcher_amqp_uri():
    """A vhost of its own: on the run's vhost the end-to-end stack's services would answer some of
    the launched gateway's calls from their own databases."""
    vhost = "crm_launch_%s" % RUN_ID
    servers.add_vhost(vhost)
    yield servers.amqp_uri_for(vhost)
    servers.delete_vhost(vhost)


def launcher_env(amqp_uri, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({
        "AMQP_URI": amqp_uri, "CRM_DB_PREFIX": "launch", "CRM_VAR_DIR": str(tmp_path / "var"),
        "CRM_EMBEDDED_MONGO_PORT": str(free_port()), "GATEWAY_PORT": str(free_port()),
        "GATEWAY_WORKERS": "2", "CRM_ADMIN_PASSWORD": "",
    })
    return env


def test_run_starts_everything_keeps_data_and_stops_cleanly(test_env, launcher_amqp_uri, tmp_path):
    env = launcher_env(launcher_amqp_uri, tmp_path)
    launched = Launch(env)
    try:
        line = launched.read_until("is ready", 90)
        assert "http://localhost:%s" % env["GATEWAY_PORT"] in line
        password = launched.read_until("First admin", 5).split("password ")[1].strip()
        login = requests.post("http://localhost:%s/api/v1/auth/login" % env["GATEWAY_PORT"],
                              json={"identifier": "admin", "password": password}, timeout=20)
        assert login.status_code == 200, login.text
        client = pymongo.MongoClient("mongodb://127.0.0.1:%s/" % env["CRM_EMBEDDED_MONGO_PORT"],
                                     serverSelectionTimeoutMS=3000)
        client.launch_probe.marks.insert_one({"_id": "kept"})
        client.close()
    finally:
        assert stop(launched, signal.SIGINT), "processes left behind after SIGINT"
    assert os.path.isdir(tmp_path / "var" / "db")

    launched = Launch(env)
    try:
        launched.read_until("is ready", 90)
        with pytest.raises(AssertionError):
            launched.read_until("First admin", 3)
        client = pymongo.MongoClient("mongodb://127.0.0.1:%s/" % env["CRM_EMBEDDED_MONGO_PORT"],
                                     serverSelectionTimeoutMS=3000)
        assert client.launch_probe.marks.find_one({"_id": "kept"}) == {"_id": "kept"}
        client.close()
    finally:
        assert stop(launched, signal.SIGTERM), "processes left behind after SIGTERM"


def test_run_without_a_broker_exits_at_once_saying_how_to_get_one(tmp_path):
    env = launcher_env("amqp://guest:guest@broker.invalid:5672/", tmp_path)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "deploy.run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert time.monotonic() - started < 15
    assert "RabbitMQ is not reachable" in result.stderr and "AMQP_URI" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
