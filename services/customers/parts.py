"""The parts of a customer (contacts, orders, payments, service records, interactions,
opportunities, follow-ups): one set of rules, with what is particular to each part.

A part of a customer whose site is disabled is neither created nor changed (422 ``site_id``);
deleting one stays allowed."""
import uuid

from services.common import colleagues
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import NotFound, ValidationFailed, stale_version
from services.common.schemas import load, storable
from services.customers import access, archive, contract, credits, events, identifiers, store

SCHEMAS = {
    "contacts": contract.ContactSchema,
    "orders": contract.OrderSchema,
    "payments": contract.PaymentSchema,
    "service_records": contract.ServiceRecordSchema,
    "interactions": contract.InteractionSchema,
    "opportunities": contract.OpportunitySchema,
    "followups": contract.FollowupSchema,
}
INTERNAL = ("created_at", "updated_at", "version", "customer_id", "site_id") + credits.STAMPS
FOLLOWUP_PERMISSION = access.PART_PERMISSIONS["followups"][1]


def check_part(part):
    if part not in SCHEMAS:
        raise NotFound("No such part of a customer.")


def out(document):
    """A part as the API shows it: ``id`` for ``_id``, no internal fields."""
    shown = {k: v for k, v in document.items() if not k.startswith("_")}
    shown["id"] = document["_id"]
    for key in ("created_at", "updated_at", "deleted_at", "occurred_at"):
        if hasattr(shown.get(key), "isoformat"):
            shown[key] = shown[key].isoformat()
    return shown


def _derived(part, document):
    """Fields computed from the part's own data."""
    if part == "orders":
        return {"total_amount": round(sum(line["amount"] for line in document["lines"]), 2)}
    if part == "opportunities" and "stage" in document:
        return {}
    if part == "contacts":
        return {"name_key": identifiers.fold(document.get("name", ""))}
    return {}


def _check_people(caller, customer, part, before, after):
    """A follow-up's assignee, when set or changed, must be able to do it at the customer's site (422)."""
    if part == "followups" and after.get("assignee_id") and after["assignee_id"] != before.get("assignee_id"):
        colleagues.check_user(caller, after["assignee_id"], customer["site_id"], FOLLOWUP_PERMISSION, "assignee_id")


def _customer_for_write(db, caller, customer_id, part):
    access.require_part(caller, part, write=True)
    return archive.get_visible(db, caller, customer_id)


def create_part(db, caller, customer_id, part, data, hooks):
    check_part(part)
    customer = _customer_for_write(db, caller, customer_id, part)
    archive.require_writable(db, customer)
    data = storable(load(SCHEMAS[part](), data))
    _check_people(caller, customer, part, {}, data)
    now = utcnow()
    document = dict(data, _id=uuid.uuid4().hex, customer_id=customer_id, site_id=customer["site_id"],
                    created_at=now, updated_at=now, version=1, deleted_at=None, created_by=caller.user_id)
    document.update(_derived(part, document))
    document.update(credits.on_create(part, customer, document, now))
    if part == "opportunities":
        document["stage_history"] = [{"stage": document["stage"], "at": now.isoformat(), "by": caller.user_id}]
    emitted = [events.audit(access.ENTITY[part], document["_id"], "created",
                            changes_between({}, document, INTERNAL + ("stage_history",)),
                            customer["site_id"], caller.user_id)]
    emitted += hooks.created(part, customer, document, caller)
    store.insert_part(db, part, document, *emitted)
    hooks.after_change(part, customer, document)
    return out(document)


def list_parts(db, caller, customer_id, part, limit, cursor):
    check_part(part)
    access.require_part(caller, part)
    archive.get_visible(db, caller, customer_id)
    documents, next_cursor, total, bound = store.list_parts(db, part, customer_id, limit, cursor)
    return {"items": [out(d) for d in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def _visible_part(db, caller, customer_id, part, part_id):
    document = store.find_part(db, part, part_id)
    if document is None or document["customer_id"] != customer_id:
        raise NotFound("No such %s." % access.ENTITY[part].replace("_", " "))
    return document


def update_part(db, caller, customer_id, part, part_id, data, hooks):
    check_part(part)
    customer = _customer_for_write(db, caller, customer_id, part)
    document = _visible_part(db, caller, customer_id, part, part_id)
    archive.require_writable(db, customer)
    schema = contract.versioned(SCHEMAS[part])()
    data = load(schema, data, partial=True)
    if "version" not in data:
        raise ValidationFailed(fields={"version": ["Missing data for required field."]})
    version = data.pop("version")
    changes = storable(data)
    if part == "followups" and "assignee_id" in changes and changes["assignee_id"] != document.get("assignee_id"):
        changes["assignee_left"] = None
    merged = dict(document, **changes)
    _check_people(caller, customer, part, document, merged)
    changes.update(_derived(part, merged))
    changes.update(credits.on_update(part, document, changes, utcnow()))
    if part == "opportunities" and changes.get("stage") and changes["stage"] != document["stage"]:
        changes["stage_history"] = document.get("stage_history", []) + [
            {"stage": changes["stage"], "at": utcnow().isoformat(), "by": caller.user_id}]
    diff = changes_between(document, dict(document, **changes), INTERNAL + ("stage_history",))
    emitted = []
    if diff:
        emitted.append(events.audit(access.ENTITY[part], part_id, "updated", diff, customer["site_id"], caller.user_id))
        emitted += hooks.updated(part, customer, document, dict(document, **changes), caller)
    updated = store.update_part(db, part, part_id, version, changes, *emitted)
    if updated is None:
        raise stale_version("record")
    hooks.after_change(part, customer, updated)
    return out(updated)


def delete_part(db, caller, customer_id, part, part_id, hooks):
    check_part(part)
    customer = _customer_for_write(db, caller, customer_id, part)
    document = _visible_part(db, caller, customer_id, part, part_id)
    store.update_part(db, part, part_id, None, {"deleted_at": utcnow()}, events.audit(
        access.ENTITY[part], part_id, "deleted", {}, customer["site_id"], caller.user_id))
    hooks.after_change(part, customer, dict(document, deleted_at=utcnow()))
    return {}


class NoHooks:
    """What a part change sets off elsewhere (events, derived customer fields); see ``effects``."""

    def created(self, part, customer, document, caller):
        return []

    def updated(self, part, customer, before, after, caller):
        return []

    def after_change(self, part, customer, document):
        pass
