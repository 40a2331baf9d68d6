"""`make run`'s launcher: embedded DB kept across restarts, readiness, broker check, clean stop."""
import os
import signal
import subprocess
import sys
import time

import pymongo

from tests.support.servers import free_port
from tests.support.stack import ROOT


def launch(env):
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def read_until(proc, marker, timeout):
    deadline = time.monotonic() + timeout
    seen = []
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            seen.append(line)
            if marker in line:
                return line
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.1)
    raise AssertionError("%r not printed within %d s:\n%s" % (marker, timeout, "".join(seen[-40:])))


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop(proc, sig=signal.SIGINT):
    proc.send_signal(sig)
    proc.wait(30)
    deadline = time.monotonic() + 15
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not group_alive(proc.pid)


def launcher_env(test_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({
        "AMQP_URI": test_env["AMQP_URI"], "CRM_DB_PREFIX": "launch", "CRM_VAR_DIR": str(tmp_path / "var"),
        "CRM_EMBEDDED_MONGO_PORT": str(free_port()), "GATEWAY_PORT": str(free_port()),
        "GATEWAY_WORKERS": "2", "CRM_ADMIN_PASSWORD": "Launcher-test-passphrase-7",
    })
    return env


def test_run_starts_everything_keeps_data_and_stops_cleanly(test_env, tmp_path):
    env = launcher_env(test_env, tmp_path)
    proc = launch(env)
    try:
        line = read_until(proc, "is ready", 90)
        assert "http://localhost:%s" % env["GATEWAY_PORT"] in line
        client = pymongo.MongoClient("mongodb://127.0.0.1:%s/" % env["CRM_EMBEDDED_MONGO_PORT"],
                                     serverSelectionTimeoutMS=3000)
        client.launch_probe.marks.insert_one({"_id": "kept"})
        client.close()
    finally:
        assert stop(proc, signal.SIGINT), "processes left behind after SIGINT"
    assert os.path.isdir(tmp_path / "var" / "db")

    proc = launch(env)
    try:
        read_until(proc, "is ready", 90)
        client = pymongo.MongoClient("mongodb://127.0.0.1:%s/" % env["CRM_EMBEDDED_MONGO_PORT"],
                                     serverSelectionTimeoutMS=3000)
        assert client.launch_probe.marks.find_one({"_id": "kept"}) == {"_id": "kept"}
        client.close()
    finally:
        assert stop(proc, signal.SIGTERM), "processes left behind after SIGTERM"


def test_run_without_a_broker_exits_at_once_saying_how_to_get_one(test_env, tmp_path):
    env = launcher_env(test_env, tmp_path)
    env["AMQP_URI"] = "amqp://guest:guest@broker.invalid:5672/"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "deploy.run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert time.monotonic() - started < 15
    assert "RabbitMQ is not reachable" in result.stderr and "AMQP_URI" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
