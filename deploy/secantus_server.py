"""The embedded database server (SecantusDB), as ``python -m secantus`` runs it, with a shorter
switch interval of the interpreter's lock.

The server answers each client in a thread of one process. A query that reads many documents
holds the lock for Python's default 5 ms at a time, so a read by id arriving beside it waited
behind several such slices: at 0.5 ms, a read by id while another client pages a 200 000-customer
list in a loop took p95 17 ms instead of 22-24 (`bench/search_scale.py`, three runs each).
"""
import sys

from secantus.cli import main

SWITCH_INTERVAL = 0.0005  # seconds

if __name__ == "__main__":
    sys.setswitchinterval(SWITCH_INTERVAL)
    raise SystemExit(main())
