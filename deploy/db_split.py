"""The move from one embedded server for every service to one per service, for `make run`.

Up to now ``var/db`` held a single server's files. Now each service has a server of its own, with
its files under ``var/db/<service>``. A ``var/db`` of the old layout is split once, before
anything starts: its files are moved aside to ``var/db-before-split`` (kept: delete them once the
system runs well), a server is started on them and each service's database (``CRM_DB_PREFIX``) is
dumped (``deploy.backup``) and restored into that service's new server, built in
``var/db-splitting`` and renamed to ``var/db`` when complete. A split that was interrupted starts
again from the files aside at the next run.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from deploy import backup, processes
from services.common import config
from services.common.mongo import ServiceDatabases

ASIDE_SUFFIX = "-before-split"
BUILD_SUFFIX = "-splitting"
# A WiredTiger home holds this file: in ``var/db`` itself only in the old layout.
WIREDTIGER_MARKER = "WiredTiger"
# Left in the files aside once their databases are in the new servers.
DONE_MARKER = "SPLIT-DONE"
START_TIMEOUT = 120


def single_server_layout(db_dir):
    return os.path.isfile(os.path.join(db_dir, WIREDTIGER_MARKER))


def split_pending(db_dir):
    """True when the files aside still wait to be split (the split never finished)."""
    aside = db_dir + ASIDE_SUFFIX
    return (not os.path.exists(db_dir) and os.path.isfile(os.path.join(aside, WIREDTIGER_MARKER))
            and not os.path.exists(os.path.join(aside, DONE_MARKER)))


def split_if_needed(db_dir, log=print):
    """Split a single-server ``db_dir`` into one server per service; nothing when already done."""
    aside = db_dir + ASIDE_SUFFIX
    if single_server_layout(db_dir):
        if os.path.exists(aside):
            sys.exit("%s holds one server's files for every service, and %s exists already: move one of "
                     "them away, then start again." % (db_dir, aside))
        log("%s holds one embedded server's files for every service; each service now has a server of "
            "its own. Moving the files to %s and copying each service's database into its own server..."
            % (db_dir, aside))
        os.rename(db_dir, aside)
    elif split_pending(db_dir):
        log("The split of %s into one server per service did not finish; copying each service's database "
            "from %s again..." % (db_dir, aside))
    else:
        return None
    counts = split(aside, db_dir)
    log("Split %s into one server per service under %s: %d collections, %d documents. The old files stay "
        "in %s until you delete them." % (aside, db_dir, len(counts), sum(counts.values()), aside))
    return counts


def split(aside, db_dir):
    """Copy each service's database from the single server in ``aside`` into its own server,
    built next to ``db_dir`` and renamed to it once complete."""
    build = db_dir + BUILD_SUFFIX
    shutil.rmtree(build, ignore_errors=True)
    os.makedirs(build)
    targets = {service: (free_port(), os.path.join(build, service)) for service in processes.SERVICES}
    with tempfile.TemporaryDirectory(dir=os.path.dirname(db_dir)) as dump_dir:
        with running(free_port(), aside) as old_uri:
            with ServiceDatabases({service: old_uri for service in processes.SERVICES}) as old:
                backup.dump(dump_dir, old)
        with running_each(targets) as uris, ServiceDatabases(uris) as new:
            counts = backup.restore(dump_dir, new)
    os.rename(build, db_dir)
    with open(os.path.join(aside, DONE_MARKER), "w") as handle:
        handle.write("Each service's database is in its own server under %s now.\n" % db_dir)
    return counts


@contextlib.contextmanager
def running_each(targets):
    """Embedded servers ``{service: (port, storage path)}`` running: -> ``{service: uri}``."""
    with contextlib.ExitStack() as stack:
        yield {service: stack.enter_context(running(port, path)) for service, (port, path) in targets.items()}


@contextlib.contextmanager
def running(port, storage_path):
    """An embedded server on ``storage_path`` for the time of the block: -> its URI."""
    command = processes.embedded_mongo_command(port, storage_path,
                                               cache_size=config.get("CRM_EMBEDDED_MONGO_CACHE_SIZE"))
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, output)
            yield "mongodb://127.0.0.1:%d/" % port
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_port(port, process, output):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output.seek(0)
            sys.exit("The embedded server on port %d exited while splitting var/db:\n%s"
                     % (port, output.read().decode(errors="replace").strip()[-2000:]))
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    sys.exit("The embedded server on port %d did not answer within %d s while splitting var/db."
             % (port, START_TIMEOUT))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
