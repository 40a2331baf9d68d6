"""Merging customers into one survivor, and reverting a merge.

A merge touches many documents, so it is a recorded procedure, not a transaction. The merge
record (``merges``) is written first, status ``pending``, holding the chosen field values and
full before-images of the survivor and the merged customers; parts and child customers are
moved in batches, each batch's before-images (``merge_images``) saved before it moves. Every
step is conditional (the survivor carries ``last_merge_id``, a merged customer ``merge_id``, a
moved part is matched by its current customer), so running a cut-short merge or revert again
completes it: the caller's revert does so at once, ``resume_stale`` (a timer) finds the others.
The survivor is written first and only if unchanged since its image; if it changed, nothing has
been applied and the merge is abandoned (409).

Sites: the caller must see the survivor and every merged customer. A merged customer of another
site moves to the survivor's (``customer_moved``), its parts with it; each moved part is audited
(``moved``, one entry per part whatever the retries: the event id is derived from the merge).
Child customers in sites the caller cannot see are left where they are (their parent is then the
soft-deleted merged customer): a merge never changes what its caller may not see. The merge list
names only the customers of the caller's sites. The survivor's site must be active (422
``site_id``); merged customers may come from a disabled site (that empties it).
"""
import datetime
import itertools
import logging
import uuid

from pymongo.errors import PyMongoError

from services.common.clock import isoformat, utcnow
from services.common.envelope import changes_between
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load
from services.customers import access, archive, contract, customer_record, effects, events, insights, moves, store

log = logging.getLogger(__name__)

MERGEABLE = contract.MERGEABLE
BATCH = 500
LEASE_SECONDS = 120
STALE_ATTEMPTS = 3
KEPT = ("_id", "version", "updated_at")


def _lease():
    return utcnow() + datetime.timedelta(seconds=LEASE_SECONDS)


def _time(value):
    return isoformat(value) if value else None


def out(record, caller):
    return {"id": record["_id"], "status": record["status"], "survivor_id": record["survivor_id"],
            "merged_ids": record["merged_ids"], "fields": record["fields"], "moved": record.get("moved", {}),
            "created_by": record["created_by"], "created_at": _time(record["created_at"]),
            "done_at": _time(record.get("done_at")), "reverted_at": _time(record.get("reverted_at")),
            "reverted_by": record.get("reverted_by"),
            "names": {customer_id: image.get("legal_name") for customer_id, image in (record.get("images") or {}).items()
                      if caller.has_site(image.get("site_id"))}}


