"""Customer import end to end, on a private system of its own.

Starts an embedded MongoDB-wire server per service, a RabbitMQ vhost, the four services and the gateway
(``tests.support``, as the end-to-end tests do), optionally seeds an archive of existing
customers, then imports a generated CSV through the gateway and reports:

- wall time from the upload to ``GET /imports/{id}`` saying completed, and rows/s;
- how long the outbox takes to drain after that (every event of the import published), and how
  long until every consumer has taken every event (the vhost's queues empty) and the audit trail
  holds an entry per created customer: the import end to end;
- the CPU seconds of each process of the system (each service, each database server, the
  gateway, the broker node) over that whole time, and the load average;
- the customers service's peak memory (VmHWM).

    .venv/bin/python -m bench.import_rows --rows 100000 [--existing 100000] [--contacts] [--profile DIR]

``--contacts`` then imports a contact for each of the new customers (a part's import, linked by
the customer's code) and reports the same figures for it.

``--profile DIR`` also records the customers, accounts and notifications services and their
database servers with py-spy from the upload until every event is consumed (collapsed stacks in
DIR). Nothing it starts outlives it, and it touches no other run on the machine (its own vhost,
database servers and database prefix).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pymongo
import requests

from bench.cpu import Meter, broker_pids, children, cpu_seconds, peak_rss_kib
from bench.customers import import_csv, seed
from tests.support import servers
from tests.support.stack import Stack

PROFILED = ("customers", "accounts", "notifications")
PASSWORD = "Bench-import-%s" % uuid.uuid4().hex[:12]


def environment(workdir, mongo, vhost, run_id):
    return {
        **mongo.env(),
        "AMQP_URI": servers.amqp_uri_for(vhost),
        "CRM_DB_PREFIX": "bimp_%s" % run_id,
        "CRM_VAR_DIR": os.path.join(workdir, "var"),
        "CRM_ADMIN_EMAIL": "admin@bench.test",
        "CRM_ADMIN_PASSWORD": PASSWORD,
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(servers.free_port()),
        "LOG_LEVEL": "WARNING",
    }


def sign_in(api, timeout=90):
    """The admin's auth headers and first site (retried while accounts bootstraps)."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.post(api + "/auth/login", json={"identifier": "admin", "password": PASSWORD}, timeout=15)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    response.raise_for_status()
    headers = {"Authorization": "Bearer " + response.json()["access_token"]}
    site_id = requests.get(api + "/sites", headers=headers, timeout=15).json()["items"][0]["id"]
    return headers, site_id


def pending_events(db):
    """Documents of the customers database that still hold events to publish."""
    return sum(db[name].count_documents({"_pending": True}) for name in ("customers", "imports", "outbox"))


def run_import(api, headers, site_id, entity, body, progress_every=10.0):
    started = time.perf_counter()
    response = requests.post(api + "/imports", headers=headers, files={"file": ("bench.csv", body, "text/csv")},
                             data={"entity": entity, "site_id": site_id, "dry_run": "false"}, timeout=600)
    response.raise_for_status()
    job, shown, refused = response.json(), started, 0
    url = api + "/imports/%s" % job["id"]
    while job.get("status") not in ("completed", "failed"):
        time.sleep(0.25)
        polled = requests.get(url, headers=headers, timeout=30)
        if polled.status_code != 200:
            refused += 1
            continue
        job = polled.json()
        if time.perf_counter() - shown >= progress_every:
            shown = time.perf_counter()
            print("  %6.0f s: %s of %s rows" % (shown - started, job.get("done"), job.get("total")), flush=True)
    return time.perf_counter() - started, job, refused


def contacts_csv(rows):
    """A contact for each of the first ``rows`` customers of ``import_csv``, named by their code."""
    lines = ["customer_code,name,email,phone"] + [
        "IMP-%07d,联系人%d,buyer%d@bench.test,139%08d" % (i, i, i, i) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def wait_drained(db, timeout):
    started = time.perf_counter()
    while pending_events(db) and time.perf_counter() - started < timeout:
        time.sleep(1)
    return time.perf_counter() - started, pending_events(db)


def queued_messages(vhost):
    """Messages ready or unacknowledged in every queue of ``vhost``."""
    listed = servers.rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "messages").stdout
    return sum(int(line) for line in listed.split() if line.strip().isdigit())


def wait_consumed(vhost, timeout):
    """Seconds until the vhost's queues stay empty for two polls in a row (every event taken)."""
    started, empty = time.perf_counter(), 0
    while empty < 2 and time.perf_counter() - started < timeout:
        empty = empty + 1 if queued_messages(vhost) == 0 else 0
        time.sleep(1)
    return time.perf_counter() - started


def start_profile(pid, directory, name):
    """py-spy recording ``pid`` as collapsed stacks (``DIR/NAME.txt``, for speedscope or flamegraph.pl).

    Only the thread holding the GIL is sampled, so the stacks show where CPU goes, not the threads
    waiting on a socket or a lock."""
    os.makedirs(directory, exist_ok=True)
    output = os.path.join(directory, "%s.txt" % name)
    command = [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--pid", str(pid),
               "--rate", "50", "--gil", "--format", "raw", "--output", output]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT), output


