"""Search latency on a large customer archive, on a private system of its own.

Starts an embedded MongoDB-wire server (its data kept in ``--data DIR``), a RabbitMQ vhost, the
four services and the gateway (``tests.support``, as the end-to-end tests do); creates four sites
and a sales user of the first; seeds ``--customers`` customers spread over the sites and 200
owners straight into the customers database (`bench/customers.py`); then times
``GET /api/v1/customers`` through the gateway, as the admin (every site) and as the sales user
(one site), for indexed filters, ``q`` prefix searches and the unfiltered list, and prints p50,
p95, the matches and how many requests failed (the RPC timeout is 5 s).

    .venv/bin/python -m bench.search_scale --customers 1000000 --data /var/tmp/crm-search-1m

A second run with the same ``--data`` reuses the seeded archive, or goes on seeding where an
interrupted one stopped. A fresh archive of 100 000 or more is seeded before most of its
indexes are built. The database server gets an 8 GB cache (``--cache-size``): with its
default 1 GB, inserts slow down as the archive outgrows the cache.
"""
import argparse
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid

import pymongo
import requests

from bench.cpu import cpu_seconds
from bench.customers import seed
from services.customers import store
from tests.support import servers
from tests.support.stack import Stack

SITES = 4
OWNERS = 200
BULK_FROM = 100000
KEPT_WHILE_SEEDING = ("_id_", "site_id_1_deleted_at_1_all_keys_1")
NARROW = ("q latin brand + word", "q latin brand (6 chars)", "q latin brand (4 chars)", "q chinese name prefix",
          "q chinese infix (brand)", "q phone prefix", "q e-mail prefix", "filter owner", "filter tier=vip")


def load_state(data, count):
    path = os.path.join(data, "state.json")
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    run_id = uuid.uuid4().hex[:8]
    state = {"run_id": run_id, "password": "Bench-search-%s" % uuid.uuid4().hex[:12], "customers": count,
             "seeded": 0, "sites": [], "sales": None}
    save_state(data, state)
    return state


def save_state(data, state):
    with open(os.path.join(data, "state.json"), "w") as handle:
        json.dump(state, handle, indent=1)


def environment(data, mongo, state):
    return {
        **mongo.env(),
        "AMQP_URI": servers.amqp_uri_for("crm_bench_search_%s" % state["run_id"]),
        "CRM_DB_PREFIX": "bsearch_%s" % state["run_id"],
        "CRM_VAR_DIR": os.path.join(data, "var"),
        "CRM_ADMIN_EMAIL": "admin@bench.test",
        "CRM_ADMIN_PASSWORD": state["password"],
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(servers.free_port()),
        "LOG_LEVEL": "WARNING",
    }


