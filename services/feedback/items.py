"""Use cases of feedback items: record, read, list, change (workflow, assignment, resolution),
respond, and the SLA scan."""
import uuid

from services.common import sites
from services.common.clock import utcnow
from services.common.envelope import changes_between, jsonable
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load
from services.feedback import contract, events, peers, settings, sla, store, workflow
from services.feedback.workflow import DONE_STATES, OPEN_STATES

MAX_RESPONSES = 500
SERVICE_ACTOR = "service:feedback"
UNAUDITED = ("severity_rank", "history", "responses", "created_at", "updated_at", "version", "status_changed_at")
EDITABLE = ("severity", "category", "subject", "order_id", "service_record_id")
SORT_FIELDS = {"severity": "severity_rank"}


def is_overdue(item, now):
    return item["status"] in OPEN_STATES and item["due_at"] <= now


def out(item, now=None):
    shown = {key: jsonable(value) for key, value in item.items() if not key.startswith("_") and key != "severity_rank"}
    shown["id"] = item["_id"]
    shown["overdue"] = is_overdue(item, now or utcnow())
    return shown


def visible(caller, item):
    if item is None or not caller.has_site(item["site_id"]):
        raise NotFound("No such feedback.")
    return item


def new_item(data, site_id, due, actor, now, source=None):
    """A feedback item as stored, from validated ``data``."""
    item = {
        "_id": data.pop("_id", None) or uuid.uuid4().hex, "site_id": site_id, "contact_id": None, "rating": None,
        "nps": None, "subject": None, "order_id": None, "service_record_id": None, "status": "open",
        "assignee_id": None, "due_at": due, "sla_breached_at": None, "sla_met": None, "responses": [],
        "resolution_summary": None, "resolved_at": None, "resolved_by": None, "first_resolved_at": None,
        "first_resolved_assignee_id": None, "closed_at": None, "customer_confirmation": None, "reopened_count": 0,
        "source": source, "created_by": actor, "created_at": now, "updated_at": now, "status_changed_at": now,
        "version": 1,
        "history": [{"from": None, "to": "open", "at": now, "by": actor, "note": None}],
    }
    item.update(data)
    item["severity_rank"] = sla.SEVERITY_RANK[item["severity"]]
    return item


def received_events(item, actor):
    data = {key: item[key] for key in ("customer_id", "contact_id", "channel", "type", "category", "severity",
                                       "rating", "nps")}
    return [events.event("feedback_received", dict(data, feedback_id=item["_id"], due_at=jsonable(item["due_at"])),
                         item["site_id"], actor),
            events.audit("feedback", item["_id"], "created", changes_between({}, item, UNAUDITED),
                         item["site_id"], actor)]


def _check_category(site_settings, category):
    if category not in site_settings["categories"]:
        raise ValidationFailed(fields={"category": ["One of: %s." % ", ".join(site_settings["categories"])]})


def create_feedback(db, caller, data):
    caller.require("feedback:write")
    data = load(contract.FeedbackCreateSchema(), data)
    customer = peers.customer(caller, data["customer_id"])
    sites.require(db, customer["site_id"])
    site_settings = settings.effective(db, customer["site_id"])
    _check_category(site_settings, data["category"])
    now = utcnow()
    latest = sla.due_at(site_settings, data["severity"], now)
    due = data.pop("due_at", None) or latest
    if not now < due <= latest:
        raise ValidationFailed(fields={"due_at": ["Must lie in the future and no later than the SLA (%s)."
                                                  % jsonable(latest)]})
    item = new_item(data, customer["site_id"], due, caller.user_id, now)
    store.insert_feedback(db, item, *received_events(item, caller.user_id))
    return out(item, now)


def get_feedback(db, caller, feedback_id):
    caller.require("feedback:read")
    return out(visible(caller, store.find_feedback(db, feedback_id)))


