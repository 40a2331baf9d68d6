"""Dump and restore every service's database: ``python -m deploy.backup dump DIR`` / ``restore DIR``.

Each collection becomes ``DIR/<service>/<collection>.jsonl``: one document per line in MongoDB
Extended JSON (canonical), so types (dates, ids, binary) survive the round trip. ``restore``
replaces the collections it finds in DIR and recreates nothing else; services recreate their
indexes when they start. Stop the services (or accept a fuzzy snapshot) while dumping.

A dump holds password hashes, webhook secrets and personal data: its directories are made 0700
and its files 0600, whatever the umask, and an existing file is narrowed before it is rewritten.
Each service's database is read (written) on that service's server (``<SERVICE>_MONGO_URI``, else
``MONGO_URI``, else its embedded server): run it with MongoDB users that may read (dump) or write
(restore) every service database.
"""
import argparse
import contextlib
import os
import sys

from bson import json_util

from deploy.processes import SERVICES
from services.common.mongo import ServiceDatabases

OPTIONS = json_util.CANONICAL_JSON_OPTIONS


def private_directory(path):
    """``path`` (and missing parents) as a directory only its owner may enter."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def private_file(path):
    """``path`` opened for writing from empty, readable by its owner only (even if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def dump(directory, databases=None):
    """Write every service's database (of ``databases``, a ``ServiceDatabases``; default: the
    configured ones) under ``directory``; -> ``{"service.collection": documents}``."""
    with _opened(databases) as databases:
        return _dump(directory, databases)


def restore(directory, databases=None, batch=1000):
    """Replace the collections found under ``directory`` in each service's database."""
    with _opened(databases) as databases:
        return _restore(directory, databases, batch)


@contextlib.contextmanager
def _opened(databases):
    """``databases``, or the configured ones, closed afterwards."""
    if databases is not None:
        yield databases
        return
    with ServiceDatabases() as own:
        yield own


def _dump(directory, databases):
    counts = {}
    private_directory(directory)
    for service in SERVICES:
        db = databases[service]
        private_directory(os.path.join(directory, service))
        for name in sorted(db.list_collection_names()):
            path = os.path.join(directory, service, name + ".jsonl")
            with private_file(path) as handle:
                count = 0
                for document in db[name].find().sort("_id", 1):
                    handle.write(json_util.dumps(document, json_options=OPTIONS) + "\n")
                    count += 1
            counts["%s.%s" % (service, name)] = count
    return counts


def _restore(directory, databases, batch):
    counts = {}
    for service in SERVICES:
        folder = os.path.join(directory, service)
        if not os.path.isdir(folder):
            continue
        db = databases[service]
        for filename in sorted(os.listdir(folder)):
            if not filename.endswith(".jsonl"):
                continue
            name = filename[: -len(".jsonl")]
            db[name].drop()
            count, pending = 0, []
            with open(os.path.join(folder, filename), encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        pending.append(json_util.loads(line, json_options=OPTIONS))
                    if len(pending) >= batch:
                        db[name].insert_many(pending)
                        count, pending = count + len(pending), []
            if pending:
                db[name].insert_many(pending)
                count += len(pending)
            counts["%s.%s" % (service, name)] = count
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("dump", "restore"))
    parser.add_argument("directory")
    args = parser.parse_args(argv)
    if args.action == "restore" and not os.path.isdir(args.directory):
        sys.exit("No backup at %s." % args.directory)
    counts = (dump if args.action == "dump" else restore)(args.directory)
    for name, count in counts.items():
        print("%-40s %d" % (name, count))
    print("%s: %d collections, %d documents" % (args.action, len(counts), sum(counts.values())))


if __name__ == "__main__":
    main()
