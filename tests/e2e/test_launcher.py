"""`make run`'s launcher: one embedded DB server per service, kept across restarts; a single
server's ./var/db of an earlier version split once; readiness, broker check, clean stop."""
import os
import signal
import subprocess
import sys
import threading
import time

import pymongo
import pytest
import requests

from deploy import db_split
from services.common import config
from tests.conftest import RUN_ID
from tests.support import servers
from tests.support.api import eventually
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


DATABASE_URIS = {"MONGO_URI"} | {config.mongo_uri_variable(service) for service in config.SERVICE_NAMES}


def launcher_env(amqp_uri, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in DATABASE_URIS}
    env.update({
        "AMQP_URI": amqp_uri, "CRM_DB_PREFIX": "launch", "CRM_VAR_DIR": str(tmp_path / "var"),
        "CRM_EMBEDDED_MONGO_PORT": str(servers.free_port_block(len(config.SERVICE_NAMES))),
        "GATEWAY_PORT": str(free_port()), "GATEWAY_WORKERS": "2", "CRM_ADMIN_PASSWORD": "",
    })
    return env


def embedded_server(env, service):
    """A client of ``service``'s embedded server as `make run` started it with ``env``."""
    port = int(env["CRM_EMBEDDED_MONGO_PORT"]) + config.SERVICE_NAMES.index(service)
    return pymongo.MongoClient("mongodb://127.0.0.1:%d/" % port, serverSelectionTimeoutMS=3000)


def launched_databases(env):
    """``{service: the system's databases on that service's embedded server}``."""
    found = {}
    for service in config.SERVICE_NAMES:
        with embedded_server(env, service) as client:
            found[service] = sorted(name for name in client.list_database_names()
                                    if name.startswith(env["CRM_DB_PREFIX"] + "_"))
    return found


def test_run_starts_everything_and_stops_cleanly(test_env, launcher_amqp_uri, tmp_path):
    """A first run on an empty ./var. Its restart (data kept, no second first admin, SIGTERM) is
    checked on the split ./var below, which saves a launch: both restarts found what a first run had
    left and checked the same."""
    env = launcher_env(launcher_amqp_uri, tmp_path)
    launched = Launch(env)
    try:
        line = launched.read_until("is ready", 90)
        assert "http://localhost:%s" % env["GATEWAY_PORT"] in line
        password = launched.read_until("First admin", 5).split("password ")[1].strip()
        login = requests.post("http://localhost:%s/api/v1/auth/login" % env["GATEWAY_PORT"],
                              json={"identifier": "admin", "password": password}, timeout=20)
        assert login.status_code == 200, login.text
        own_only = {service: ["launch_%s" % service] for service in config.SERVICE_NAMES}
        eventually(lambda: launched_databases(env), lambda found: found == own_only, timeout=30)
    finally:
        assert stop(launched, signal.SIGINT), "processes left behind after SIGINT"
    assert sorted(os.listdir(tmp_path / "var" / "db")) == sorted(config.SERVICE_NAMES)


def test_a_single_servers_data_of_an_earlier_version_is_split_once_and_kept_across_restarts(
        test_env, launcher_amqp_uri, tmp_path):
    env = launcher_env(launcher_amqp_uri, tmp_path)
    old = tmp_path / "var" / "db"
    old.mkdir(parents=True)
    with db_split.running(free_port(), str(old)) as uri, pymongo.MongoClient(uri) as client:
        for service in config.SERVICE_NAMES:
            client["launch_%s" % service].split_probe.insert_many(
                [{"_id": "%s-%d" % (service, i), "service": service} for i in range(3)])
        client.elsewhere.marks.insert_one({"_id": "not a service's"})

    launched = Launch(env)
    try:
        line = launched.read_until("Split ", 120)
        assert "12 documents" in line and "db-before-split" in line
        launched.read_until("is ready", 90)
        launched.read_until("First admin", 5)  # the split data holds no user yet
        for service in config.SERVICE_NAMES:
            with embedded_server(env, service) as client:
                probes = {name: sorted(d["_id"] for d in client[name].split_probe.find())
                          for name in client.list_database_names() if name.startswith("launch_")}
                assert {name: ids for name, ids in probes.items() if ids} == {
                    "launch_%s" % service: ["%s-%d" % (service, i) for i in range(3)]}, service
        with embedded_server(env, "customers") as client:
            client.launch_probe.marks.insert_one({"_id": "kept"})
    finally:
        assert stop(launched, signal.SIGINT), "processes left behind after SIGINT"
    aside = tmp_path / "var" / "db-before-split"
    assert (aside / "WiredTiger").is_file() and (aside / db_split.DONE_MARKER).is_file()
    assert sorted(os.listdir(old)) == sorted(config.SERVICE_NAMES)

    launched = Launch(env)
    try:
        launched.read_until("is ready", 90)
        with pytest.raises(AssertionError):
            launched.read_until("First admin", 3)
        assert not [line for line in launched.lines if "Split " in line or "Moving the files" in line]
        with embedded_server(env, "feedback") as client:
            assert client.launch_feedback.split_probe.count_documents({}) == 3
        with embedded_server(env, "customers") as client:
            assert client.launch_probe.marks.find_one({"_id": "kept"}) == {"_id": "kept"}
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