def list_feedback(db, caller, filters, limit, cursor):
    caller.require("feedback:read")
    filters = load(contract.FeedbackFilterSchema(), filters or {})
    now = utcnow()
    sort = filters.pop("sort", None) or "-created_at"
    field = SORT_FIELDS.get(sort.lstrip("-"), sort.lstrip("-"))
    documents, next_cursor, total, bound = store.list_feedback(
        db, filters, caller.site_scope(), field, sort.startswith("-"), limit, cursor, now,
        values=sorted(sla.SEVERITY_RANK.values()))
    return {"items": [out(item, now) for item in documents], "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


class Change:
    """The pieces of one update of an item: field changes, a history entry, and events."""

    def __init__(self, caller, item, now):
        self.caller, self.item, self.now = caller, item, now
        self.fields, self.events, self.history = {}, [], None

    def emit(self, name, **data):
        self.events.append(events.event(name, dict(data, feedback_id=self.item["_id"],
                                                   customer_id=self.item["customer_id"]),
                                        self.item["site_id"], self.caller.user_id))

    @property
    def status(self):
        return self.fields.get("status", self.item["status"])


def _edit_fields(db, change, data):
    item = change.item
    for field in EDITABLE:
        if field in data and data[field] != item.get(field):
            change.fields[field] = data[field]
    if "category" in change.fields:
        _check_category(settings.effective(db, item["site_id"]), change.fields["category"])
    if "severity" in change.fields:
        change.fields["severity_rank"] = sla.SEVERITY_RANK[change.fields["severity"]]
        if item["status"] in OPEN_STATES and not item.get("sla_breached_at"):
            site_settings = settings.effective(db, item["site_id"])
            change.fields["due_at"] = sla.due_at(site_settings, change.fields["severity"], item["created_at"])


def _assign(change, assignee_id):
    item = change.item
    if item["status"] in DONE_STATES:
        allowed = list(workflow.allowed_targets(item, change.now))
        raise Conflict("Reopen the feedback before assigning it.",
                       {"assignee_id": ["The feedback is %s." % item["status"]]}, code="illegal_transition",
                       extra={"current_status": item["status"], "allowed": allowed})
    peers.check_assignee(change.caller, assignee_id, item["site_id"])
    change.fields["assignee_id"] = assignee_id
    if item.get("assignee_left"):
        change.fields["assignee_left"] = None
    change.emit("feedback_assigned", assignee_id=assignee_id, previous_assignee_id=item.get("assignee_id"),
                due_at=jsonable(change.fields.get("due_at", item["due_at"])))


def _move(db, change, target, data, note):
    item, now, caller = change.item, change.now, change.caller
    workflow.check_transition(item, target, now)
    if target == "assigned" and not (change.fields.get("assignee_id") or item.get("assignee_id")):
        raise ValidationFailed(fields={"assignee_id": ["Required to assign the feedback."]})
    if target == "resolved":
        if not data.get("resolution_summary"):
            raise ValidationFailed("A resolution summary is required to resolve.",
                                   {"resolution_summary": ["Required to resolve."]})
        met = sla.met_on_resolution(item, now)
        change.fields.update(resolution_summary=data["resolution_summary"], resolved_at=now,
                             resolved_by=caller.user_id, sla_met=met)
        if item.get("first_resolved_at") is None:
            change.fields["first_resolved_at"] = now
            change.fields["first_resolved_assignee_id"] = change.fields.get("assignee_id", item.get("assignee_id"))
        change.emit("feedback_resolved", resolution_summary=data["resolution_summary"], resolved_at=jsonable(now),
                    sla_met=met)
    reopened = workflow.is_reopen(item["status"], target)
    if target == "closed":
        change.fields["closed_at"] = now
    if reopened:
        severity = change.fields.get("severity", item["severity"])
        change.fields.update(closed_at=None, reopened_count=item.get("reopened_count", 0) + 1,
                             due_at=sla.due_at(settings.effective(db, item["site_id"]), severity, now))
    change.fields.update(status=target, status_changed_at=now)
    change.history = {"from": item["status"], "to": target, "at": now, "by": caller.user_id, "note": note}
    change.emit("feedback_status_changed", old_status=item["status"], new_status=target, reopened=reopened)


def update_feedback(db, caller, feedback_id, data):
    caller.require("feedback:write")
    item = visible(caller, store.find_feedback(db, feedback_id))
    data = load(contract.FeedbackUpdateSchema(), data)
    sites.require(db, item["site_id"])
    version, note = data.pop("version"), data.pop("note", None)
    change = Change(caller, item, utcnow())
    _edit_fields(db, change, data)
    target = data.get("status")
    if data.get("assignee_id") and data["assignee_id"] != item.get("assignee_id"):
        _assign(change, data["assignee_id"])
        if item["status"] == "open" and target is None:
            target = "assigned"
    if target and target != item["status"]:
        _move(db, change, target, data, note)
    elif "resolution_summary" in data:
        if item["status"] not in DONE_STATES:
            raise ValidationFailed(fields={"resolution_summary": ["Give it with status resolved."]})
        change.fields["resolution_summary"] = data["resolution_summary"]
    if "customer_confirmation" in data:
        if change.status not in DONE_STATES:
            raise ValidationFailed(fields={"customer_confirmation": ["Recorded once the feedback is resolved."]})
        change.fields["customer_confirmation"] = dict(data["customer_confirmation"], at=change.now,
                                                      recorded_by=caller.user_id)
    diff = changes_between(item, dict(item, **change.fields), UNAUDITED)
    if diff:
        change.events.append(events.audit("feedback", feedback_id, "updated", diff, item["site_id"], caller.user_id))
    updated = store.update_feedback(db, feedback_id, version, change.fields, *change.events,
                                    push={"history": change.history} if change.history else None)
    if updated is None:
        raise stale_version("feedback")
    return out(updated, change.now)


def add_response(db, caller, feedback_id, data):
    caller.require("feedback:write")
    item = visible(caller, store.find_feedback(db, feedback_id))
    data = load(contract.ResponseSchema(), data)
    sites.require(db, item["site_id"])
    if len(item.get("responses", [])) >= MAX_RESPONSES:
        raise Conflict("This feedback has the most responses it can hold (%d)." % MAX_RESPONSES,
                       code="too_many_responses")
    response = dict(data, id=uuid.uuid4().hex[:12], author_id=caller.user_id, at=utcnow())
    audit = events.audit("feedback", feedback_id, "responded",
                         {"response": {"before": None, "after": jsonable(response)}}, item["site_id"], caller.user_id)
    updated = store.update_feedback(db, feedback_id, None, {}, audit, push={"responses": response})
    return out(updated)


def open_feedback_count(db, caller, customer_id):
    """Open and overdue items of a customer, among the caller's sites (the 360 view asks this)."""
    if not caller.can("customers:read"):
        caller.require("feedback:read")
    now, sites = utcnow(), caller.site_scope()
    return {"customer_id": customer_id, "open": store.count_open_feedback(db, customer_id, OPEN_STATES, sites),
            "overdue": store.count_open_feedback(db, customer_id, OPEN_STATES, sites, due_by=now)}


def scan_sla(db, now=None):
    """Mark each open item past its due time as breached, once; returns how many were marked."""
    now = now or utcnow()
    marked = 0
    for item in store.overdue_unbreached(db, OPEN_STATES, now):
        site = item["site_id"]
        breach = events.event("sla_breached", {
            "feedback_id": item["_id"], "customer_id": item["customer_id"], "severity": item["severity"],
            "assignee_id": item.get("assignee_id"), "status": item["status"], "due_at": jsonable(item["due_at"])},
            site, SERVICE_ACTOR)
        audit = events.audit("feedback", item["_id"], "sla_breached",
                             {"sla_breached_at": {"before": None, "after": jsonable(now)}}, site, SERVICE_ACTOR)
        if store.mark_breached(db, item["_id"], OPEN_STATES, now, breach, audit) is not None:
            marked += 1
    return marked