def list_merges(db, caller, limit, cursor):
    """Merges whose survivor is in the caller's sites, newest first (customers:write, to revert them)."""
    caller.require("customers:write")
    documents, next_cursor, total, bound = store.list_merges(db, caller.site_scope(), limit,
                                                             cursor)
    return {"items": [out(record, caller) for record in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def _blank(value):
    return value in (None, "", [], {})


def chosen_changes(survivor, others, choices):
    """Field values of the merged survivor that differ from its own: chosen per field, else the
    survivor's, a blank filled from the first merged customer that has the field."""
    by_id = {c["_id"]: c for c in [survivor] + others}
    changes = {}
    for field in MERGEABLE:
        if field in choices:
            value = by_id[choices[field]].get(field)
        else:
            value = survivor.get(field)
            if _blank(value):
                value = next((o.get(field) for o in others if not _blank(o.get(field))), value)
        if value != survivor.get(field) and not (_blank(value) and _blank(survivor.get(field))):
            changes[field] = value
    return changes


def _resolve_parent(db, survivor_id, by_id, parent_id):
    """The survivor's parent after the merge: a merged parent gives way to its own parent; an
    ancestor among the merged customers (or the survivor) would close a cycle (409)."""
    while parent_id in by_id and parent_id != survivor_id:
        parent_id = by_id[parent_id].get("parent_id")
    if parent_id == survivor_id:
        return None
    seen, current = set(), parent_id
    while current and current not in seen:
        if current in by_id:
            raise Conflict("This merge would make the hierarchy a cycle.", {"parent_id": ["Creates a cycle."]},
                           code="hierarchy_cycle")
        seen.add(current)
        parent = store.find_customer(db, current, include_deleted=True)
        current = parent.get("parent_id") if parent else None
    return parent_id


def merge(db, caller, survivor_id, data):
    caller.require("customers:write")
    data = load(contract.MergeSchema(), data)
    merged_ids = list(dict.fromkeys(data["merged_ids"]))
    if survivor_id in merged_ids:
        raise ValidationFailed(fields={"merged_ids": ["The survivor cannot be merged into itself."]})
    survivor = archive.get_visible(db, caller, survivor_id)
    archive.require_writable(db, survivor)
    others = [archive.get_visible(db, caller, customer_id) for customer_id in merged_ids]
    bad = {field: ["Not one of the merged customers."] for field, source in data["fields"].items()
           if source != survivor_id and source not in merged_ids}
    if bad:
        raise ValidationFailed(fields={"fields": bad})
    changes = chosen_changes(survivor, others, data["fields"])
    if changes.get("owner_id"):
        archive.check_owner(caller, dict(survivor, **changes))
    by_id = {c["_id"]: c for c in [survivor] + others}
    parent_id = _resolve_parent(db, survivor_id, by_id, changes.get("parent_id", survivor.get("parent_id")))
    if parent_id != survivor.get("parent_id"):
        changes["parent_id"] = parent_id
    else:
        changes.pop("parent_id", None)
    now = utcnow()
    record = {"_id": uuid.uuid4().hex, "status": "pending", "survivor_id": survivor_id, "merged_ids": merged_ids,
              "site_id": survivor["site_id"], "sites": sorted({c["site_id"] for c in by_id.values()}),
              "fields": data["fields"], "changes": changes, "images": by_id, "created_by": caller.user_id,
              "scope": caller.site_scope(), "created_at": now, "updated_at": now,
              "lease_until": _lease()}
    store.insert_merge(db, record)
    record = apply(db, record)
    if record["status"] == "abandoned":
        raise stale_version("survivor")
    return out(record, caller)


def apply(db, record):
    """Carry out a pending merge (again, if it was cut short); the record as it ends."""
    if not _apply_survivor(db, record):
        return _set(db, record, status="abandoned")
    for customer_id in record["merged_ids"]:
        record = _retire(db, record, customer_id)
    for part in store.PARTS:
        _move_parts(db, record, part)
    _move_children(db, record)
    survivor = store.find_customer(db, record["survivor_id"])
    if survivor is not None:
        effects.refresh_contact_keys(db, survivor)
        insights.refresh(db, survivor["_id"])
    return _set(db, record, status="done", done_at=utcnow(), moved=store.count_merge_images(db, record["_id"]))


def _set(db, record, **changes):
    store.update_merge(db, record["_id"], changes)
    return dict(record, **changes)


def _apply_survivor(db, record):
    survivor_id, merge_id = record["survivor_id"], record["_id"]
    image = record["images"][survivor_id]
    after = dict(image, **record["changes"])
    changes = dict(record["changes"], **customer_record.derived_keys(after), last_merge_id=merge_id)
    diff = changes_between(image, after, customer_record.INTERNAL_FIELDS + ("completeness",))
    site, actor = image["site_id"], record["created_by"]
    emitted = [events.event("customer_merged", {"survivor_id": survivor_id, "merged_ids": record["merged_ids"],
                                                "merge_id": merge_id}, site, actor),
               events.audit("customer", survivor_id, "merged", dict(diff, merged_ids={
                   "before": None, "after": record["merged_ids"]}), site, actor)]
    if diff:
        emitted.append(events.event("customer_updated", dict(events.customer_data(after),
                                                             changed_fields=sorted(diff)), site, actor))
    match = {"_id": survivor_id, "deleted_at": None, "version": image["version"]}
    if store.change_customer(db, match, changes, *emitted) is not None:
        return True
    current = store.find_customer(db, survivor_id, include_deleted=True)
    return current is not None and current.get("last_merge_id") == merge_id


def _retire(db, record, customer_id):
    """Soft-delete one merged customer (``merged_into``), refreshing its image if it changed."""
    merge_id = record["_id"]
    for _ in range(STALE_ATTEMPTS):
        image = record["images"][customer_id]
        now = utcnow()
        changes = {"deleted_at": image.get("deleted_at") or now,
                   "purge_after": now + datetime.timedelta(days=archive.RESTORE_DAYS),
                   "merged_into": record["survivor_id"], "merge_id": merge_id, "site_id": record["site_id"]}
        emitted = [events.audit("customer", customer_id, "merged_into", changes_between(image, dict(image, **changes)),
                                image["site_id"], record["created_by"])]
        if image["site_id"] != record["site_id"]:
            emitted.append(moves.moved_event(customer_id, image["site_id"], record["site_id"], record["created_by"]))
        if store.retire_merged(db, customer_id, image["version"], merge_id, changes, *emitted) is not None:
            store.move_customer_records(db, customer_id, record["site_id"])
            return record
        current = store.find_customer(db, customer_id, include_deleted=True)
        if current is None or current.get("merge_id") == merge_id:
            store.move_customer_records(db, customer_id, record["site_id"])
            return record
        images = dict(record["images"], **{customer_id: current})
        record = _set(db, record, images=images)
    raise Conflict("A merged customer keeps changing; try again.", code="stale_version")


def _move_parts(db, record, part):
    merged_ids, survivor_id = record["merged_ids"], record["survivor_id"]
    while True:
        refs = store.part_refs(db, part, merged_ids, BATCH)
        if not refs:
            return
        store.save_merge_images(db, record["_id"], part, refs)
        target = {"customer_id": survivor_id, "site_id": record["site_id"]}
        _audit_moves(db, record, part, [(ref, target) for ref in refs], record["created_by"], "moved")
        store.move_parts(db, part, [ref["_id"] for ref in refs], merged_ids, survivor_id, record["site_id"])


def _audit_moves(db, record, part, moved, actor, action):
    """One audit entry per part of ``moved``, ``(before, after)`` pairs of its ``customer_id`` and
    ``site_id`` (``before`` has its ``_id``). The event id is derived from the merge, so a step run
    again yields the same entries, kept once."""
    emitted = []
    for before, after in moved:
        owner = {"customer_id": before["customer_id"], "site_id": before["site_id"]}
        changes = changes_between(owner, {"customer_id": after["customer_id"], "site_id": after["site_id"]})
        event = events.audit(access.ENTITY[part], before["_id"], action, changes, after["site_id"], actor)
        event["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_OID, "%s:%s:%s:%s" % (record["_id"], action, part,
                                                                                  before["_id"])))
        emitted.append(event)
    store.queue_events(db, *emitted)


