"""The system against a monolith baseline, under the same load in one run.

Starts a private system (its own vhost, embedded MongoDB-wire server and database prefix) and
the baseline of ``bench/baseline_app.py`` under the gateway's gunicorn settings, against the same
database server (the baseline in databases of its own prefix). Seeds the same customers into
both, then drives both with the same closed-loop load, alternating slices:

- read: ``GET /api/v1/customers/{id}`` of a random seeded customer;
- write: ``POST /api/v1/customers`` of a new customer (duplicate checks run, none is found).

Reports throughput and p50/p99 of each, the ratios (system/baseline throughput, p99), and the
CPU each process spent per request. ``--profile`` adds a py-spy sample of the gateway, the
customers service and the baseline under load, broken down by layer.

    .venv/bin/python -m bench.monolith --seconds 10 --rounds 2 --concurrency 8 --profile
"""
import argparse
import collections
import os
import random
import uuid

from pymongo import MongoClient

from bench import cpu, load, profile
from bench.system import Gunicorn, private_system
from services.common import config
from services.common.auth import Caller
from services.customers import customer_record

INDUSTRIES = ["machinery", "automotive", "electronics", "chemicals", "textiles"]
PROVINCES = ["江苏", "浙江", "广东", "山东", "上海"]
TARGET_THROUGHPUT = 0.60
TARGET_P99_RATIO = 3.0
# The processes whose CPU a request of each target costs (RabbitMQ and the DB server are shared).
PROCESSES = {"system": ("gateway", "customers", "accounts", "feedback", "notifications", "broker", "db"),
             "baseline": ("baseline", "broker", "db")}
LABELS = {"broker": "RabbitMQ", "db": "DB server", "accounts": "accounts (events)",
          "feedback": "feedback (events)", "notifications": "notifications (events)"}


def customer_body(rng, label):
    unique = uuid.uuid4().hex
    return {
        "legal_name": "%s %s Machinery Co., Ltd." % (label, unique[:16]),
        "industry": rng.choice(INDUSTRIES), "tags": ["bench"],
        "phone": "138%08d" % rng.randrange(10 ** 8), "email": "buyer-%s@bench.test" % unique[:12],
        "addresses": [{"type": "billing", "province": rng.choice(PROVINCES), "city": "苏州", "country": "CN"}],
    }


def seed(mongo_uri, prefixes, site_id, count):
    """The same ``count`` customers in the customers database of each prefix; -> their ids."""
    client = MongoClient(mongo_uri, tz_aware=True)
    caller = Caller("bench", [site_id], ["customers:write"])
    rng = random.Random(7)
    documents = [customer_record.new_customer(customer_body(rng, "Seeded"), caller, site_id) for _ in range(count)]
    for prefix in prefixes:
        collection = client["%s_customers" % prefix].customers
        for first in range(0, count, 500):
            collection.insert_many([dict(d) for d in documents[first:first + 500]], ordered=False)
    client.close()
    return [d["_id"] for d in documents]


def read_requests(ids):
    """GETs of random customers among ``ids``."""
    rngs = {}

    def make(worker, n):
        rng = rngs.setdefault(worker, random.Random(worker))
        return "GET", "/api/v1/customers/%s" % rng.choice(ids), None

    return make


def write_requests(label):
    """POSTs of new customers named after ``label``."""
    rngs = {}

    def make(worker, n):
        rng = rngs.setdefault(worker, random.Random())
        return "POST", "/api/v1/customers", customer_body(rng, label)

    return make


class Measured:
    """One target's merged result for a kind of request, and the CPU ms per request of each process."""

    def __init__(self, result, spent):
        self.result = result
        self.cpu_ms = {group: seconds * 1000 / max(result.requests, 1) for group, seconds in spent.items()}


def measure(targets, groups, kind, make_for, args):
    """Alternating slices of ``kind`` load on each target; -> {target: Measured}."""
    for name, (url, headers) in targets.items():
        load.drive(url, headers, make_for(name), args.warmup, args.concurrency)
    slices = {name: [] for name in targets}
    spent = {name: collections.Counter() for name in targets}
    for round_number in range(args.rounds):
        order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
        for name in order:
            url, headers = targets[name]
            meter = cpu.Meter(groups)
            meter.start()
            slices[name].append(load.drive(url, headers, make_for(name), args.seconds, args.concurrency))
            spent[name].update(meter.stop())
            print("  %s %-8s round %d: %s" % (kind, name, round_number + 1, line(slices[name][-1])), flush=True)
    return {name: Measured(load.Result.merged(slices[name]), spent[name]) for name in targets}


def line(result):
    text = "%7.1f req/s  p50 %6.1f ms  p99 %6.1f ms  (%d requests" % (
        result.throughput, result.p(0.50) * 1000, result.p(0.99) * 1000, result.requests)
    failed = collections.Counter(status for status in result.statuses if not 200 <= status < 300)
    if failed:
        text += "; failed: %s" % ", ".join("%d x %s" % (n, status or "no answer") for status, n in failed.items())
    return text + ")"