def sign_in(api, identifier, password, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        response = requests.post(api + "/auth/login", json={"identifier": identifier, "password": password},
                                 timeout=30)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    response.raise_for_status()
    return {"Authorization": "Bearer " + response.json()["access_token"]}


def prepare_people(api, admin, state, data):
    """The four sites and the sales user of the first (once per data directory)."""
    if state["sales"]:
        return
    for n in range(SITES):
        response = requests.post(api + "/sites", headers=admin, timeout=30, json={
            "code": "BS%d%s" % (n, state["run_id"][:4]), "name": "Plant %d" % n, "timezone": "Asia/Shanghai"})
        response.raise_for_status()
        state["sites"].append(response.json()["id"])
    response = requests.post(api + "/users", headers=admin, timeout=30, json={
        "username": "bench.sales", "email": "sales@bench.test", "password": state["password"],
        "display_name": "Bench Sales", "sites": state["sites"][:1], "roles": ["sales"]})
    response.raise_for_status()
    state["sales"] = response.json()["id"]
    save_state(data, state)


def owners():
    return ["owner-%03d" % n for n in range(OWNERS)]


def seed_archive(state, data, db, count, stack):
    """Seed up to ``count`` customers.

    A fresh archive is seeded with only its search text's index (``store.TEXT_INDEX``), and the
    service's own ``ensure_indexes`` builds the others afterwards: on the embedded server that is several times
    faster than keeping 26 indexes current through a million inserts. (It builds an index in one
    transaction, and one as large as the text's, some 44 entries a customer, overflows its
    cache and stalls it, so that index grows with the inserts.) The customers service is stopped
    while seeding (its queries would scan the collection), and the whole system while the
    indexes are built: with other sessions at work, the embedded server stalled on a build.
    """
    state["seeded"] = db.customers.estimated_document_count()
    if state["seeded"] == 0 and count >= BULK_FROM:
        state["bulk"] = True
        save_state(data, state)
    if state.get("bulk"):
        stack.kill("customers", signal.SIGTERM)
        for name in db.customers.index_information():
            if name not in KEPT_WHILE_SEEDING:
                db.customers.drop_index(name)
    while state["seeded"] < count:
        upto = min(count, state["seeded"] + 50000)
        seconds = seed(upto, state["sites"], owners(), start=state["seeded"])
        print("seeded customers %d to %d in %.0f s (%.0f/s)" % (state["seeded"], upto, seconds,
                                                                 (upto - state["seeded"]) / seconds), flush=True)
        state["seeded"] = upto
        save_state(data, state)
    if state.get("bulk"):
        stack.stop_all()
        started = time.perf_counter()
        store.ensure_indexes(db)
        print("built the other indexes of %d customers in %.0f s" % (state["seeded"], time.perf_counter() - started),
              flush=True)
        state["bulk"] = False
        save_state(data, state)
        stack.start_all()


def samples(db, count):
    """Names, phones and e-mails of customers spread over the archive, to search for."""
    ids = []
    # By id (random), through the look-up keys' index: spread over the whole archive, as a user's searches are.
    for customer in db.customers.find({"match_keys": "owner:owner-007"},
                                      {"legal_name": 1, "phone": 1, "email": 1}).sort("_id"):
        ids.append(customer)
        if len(ids) >= count:
            break
    return ids


def cases(picked, site_id):
    """Searches by label, the narrow ones first: a refused search leaves the embedded server busy
    for a while (it notices its time limit only after reading the candidates)."""
    rng = random.Random(3)
    latin = [c for c in picked if c["legal_name"].endswith("Ltd.")]
    chinese = [c for c in picked if c["legal_name"].endswith("公司")]
    return {
        "q latin brand + word": [{"q": " ".join(c["legal_name"].split()[:2])} for c in latin[:8]],
        "q latin brand (6 chars)": [{"q": c["legal_name"][:6]} for c in latin[:8]],
        "q latin brand (4 chars)": [{"q": c["legal_name"][:4]} for c in latin[:8]],
        "q chinese name prefix": [{"q": c["legal_name"][:4]} for c in chinese[:8]],
        "q chinese infix (brand)": [{"q": c["legal_name"][2:5]} for c in chinese[:8]],
        "q phone prefix": [{"q": c["phone"][:8]} for c in picked[:8]],
        "q e-mail prefix": [{"q": c["email"].split("@")[0]} for c in picked[:8]],
        "filter owner": [{"owner_id": "owner-%03d" % rng.randrange(OWNERS)} for _ in range(8)],
        "filter tier=vip": [{"tier": "vip"}],
        "q 2 characters": [{"q": c["legal_name"][:2]} for c in latin[:8]],
        "q 3 characters": [{"q": c["legal_name"][:3]} for c in latin[:8]],
        "q 1 character": [{"q": c["legal_name"][:1]} for c in latin[:4] + chinese[:4]],
        "q e-mail name (short)": [{"q": "info%d" % n} for n in (37, 512, 2048, 9)],
        "filter tag": [{"tag": "精密"}, {"tag": "能源"}],
        "filter region": [{"region": "江苏"}],
        "filter site": [{"site_id": site_id}],
        "no filter (first page)": [{}],
        "sort by name": [{"sort": "legal_name"}, {"sort": "-legal_name"}],
        "sort by created / revenue": [{"sort": "-created_at"}, {"sort": "annual_revenue"}],
        "sort by tier (ties)": [{"sort": "-tier_rank"}],
        "filter tier + tag": [{"tier": "key", "tag": "精密"}],
        "filter owner sorted by name": [{"owner_id": "owner-%03d" % rng.randrange(OWNERS), "sort": "legal_name"}],
    }


def settle(pid, idle_share=0.2, timeout=180):
    """Wait until the database server is idle (below ``idle_share`` of a core for a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(1)
        if cpu_seconds(pid) - before < idle_share:
            return


def measure(api, headers, params_list, repeat, give_up=2):
    """p50 and p95 (ms), the totals seen and the failures; a search whose first ``give_up``
    requests all fail is not sent again (each would keep the embedded server busy)."""
    timings, failures, matches = [], 0, []
    for n in range(repeat):
        params = dict(params_list[n % len(params_list)], limit=50)
        started = time.perf_counter()
        response = requests.get(api + "/customers", headers=headers, params=params, timeout=60)
        timings.append(time.perf_counter() - started)
        if response.status_code == 200:
            matches.append(response.json()["total"])
        else:
            failures += 1
        if failures == give_up == n + 1:
            break
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(len(timings) * 0.95)) - 1)]
    return statistics.median(timings) * 1000, p95 * 1000, matches, failures, len(timings)


def report(api, users, table, repeat, db_pid):
    print("%-26s %-6s %9s %9s %17s %8s" % ("search", "as", "p50 ms", "p95 ms", "matches", "failed"))
    for label, params_list in table.items():
        for who, headers in users.items():
            if db_pid:
                settle(db_pid)
            p50, p95, matches, failures, sent = measure(api, headers, params_list, repeat)
            shown = "%d–%d" % (min(matches), max(matches)) if matches else "-"
            print("%-26s %-6s %9.0f %9.0f %17s %6d/%d" % (label, who, p50, p95, shown, failures, sent), flush=True)


def reads_beside_lists(api, headers, db, reads=200):
    """p50 / p95 of a customer read by id while another client pages the admin's list (three
    sorts, four pages each) in a loop: a list must not stall the reads beside it."""
    ids = [c["_id"] for c in db.customers.find({"owner_id": "owner-011"}, {"_id": 1}).limit(reads)]
    stop = threading.Event()
    pages = [0]

    def lists():
        while not stop.is_set():
            for sort in ("-updated_at", "legal_name", "-tier_rank"):
                cursor = None
                for _ in range(4):
                    params = {"sort": sort, "limit": 50, **({"cursor": cursor} if cursor else {})}
                    page = requests.get(api + "/customers", headers=headers, params=params, timeout=60).json()
                    pages[0] += 1
                    cursor = page.get("next_cursor")

    looping = threading.Thread(target=lists, daemon=True)
    looping.start()
    timings = []
    for customer_id in ids:
        started = time.perf_counter()
        requests.get(api + "/customers/%s" % customer_id, headers=headers, timeout=60).raise_for_status()
        timings.append(time.perf_counter() - started)
    stop.set()
    looping.join()
    timings.sort()
    print("read by id beside the list loop: p50 %.0f ms, p95 %.0f ms (%d reads, %d list pages meanwhile)" % (
        statistics.median(timings) * 1000, timings[int(len(timings) * 0.95) - 1] * 1000, len(timings), pages[0]),
        flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000000)
    parser.add_argument("--data", required=True, help="directory for the database and the bench's state")
    parser.add_argument("--repeat", type=int, default=20, help="requests per search and user")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--narrow", action="store_true", help="only the searches matching a few thousand at most")
    parser.add_argument("--only", help="the searches to run, by label, separated by commas")
    parser.add_argument("--cache-size", default="8G", help="each database server's cache (default 8G; its own is 1G)")
    args = parser.parse_args()
    if os.path.isdir(os.path.join(args.data, "db", "data")):
        sys.exit("%s holds one database server for every service (an earlier layout; now each service "
                 "has its own): seed a new --data directory." % args.data)
    os.makedirs(os.path.join(args.data, "db"), exist_ok=True)
    os.makedirs(os.path.join(args.data, "logs"), exist_ok=True)
    state = load_state(args.data, args.customers)
    vhost = "crm_bench_search_%s" % state["run_id"]
    servers.add_vhost(vhost)
    mongo = servers.ServiceServers(os.path.join(args.data, "db"), ["--cache-size", args.cache_size])
    stack = None
    try:
        mongo.start(timeout=900)
        env = environment(args.data, mongo, state)
        os.environ.update({key: env[key] for key in ("CUSTOMERS_MONGO_URI", "CRM_DB_PREFIX")})
        stack = Stack(env, os.path.join(args.data, "logs"))
        stack.start_all()
        api = stack.url + "/api/v1"
        admin = sign_in(api, "admin", state["password"])
        prepare_people(api, admin, state, args.data)
        # no timeout: building the indexes of a million customers takes longer than any bound would allow
        client = pymongo.MongoClient(env["CUSTOMERS_MONGO_URI"], socketTimeoutMS=None)
        db = client[env["CRM_DB_PREFIX"] + "_customers"]
        seed_archive(state, args.data, db, args.customers, stack)
        if args.seed_only:
            return
        users = {"admin": admin, "sales": sign_in(api, "bench.sales", state["password"])}
        print("archive: %d customers in %d sites; load average %s" % (
            state["seeded"], SITES, " ".join(open("/proc/loadavg").read().split()[:3])), flush=True)
        table = cases(samples(db, 40), state["sites"][0])
        if args.narrow or args.only:
            wanted = args.only.split(",") if args.only else NARROW
            table = {label: params for label, params in table.items() if label in wanted}
        report(api, users, table, args.repeat, mongo["customers"].process.pid)
        reads_beside_lists(api, admin, db)
        print("load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        if stack is not None:
            stack.stop_all()
        mongo.stop()
        servers.delete_vhost(vhost)


if __name__ == "__main__":
    main()