def _move_children(db, record):
    survivor_id, actor = record["survivor_id"], record["created_by"]
    skip = [survivor_id] + record["merged_ids"]
    scope = record.get("scope")
    for child in store.child_refs(db, record["merged_ids"], skip):
        if scope is not None and child["site_id"] not in scope:
            continue
        store.save_merge_images(db, record["_id"], "children", [{"_id": child["_id"], "parent_id": child["parent_id"]}])
        _reparent(db, child, child["parent_id"], survivor_id, actor)


def _reparent(db, child, old, new, actor):
    after = dict(child, parent_id=new)
    diff = {"parent_id": {"before": old, "after": new}}
    store.change_customer(
        db, {"_id": child["_id"], "parent_id": old}, {"parent_id": new},
        events.event("customer_updated", dict(events.customer_data(after), changed_fields=["parent_id"]),
                     child["site_id"], actor),
        events.audit("customer", child["_id"], "updated", diff, child["site_id"], actor))


def revert_merge(db, caller, merge_id):
    caller.require("customers:write")
    record = store.find_merge(db, merge_id) if isinstance(merge_id, str) else None
    if record is None or not all(caller.has_site(site) for site in record["sites"]):
        raise NotFound("No such merge.")
    if record["status"] == "reverted":
        return out(record, caller)
    if record["status"] == "abandoned":
        raise Conflict("This merge was never applied.", code="merge_abandoned")
    _check_revertible(db, record)
    claimed = store.claim_merge(db, _lease(), merge_id=merge_id, status="reverting")
    if claimed is None:
        raise Conflict("This merge is being carried out right now; try again shortly.", code="merge_in_progress")
    return out(revert(db, dict(claimed, reverted_by=caller.user_id)), caller)


def _check_revertible(db, record):
    refusal = revert_refusal(db, record)
    if refusal is not None:
        raise refusal