def report(kind, measured):
    """Print both targets and their ratios; -> (throughput ratio, p99 ratio)."""
    system, baseline = measured["system"].result, measured["baseline"].result
    throughput_ratio = system.throughput / baseline.throughput if baseline.throughput else float("nan")
    p99_ratio = system.p(0.99) / baseline.p(0.99)
    print("\n%s" % kind)
    for name, found in measured.items():
        print("  %-9s %s" % (name, line(found.result)))
    verdict = "met" if throughput_ratio >= TARGET_THROUGHPUT and p99_ratio <= TARGET_P99_RATIO else "NOT met"
    print("  system/baseline: throughput %.0f %%, p99 %.2fx  (targets >= %.0f %%, <= %.0fx: %s)" % (
        throughput_ratio * 100, p99_ratio, TARGET_THROUGHPUT * 100, TARGET_P99_RATIO, verdict))
    print("  CPU ms per request (RabbitMQ is shared with anything else using it):")
    for name, found in measured.items():
        parts = ", ".join("%s %.2f" % (LABELS.get(group, group), found.cpu_ms[group]) for group in PROCESSES[name])
        total = sum(found.cpu_ms[group] for group in PROCESSES[name])
        print("    %-9s %.2f: %s; load client %.2f" % (name, total, parts, found.cpu_ms["client"]))
    return throughput_ratio, p99_ratio


def profile_shares(targets, processes, kind, make_for, args):
    """py-spy layer shares of each target's Python processes under ``kind`` load: {target: {process: shares}}."""
    shares = {}
    for name, (url, headers) in targets.items():
        spies = {process: profile.record(pids, args.profile_seconds) for process, pids in processes[name].items()}
        load.drive(url, headers, make_for(name), args.profile_seconds + 1, args.concurrency)
        shares[name] = {}
        for process, (procs, outputs) in spies.items():
            for spy in procs:
                spy.wait()
            shares[name][process] = profile.shares(profile.breakdown(outputs))
            for path in outputs:
                os.unlink(path)
    return shares


def layer_ms(measured, shares):
    """CPU ms per request by layer: each profiled process's measured CPU split by its py-spy shares,
    the other processes as themselves."""
    layers = collections.Counter()
    for name, found in measured.items():
        for group in PROCESSES[name]:
            if group in shares[name]:
                for layer, share in shares[name][group].items():
                    layers[(layer, name)] += found.cpu_ms[group] * share
            else:
                layers[(LABELS.get(group, group), name)] += found.cpu_ms[group]
    return layers


def report_layers(kind, measured, shares):
    layers = layer_ms(measured, shares)
    names = sorted({layer for layer, _ in layers}, key=lambda layer: -layers[(layer, "system")])
    print("\nwhere a %s's CPU goes, ms per request (py-spy shares of each Python process x its CPU):" % kind)
    print("  %-26s %8s %9s" % ("layer", "system", "baseline"))
    for layer in names:
        print("  %-26s %8.2f %9.2f" % (layer, layers[(layer, "system")], layers[(layer, "baseline")]))
    totals = {name: sum(v for (_, n), v in layers.items() if n == name) for name in measured}
    print("  %-26s %8.2f %9.2f" % ("total", totals["system"], totals["baseline"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of one measured slice")
    parser.add_argument("--rounds", type=int, default=2, help="slices per target and kind, alternating")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=2000, help="customers seeded for the read path")
    parser.add_argument("--profile", action="store_true", help="also sample the processes with py-spy")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the system's logs")
    parser.add_argument("--kinds", default="read,write", help="which loads to run, comma-separated")
    args = parser.parse_args()
    unknown = set(args.kinds.split(",")) - {"read", "write"}
    if unknown:
        parser.error("--kinds: read and write only, not %s" % ", ".join(sorted(unknown)))

    print("machine: %d cores; gateway and baseline: %d workers x %d threads; %d clients" % (
        os.cpu_count(), config.get_int("GATEWAY_WORKERS"), config.get_int("GATEWAY_THREADS"), args.concurrency))
    with private_system(keep=args.keep) as system:
        prefix = system.env["CRM_DB_PREFIX"]
        baseline = Gunicorn("bench.baseline_app:app", dict(system.stack.env, CRM_DB_PREFIX=prefix + "_mono"),
                            os.path.join(system.workdir, "logs", "baseline.log"))
        try:
            baseline.start()
            run(system, baseline, args)
        finally:
            baseline.stop()


def run(system, baseline, args):
    prefix = system.env["CRM_DB_PREFIX"]
    ids = seed(system.mongo["customers"].uri, [prefix, prefix + "_mono"], system.site_id, args.customers)
    targets = {"system": (system.url, system.headers), "baseline": (baseline.url, system.headers)}
    groups = {name: system.pids(name) for name in ("gateway", "customers", "accounts", "feedback", "notifications")}
    groups.update(baseline=baseline.pids(), db=[server.process.pid for server in system.mongo.servers.values()],
                  broker=cpu.broker_pids(), client=[os.getpid()])
    processes = {"system": {"gateway": system.pids("gateway")[1:], "customers": system.pids("customers")},
                 "baseline": {"baseline": baseline.pids()[1:]}}
    kinds = {"read": lambda name: read_requests(ids), "write": lambda name: write_requests("Bench-%s" % name)}
    for kind in args.kinds.split(","):
        make_for = kinds[kind]
        print("%s load: %d x %.0f s slices per target, alternating" % (kind, args.rounds, args.seconds), flush=True)
        measured = measure(targets, groups, kind, make_for, args)
        report(kind, measured)
        if args.profile:
            report_layers(kind, measured, profile_shares(targets, processes, kind, make_for, args))
        print(flush=True)


if __name__ == "__main__":
    main()
