"""What the customers collection's index set costs the embedded database server per write.

Starts a private embedded server and, in turns, writes the same customers into two databases:
one with the service's indexes (``store.ensure_indexes``: look-ups folded into ``match_keys``,
upkeep timers into ``due_keys``) and one with the indexes those two replaced
(``store.FOLDED_INDEXES``) instead. Each turn inserts a batch through ``store.insert_customers``
and then changes each customer once through the keyed write (an owner and a tag: what a list
filter and a look-up both see). Reports the server's CPU milliseconds per insert and per update
for each set, their ratio, the index counts and the load average.

    .venv/bin/python -m bench.customer_indexes [--customers 4000] [--batch 500]
"""
import argparse
import os
import random
import tempfile

import pymongo

from bench.cpu import cpu_seconds
from bench.customers import seed_documents
from services.customers import store
from tests.support.servers import EmbeddedMongo

SITES = ["site-a", "site-b", "site-c", "site-d"]
OWNERS = ["u-%d" % n for n in range(40)]


def before_folding(db):
    """The service's indexes less the two folded arrays, with the indexes they replaced."""
    store.ensure_indexes(db)
    for name in ("match_keys_1", "due_keys_1"):
        db.customers.drop_index(name)
    for index in store.FOLDED_INDEXES:
        db.customers.create_index(index)


def timed(server, work):
    started = cpu_seconds(server.process.pid)
    work()
    return cpu_seconds(server.process.pid) - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="crm-index-bench-")
    os.makedirs(os.path.join(storage, "server"))
    server = EmbeddedMongo(os.path.join(storage, "server"))
    server.start()
    try:
        client = pymongo.MongoClient(server.uri, tz_aware=True)
        sets = {"now": client.bench_now, "before": client.bench_before}
        store.ensure_indexes(sets["now"])
        before_folding(sets["before"])
        spent = {name: {"insert": 0.0, "update": 0.0} for name in sets}
        rng = random.Random(11)
        for first in range(0, args.customers, args.batch):
            documents = seed_documents(first, min(args.customers, first + args.batch), SITES, OWNERS, rng)
            for name in (("now", "before") if first // args.batch % 2 else ("before", "now")):
                db, batch = sets[name], [dict(document) for document in documents]
                spent[name]["insert"] += timed(server, lambda: store.insert_customers(db, batch))
                spent[name]["update"] += timed(server, lambda: [
                    store.set_customer_fields(db, document["_id"], {"owner_id": OWNERS[n % len(OWNERS)],
                                                                    "tags": ["changed"]})
                    for n, document in enumerate(batch)])
        count = args.customers
        for name, db in sets.items():
            print("%-6s %2d secondary indexes: insert %.3f ms, update %.3f ms of server CPU a customer" % (
                name, len(db.customers.index_information()) - 1, 1000 * spent[name]["insert"] / count,
                1000 * spent[name]["update"] / count))
        for kind in ("insert", "update"):
            print("%s: now / before = %.2f" % (kind, spent["now"][kind] / spent["before"][kind]))
        print("load average at the end: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