def revert_refusal(db, record):
    """The 409 a revert of this done merge gets, or None while it can be reverted: when a customer
    of the merge was erased (or purged, RESTORE_DAYS after the merge), or the survivor moved to
    another site since, its images would bring back blanked or misplaced data."""
    customers = [store.find_customer(db, customer_id, include_deleted=True)
                 for customer_id in [record["survivor_id"]] + list(record["merged_ids"])]
    if any(customer is None or customer.get("erased") for customer in customers):
        return Conflict("A customer of this merge has been erased; the merge can no longer be reverted.",
                        code="merge_erased")
    if customers[0]["site_id"] != record["site_id"]:
        return Conflict("The surviving customer moved to another site since the merge; the merge can no longer "
                        "be reverted.", code="merge_moved")
    return None


def revert(db, record):
    """Undo a merge from its before-images (again, if a revert was cut short)."""
    survivor_id, merge_id = record["survivor_id"], record["_id"]
    actor = record.get("reverted_by") or record["created_by"]
    for image in store.merge_images(db, merge_id, "children"):
        child = store.find_customer(db, image["_id"], include_deleted=True)
        if child is not None and child.get("parent_id") == survivor_id:
            _reparent(db, child, survivor_id, image["parent_id"], actor)
    for part in store.PARTS:
        images = store.merge_images(db, merge_id, part)
        merged_state = {"customer_id": survivor_id, "site_id": record["site_id"]}
        for chunk in iter(lambda: list(itertools.islice(images, BATCH)), []):
            _audit_moves(db, record, part, [(dict(merged_state, _id=image["_id"]), image) for image in chunk], actor,
                         "move_reverted")
            store.restore_parts(db, part, chunk, survivor_id)
    for customer_id in record["merged_ids"]:
        current = store.find_customer(db, customer_id, include_deleted=True)
        image = record["images"][customer_id]
        if current is not None and current.get("merge_id") == merge_id:
            moved = [] if current["site_id"] == image["site_id"] else [
                moves.moved_event(customer_id, current["site_id"], image["site_id"], actor)]
            _restore(db, current, image, {"merge_id": merge_id}, actor,
                     events.event("customer_restored", {"customer_id": customer_id,
                                                        "legal_name": image["legal_name"]}, image["site_id"], actor),
                     *moved)
        store.move_customer_records(db, customer_id, image["site_id"])
    survivor = store.find_customer(db, survivor_id, include_deleted=True)
    if survivor is not None and survivor.get("last_merge_id") == merge_id:
        image = record["images"][survivor_id]
        _restore(db, survivor, image, {"last_merge_id": merge_id}, actor, events.event(
            "merge_reverted", {"survivor_id": survivor_id, "restored_ids": record["merged_ids"],
                               "merge_id": merge_id}, image["site_id"], actor))
    for customer_id in [survivor_id] + record["merged_ids"]:
        customer = store.find_customer(db, customer_id)
        if customer is not None:
            effects.refresh_contact_keys(db, customer)
            insights.refresh(db, customer_id)
    return _set(db, record, status="reverted", reverted_at=utcnow(), reverted_by=actor)


def _restore(db, current, image, match, actor, event, *moved):
    """Put ``image`` back (its version moves on; fields the image lacks are removed)."""
    fields = {key: value for key, value in image.items() if key not in KEPT}
    unset = [key for key in current if key not in image and key not in KEPT and not key.startswith("_")]
    audit = events.audit("customer", image["_id"], "merge_reverted",
                         changes_between(current, image, customer_record.INTERNAL_FIELDS + ("completeness",)),
                         image["site_id"], actor)
    store.change_customer(db, dict(match, _id=image["_id"]), fields, event, audit, *moved, unset=unset)


def resume_stale(db):
    """Complete merges and reverts whose worker stopped (their lease ran out); how many."""
    count = 0
    try:
        while True:
            record = store.claim_merge(db, _lease())
            if record is None:
                return count
            try:
                (revert if record["status"] == "reverting" else apply)(db, record)
            except Conflict:
                log.warning("merge %s could not be completed yet", record["_id"])
            count += 1
    except PyMongoError as exc:
        log.warning("resuming merges: database unavailable (%s)", type(exc).__name__)
        return count
