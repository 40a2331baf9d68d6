"""What draining the e-mail outbox costs the embedded database server, by the size of the backlog.

Starts a private embedded server, queues ``--messages`` e-mails at once (a campaign's backlog,
through ``mail.queue``), then sends them through ``mail.send_due`` in batches of ``--batch`` to a
sender that keeps nothing (no SMTP: the outbox's own cost), until none is due. Reports the
server's CPU milliseconds per message sent, the wall time of the drain, the batches, and the load
average. Run it on the code before and after a change of the outbox's queries, back to back.

    .venv/bin/python -m bench.mail_outbox [--messages 2000] [--batch 20]
"""
import argparse
import os
import tempfile
import time

import pymongo

from bench.cpu import cpu_seconds
from services.notifications import mail, store
from tests.support.servers import EmbeddedMongo


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="crm-mail-bench-")
    server = EmbeddedMongo(storage)
    server.start()
    try:
        db = pymongo.MongoClient(server.uri, tz_aware=True).bench_mail
        store.ensure_indexes(db)
        for number in range(args.messages):
            mail.queue(db, "m-%06d" % number, "buyer%06d@bench.test" % number, "Greetings", "Dear buyer\n", "campaign")
        sent, batches = [], 0
        cpu_before, started = cpu_seconds(server.process.pid), time.perf_counter()
        while mail.send_due(db, sent.append, limit=args.batch):
            batches += 1
        wall, cpu = time.perf_counter() - started, cpu_seconds(server.process.pid) - cpu_before
        assert len(sent) == args.messages, (len(sent), args.messages)
        print("%d messages in %d batches of %d: database server %.2f ms of CPU a message, drain %.1f s "
              "(load average %.1f)" % (args.messages, batches, args.batch, cpu * 1000 / args.messages, wall,
                                       os.getloadavg()[0]))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
