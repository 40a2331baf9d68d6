"""What a site's staff measures cost the embedded database server as a quarter's records grow.

Starts a private embedded server and seeds one site (beside three others of the same size) with a
quarter's orders, payments, interactions, decided opportunities and due follow-ups spread over 40
owners, and a year before it of orders that no quarter query may read. Times ``performance.tally``
(every measure of every user of the site but the feedback service's: what one scorecard, one
leaderboard or the targets page reads) at each size, reporting the wall and server CPU
milliseconds, and their ratio to the smallest size (linear in the quarter's records is the goal:
the year before and the other sites must cost nothing).

    .venv/bin/python -m bench.scorecards [--sizes 2000,20000] [--runs 5]
"""
import argparse
import datetime
import os
import random
import statistics
import tempfile
import time
import uuid

import pymongo

from bench.cpu import cpu_seconds
from services.common.auth import Caller
from services.customers import performance, periods, store
from tests.support.servers import EmbeddedMongo

SITES = ["site-a", "site-b", "site-c", "site-d"]
OWNERS = ["u-%d" % n for n in range(40)]
PERIOD = periods.parse("2027-Q2")
UTC = datetime.timezone.utc


def _day(rng, first, days):
    return first + datetime.timedelta(days=rng.randrange(days))


def seed(db, site_id, records, rng):
    """``records`` of each kind in the quarter at ``site_id`` and as many orders in the year before."""
    customers = ["%s-c%d" % (site_id, n) for n in range(max(1, records // 10))]
    base = {"site_id": site_id, "deleted_at": None}

    def part(**fields):
        return dict(base, _id=uuid.uuid4().hex, customer_id=rng.choice(customers), **fields)

    def moment(day):
        return datetime.datetime.combine(day, datetime.time(rng.randrange(24)), UTC)

    db.orders.insert_many([part(order_date=_day(rng, PERIOD.since, 91).isoformat(), owner_id=rng.choice(OWNERS),
                                status="confirmed", total_amount=float(rng.randrange(100, 10000)))
                           for _ in range(records)]
                          + [part(order_date=_day(rng, PERIOD.since - datetime.timedelta(days=365), 360).isoformat(),
                                  owner_id=rng.choice(OWNERS), status="confirmed", total_amount=1.0)
                             for _ in range(records)])
    db.payments.insert_many([part(payment_date=_day(rng, PERIOD.since, 91).isoformat(), owner_id=rng.choice(OWNERS),
                                  amount=100.0) for _ in range(records // 2)])
    db.interactions.insert_many([part(occurred_at=moment(_day(rng, PERIOD.since, 91)), kind="call",
                                      created_by=rng.choice(OWNERS)) for _ in range(records)])
    db.opportunities.insert_many([part(decided_at=moment(_day(rng, PERIOD.since, 91)), owner_id=rng.choice(OWNERS),
                                       stage=rng.choice(["won", "lost"])) for _ in range(records // 5)])
    db.followups.insert_many([part(due_date=_day(rng, PERIOD.since, 91).isoformat(), assignee_id=rng.choice(OWNERS),
                                   status="done", done_at=moment(_day(rng, PERIOD.since, 91)))
                              for _ in range(records // 2)])
    db.customers.insert_many([dict(base, _id=customer_id, owner_id=rng.choice(OWNERS), filter_keys=["*"],
                                   created_at=moment(_day(rng, PERIOD.since - datetime.timedelta(days=200), 290)))
                              for customer_id in customers])


def measure(server, db, runs):
    caller = Caller.service("bench")
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), cpu_seconds(server.process.pid)
        tallies = performance.tally(db, caller, SITES[0], PERIOD, today=PERIOD.until, feedback=False)
        cpus.append(cpu_seconds(server.process.pid) - cpu)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, tallies


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="crm-scorecard-bench-")
    os.makedirs(os.path.join(storage, "server"))
    server = EmbeddedMongo(os.path.join(storage, "server"))
    server.start()
    try:
        client = pymongo.MongoClient(server.uri, tz_aware=True)
        smallest = None
        for size in (int(n) for n in args.sizes.split(",")):
            db = client["bench_%d" % size]
            store.ensure_indexes(db)
            rng = random.Random(size)
            for site_id in SITES:
                seed(db, site_id, size, rng)
            wall, cpu, tallies = measure(server, db, args.runs)
            orders = tallies.of([performance.SITE])["orders"]
            assert orders == size, (orders, size)
            smallest = smallest or (size, wall, cpu)
            print("%6d records of each kind a quarter (x4 sites, + a year of orders before): tally %.0f ms wall, "
                  "%.0f ms server CPU; per record %.3f ms; wall / smallest %.2f for %.1fx the records" % (
                      size, wall, cpu, wall / size, wall / smallest[1], size / smallest[0]))
        print("load average at the end: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
