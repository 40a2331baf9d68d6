"""Finished import jobs and merges are deleted CUSTOMERS_JOB_RETENTION_DAYS after they ended.

An import goes with its uploaded chunks and row errors, a merge with its before-images. A done
merge stays while it can still be reverted (``merge.revert_refusal``): at least RESTORE_DAYS,
until its merged customers are purged, and longer if one of them was restored. Each run takes
bounded batches through the status + end-time indexes; the next run takes the rest.
"""
import datetime
import logging

from pymongo.errors import PyMongoError

from services.common import config
from services.common.clock import utcnow
from services.customers import archive, merge, store

log = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES = 10
ENDED_IMPORTS = ("completed", "failed")
ENDED_MERGES = ("reverted", "abandoned")


def retention():
    return datetime.timedelta(days=config.get_float("CUSTOMERS_JOB_RETENTION_DAYS"))


def purge_finished(db, now=None):
    """Delete the jobs and merges past their retention; ``{"imports": n, "merges": n}``."""
    now = now or utcnow()
    try:
        return {"imports": _purge_imports(db, now - retention()), "merges": _purge_merges(db, now)}
    except PyMongoError as exc:
        log.warning("purging finished imports and merges: database unavailable (%s)", type(exc).__name__)
        return {"imports": 0, "merges": 0}


def _purge_imports(db, before):
    count = 0
    for status in ENDED_IMPORTS:
        for _ in range(MAX_BATCHES):
            ids = store.finished_imports(db, status, before, BATCH)
            for import_id in ids:
                store.delete_import(db, import_id)
            count += len(ids)
            if len(ids) < BATCH:
                break
    return count


def _purge_merges(db, now):
    count = 0
    for status in ENDED_MERGES:
        for _ in range(MAX_BATCHES):
            records = store.finished_merges(db, status, now - retention(), BATCH)
            for record in records:
                store.delete_merge(db, record["_id"])
            count += len(records)
            if len(records) < BATCH:
                break
    return count + _purge_done_merges(db, now - max(retention(), datetime.timedelta(days=archive.RESTORE_DAYS)))


def _purge_done_merges(db, before):
    """Done merges that can no longer be reverted; those that still can are stepped over (by their
    ``updated_at``), so they never hold back the ones after them."""
    count, after = 0, None
    for _ in range(MAX_BATCHES):
        records = store.finished_merges(db, "done", before, BATCH, after)
        for record in records:
            if merge.revert_refusal(db, record) is not None:
                store.delete_merge(db, record["_id"])
                count += 1
        if len(records) < BATCH:
            break
        after = records[-1]["updated_at"]
    return count
