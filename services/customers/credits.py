"""Whom a customer's record counts for in targets and scorecards, and when: stamped as it is written.

Orders, payments and opportunities count for the customer's owner at the time they are recorded
(``owner_id``), so a later change of owner leaves the earlier results with whoever earned them; a
record without the stamp (older, or written by an import) counts for the customer's current owner.
An opportunity is decided when it moves to won or lost (``decided_at``); a follow-up is done when
its status becomes done (``done_at``); either is cleared when the record moves back."""
import datetime

from services.customers import store

CREDITED_TO_OWNER = ("orders", "payments", "opportunities")
DECIDED = ("won", "lost")
STAMPS = ("owner_id", "decided_at", "done_at")
MARKER = "credit-stamps-1"


def on_create(part, customer, document, now, imported=False):
    """``imported``: a record of history an import brings, decided or done at a time nobody knows, so
    it counts for no period by those."""
    stamps = {}
    if part in CREDITED_TO_OWNER:
        stamps["owner_id"] = customer.get("owner_id")
    if part == "opportunities":
        stamps["decided_at"] = now if document.get("stage") in DECIDED and not imported else None
    if part == "followups":
        stamps["done_at"] = now if document.get("status") == "done" and not imported else None
    return stamps


def on_update(part, before, changes, now):
    stamps = {}
    if part == "opportunities" and changes.get("stage", before.get("stage")) != before.get("stage"):
        stamps["decided_at"] = now if changes["stage"] in DECIDED else None
    if part == "followups" and changes.get("status", before.get("status")) != before.get("status"):
        stamps["done_at"] = now if changes["status"] == "done" else None
    return stamps


def _decided_at(opportunity):
    """When an opportunity stored before the stamp reached its stage: its last move there, else its last change."""
    for move in reversed(opportunity.get("stage_history") or []):
        if move.get("stage") == opportunity["stage"]:
            try:
                return datetime.datetime.fromisoformat(move["at"])
            except (TypeError, ValueError):
                break
    return opportunity.get("updated_at")


def stamp_stored(db):
    """Once: when the opportunities stored before the stamp were decided (the range the measures read
    needs it). A follow-up done before its stamp counts by its last change instead (``performance``):
    they are many, and none is rewritten for it."""
    for opportunity in store.unstamped_decisions(db):
        store.stamp(db, "opportunities", opportunity["_id"], {"decided_at": _decided_at(opportunity)})