def stop_profile(profiler):
    profiler.send_signal(signal.SIGINT)
    profiler.wait(60)


def measure(stack, mongo, env, args, vhost):
    api = stack.url + "/api/v1"
    headers, site_id = sign_in(api)
    os.environ.update({key: env[key] for key in ("CUSTOMERS_MONGO_URI", "CRM_DB_PREFIX")})
    db = pymongo.MongoClient(env["CUSTOMERS_MONGO_URI"], socketTimeoutMS=600000)[env["CRM_DB_PREFIX"] + "_customers"]
    accounts = pymongo.MongoClient(env["ACCOUNTS_MONGO_URI"], socketTimeoutMS=600000)[
        env["CRM_DB_PREFIX"] + "_accounts"]
    if args.existing:
        seconds = seed(args.existing, site_id)
        print("seeded %d customers in %.0f s (%.0f/s)" % (args.existing, seconds, args.existing / seconds))
    phase(stack, mongo, vhost, args, db, (api, headers, site_id), "customers", import_csv(args.rows),
          lambda: accounts.audit.count_documents({"entity_type": "customer", "action": "created"}))
    if args.contacts:
        print("then a contact for each of them, linked by the customer's code:")
        phase(stack, mongo, vhost, args, db, (api, headers, site_id), "contacts", contacts_csv(args.rows),
              lambda: accounts.audit.count_documents({"entity_type": "contact", "action": "created"}))


def phase(stack, mongo, vhost, args, db, caller, entity, body, audited_count):
    """One import end to end (upload to every event consumed), with each process's CPU."""
    pid, mongo_pid = stack.procs["customers"].pid, mongo["customers"].process.pid
    profilers = []
    if args.profile:
        directory = os.path.join(args.profile, entity)
        profilers = [start_profile(stack.procs[name].pid, directory, name) for name in PROFILED] + [
            start_profile(mongo[name].process.pid, directory, "%s-database" % name) for name in PROFILED]
    meter = Meter(dict({name: [int(child) for child in children(proc.pid)] for name, proc in stack.procs.items()},
                       **{"%s database" % name: [mongo[name].process.pid] for name in mongo.servers},
                       broker=broker_pids()))
    meter.start()
    cpu_before = cpu_seconds(pid), cpu_seconds(mongo_pid)
    seconds, job, refused = run_import(*caller, entity, body)
    cpu_import = cpu_seconds(pid) - cpu_before[0], cpu_seconds(mongo_pid) - cpu_before[1]
    drain, left = wait_drained(db, args.drain_timeout)
    consumed = wait_consumed(vhost, args.drain_timeout)
    for profiler, _ in profilers:
        stop_profile(profiler)
    spent = meter.stop()
    cpu_drain = cpu_seconds(pid) - cpu_before[0] - cpu_import[0], cpu_seconds(mongo_pid) - cpu_before[1] - cpu_import[1]
    print("imported %d rows of %s in %.1f s (%.0f rows/s): status %s, created %s, updated %s, unchanged %s, "
          "failed %s" % (args.rows, entity, seconds, args.rows / seconds, job.get("status"), job.get("created"),
                         job.get("updated"), job.get("unchanged"), job.get("failed")))
    print("progress polls refused (the service did not answer within the RPC timeout): %d" % refused)
    print("outbox drained %.1f s after completion (%d documents still pending)" % (drain, left))
    print("CPU seconds during the import: customers service %.1f, database %.1f; during the drain: %.1f, %.1f"
          % (cpu_import + cpu_drain))
    print("every event taken by its consumers %.1f s after that: the import end to end in %.1f s (%.0f rows/s); "
          "audit entries of created %s: %d" % (consumed, seconds + drain + consumed,
                                               args.rows / (seconds + drain + consumed), entity, audited_count()))
    print("CPU seconds from the upload to the end, per process: %s (total %.1f)"
          % (", ".join("%s %.1f" % item for item in sorted(spent.items(), key=lambda item: -item[1])),
             sum(spent.values())))
    print("customers service peak memory (VmHWM) %.0f MiB" % (peak_rss_kib(children(pid)) / 1024))
    print("machine load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    for _, output in profilers:
        print("profile: %s" % output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--existing", type=int, default=0, help="customers seeded into the archive first")
    parser.add_argument("--contacts", action="store_true", help="then import a contact for each imported customer")
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument("--profile", metavar="DIR", help="record services and databases with py-spy into DIR")
    args = parser.parse_args()
    run_id = uuid.uuid4().hex[:8]
    workdir = tempfile.mkdtemp(prefix="crm-bench-import-")
    vhost = "crm_bench_import_%s" % run_id
    os.makedirs(os.path.join(workdir, "db"))
    os.makedirs(os.path.join(workdir, "logs"))
    servers.add_vhost(vhost)
    mongo = servers.ServiceServers(os.path.join(workdir, "db"))
    stack = None
    try:
        mongo.start()
        env = environment(workdir, mongo, vhost, run_id)
        stack = Stack(env, os.path.join(workdir, "logs"))
        stack.start_all()
        measure(stack, mongo, env, args, vhost)
    finally:
        if stack is not None:
            stack.stop_all()
        mongo.stop()
        servers.delete_vhost(vhost)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
