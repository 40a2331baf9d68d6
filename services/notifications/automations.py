"""Automation rules (``automations:manage``): a site's own "when this happens, do that".

A rule has a site (or every site, for ``sites:all`` holders), one trigger (an event of
``contract.AUTOMATION_TRIGGERS``), conditions and ordered actions (``automation_actions``). Its
owner is whoever last saved it: saving asks accounts, with that person's token, for a grant by
which the rule acts as them (``services.accounts.automation_grants``), kept sealed here. Every
change of a rule is audited.

When a trigger event arrives (``react``), each enabled rule of its site whose event conditions
hold gets one run, with an id derived from the rule, its version and the event: an event handled
twice runs nothing twice. A run keeps a copy of the rule's conditions and actions as they were,
and the event's data. The timer ``run_due`` takes pending runs one at a time (a lease, so a run
held by a dead process is taken up again when it runs out), checks the conditions on the customer
as the owner sees it, and does the actions in order, saving after each. A ``wait`` keeps the run
pending until its day; a service that does not answer leaves it pending, to go on from that
action later. An action interrupted between its write and the save of its outcome is done again
when the run is taken up again. Events the imports of other systems' history set off run nothing.
"""
import datetime
import logging
import threading
import time
import uuid

from services.common import remote, sites
from services.common.clock import isoformat, utcnow
from services.common.envelope import changes_between
from services.common.errors import CrmError, NotFound, Unauthorized, Unavailable, ValidationFailed, stale_version
from services.common.logs import request_scope
from services.common.messages import text
from services.common.schemas import load
from services.common.timers import Signal
from services.notifications import (automation_actions, automation_clock, automation_rules, contract, directory,
                                    events, hook_secrets, store)
from services.notifications.routing import derived_id

log = logging.getLogger(__name__)

PERMISSION = "automations:manage"
RULE = contract.AutomationSchema()
RUN = contract.AutomationRunSchema()
AUDITED = ("name", "description", "enabled", "site_id", "trigger", "conditions", "actions")
GRANTS = "automation-grants"
RUNS_DUE = Signal()
LEASE_SECONDS = 120
RETRY_SECONDS = 30
MAX_ATTEMPTS = 20
RUNS_PER_TICK = 20


# rules

def visible(caller, rule):
    """``rule`` when it exists and ``caller`` may manage it; NotFound otherwise."""
    caller.require(PERMISSION)
    if rule is None:
        raise NotFound("No such automation rule.")
    if rule.get("site_id") is None:
        if not caller.all_sites:
            raise NotFound("No such automation rule.")
    else:
        caller.check_site(rule["site_id"])
    return rule


def _from_template(data, language):
    """The rule a template makes, what ``data`` gives taking precedence; a template action that needs a
    choice of the site's (a survey) must be given it in ``actions`` (422 naming it)."""
    key = data.pop("template", None)
    if key is None:
        return data
    template = automation_rules.TEMPLATES[key]
    found = dict(template, **data, template=key)
    found.setdefault("name", text("labels", "automation_templates.%s" % key, language))
    missing = {"actions.%d.%s" % (index, name): [
        "Choose the site's survey for this template." if name == "survey_id" else "Required by this template."]
               for index, action in enumerate(found["actions"])
               for name in contract.REQUIRED_PARAMETERS.get(action["kind"], ()) if not action.get(name)}
    if missing:
        raise ValidationFailed(fields=missing)
    return found


def _check(db, caller, data, site_id):
    """ValidationFailed naming each bad field; the rule's site must be the caller's, known and active."""
    problems = {}
    if site_id is None and not caller.all_sites:
        problems["site_id"] = ["Name one of your sites; only sites:all may set rules for every site."]
    elif site_id is not None and not caller.has_site(site_id):
        problems["site_id"] = ["Not one of your sites."]
    for index, action in enumerate(data.get("actions") or ()):
        named = list(action.get("user_ids") or ()) + list((action.get("table") or {}).values())
        unknown = [user for user in named if user not in
                   {person["_id"] for person in directory.of_site(directory.users(db, named), site_id)}]
        if unknown:
            field = "user_ids" if set(unknown) & set(action.get("user_ids") or ()) else "table"
            problems["actions.%d.%s" % (index, field)] = [
                "Not active users of the rule's site: %s" % ", ".join(sorted(set(unknown)))]
    for index, action in enumerate(data.get("actions") or ()):
        if action["kind"] != "call_webhook":
            continue
        hook = store.find_webhook(db, action["webhook_id"])
        if not caller.can("webhooks:admin"):
            problems["actions.%d.kind" % index] = ["Only a webhooks:admin holder may call a webhook from a rule."]
        elif hook is None or hook.get("deleted") or hook.get("site_id") not in (None, site_id):
            problems["actions.%d.webhook_id" % index] = ["No such webhook at the rule's site."]
    if data.get("actions") and data["actions"][-1]["kind"] == "wait":
        problems["actions"] = ["A rule cannot end with a wait."]
    kind = (data.get("trigger") or {}).get("kind", "event")
    if kind != "event" and site_id is None:
        problems["site_id"] = ["A date or schedule trigger needs a site (its time zone, its records)."]
    if kind == "schedule":
        for index, action in enumerate(data.get("actions") or ()):
            if action["kind"] not in ("notify", "wait") or action.get("recipients", "owner") == "owner":
                problems["actions.%d.kind" % index] = [
                    "A scheduled rule is about no customer: it can only notify the managers or named users."]
        if any(condition["field"].startswith("customer.") for condition in data.get("conditions") or ()):
            problems["conditions"] = ["A scheduled rule is about no customer: no customer.<field> condition."]
    if problems:
        raise ValidationFailed(fields=problems)
    if site_id is not None:
        sites.require(db, site_id)


def _next_fire(db, rule, after):
    """When an enabled rule with a date or schedule trigger runs next (None otherwise)."""
    if not rule["enabled"] or rule["trigger"].get("kind", "event") == "event":
        return None
    return automation_clock.next_fire(rule["trigger"], sites.zone_of(db, rule["site_id"]), after)


def _grant(caller, rule_id, site_id):
    """The sealed grant by which the rule acts as ``caller`` (accounts makes it; 503 when it is away)."""
    answer = remote.call("accounts", "grant_automation", rule_id, site_id, token=caller.token)
    return hook_secrets.seal(answer["grant"], GRANTS)


def create(db, caller, data):
    caller.require(PERMISSION)
    data = _from_template(load(contract.AutomationCreateSchema(), data), caller.language)
    missing = {name: ["Required unless a template gives it."] for name in ("name", "trigger", "actions")
               if not data.get(name)}
    if missing:
        raise ValidationFailed(fields=missing)
    _check(db, caller, data, data["site_id"])
    now = utcnow()
    rule_id = uuid.uuid4().hex
    rule = {"_id": rule_id, "site_id": data["site_id"], "name": data["name"], "description": data.get("description"),
            "enabled": data["enabled"], "template": data.get("template"), "trigger": data["trigger"],
            "conditions": data.get("conditions") or [], "actions": data["actions"], "owner_id": caller.user_id,
            "sealed_grant": _grant(caller, rule_id, data["site_id"]), "last_run_at": None, "created_at": now,
            "updated_at": now, "version": 1}
    rule["next_fire_at"] = _next_fire(db, rule, now)
    store.insert_rule(db, rule, events.audit("automation_rule", rule_id, "created", changes_between(
        {}, {key: rule[key] for key in AUDITED}), rule["site_id"], caller.user_id))
    return RULE.dump(rule)


def get(db, caller, rule_id):
    return RULE.dump(visible(caller, store.find_rule(db, str(rule_id))))


def list_visible(db, caller, limit, cursor):
    caller.require(PERMISSION)
    documents, next_cursor, total, bound = store.list_rules(db, caller.site_scope(), limit, cursor)
    return {"items": RULE.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def update(db, caller, rule_id, data):
    """Change a rule; ``data.version`` required. The one saving it becomes its owner: its actions
    run with their permissions from now on."""
    rule = visible(caller, store.find_rule(db, str(rule_id)))
    data = load(contract.AutomationUpdateSchema(), data)
    version = data.pop("version")
    _check(db, caller, data, rule["site_id"])
    changes = {key: value for key, value in data.items() if rule.get(key) != value}
    if not changes:
        if version != rule["version"]:
            raise stale_version("automation rule")
        return RULE.dump(rule)
    if version != rule["version"]:
        raise stale_version("automation rule")
    changes.update(owner_id=caller.user_id, sealed_grant=_grant(caller, rule["_id"], rule["site_id"]))
    if "trigger" in changes or "enabled" in changes:
        changes["next_fire_at"] = _next_fire(db, dict(rule, **changes), utcnow())
    after = dict(rule, **changes)
    updated = store.update_rule(db, rule["_id"], version, changes, events.audit(
        "automation_rule", rule["_id"], "updated", changes_between({k: rule.get(k) for k in AUDITED + ("owner_id",)},
                                                                  {k: after.get(k) for k in AUDITED + ("owner_id",)}),
        rule["site_id"], caller.user_id))
    if updated is None:
        raise stale_version("automation rule")
    return RULE.dump(updated)


def delete(db, caller, rule_id):
    """Delete a rule: its pending runs stop (skipped), its grant is revoked."""
    rule = visible(caller, store.find_rule(db, str(rule_id)))
    store.delete_rule(db, rule["_id"], events.audit("automation_rule", rule["_id"], "deleted", {}, rule["site_id"],
                                                    caller.user_id))
    revoke_grant(caller, rule["_id"])
    return {}


def revoke_grant(caller, grant_id):
    """accounts drops the grants bound to ``grant_id`` (a rule's id, ``campaign:<id>``, ``report:<id>``),
    whose sealed copy was just deleted here; if it cannot, it is logged: nothing here holds the secret
    any more, so the grant can mint no token."""
    try:
        remote.call("accounts", "revoke_automation", grant_id, token=caller.token)
    except CrmError as exc:
        log.warning("grant %s not revoked (%s): it is no longer kept here", grant_id, exc.code)


def list_runs(db, caller, rule_id, filters, limit, cursor):
    rule = visible(caller, store.find_rule(db, str(rule_id)))
    filters = load(contract.AutomationRunFilterSchema(), filters or {})
    documents, next_cursor, total, bound = store.list_runs(db, rule["_id"], filters.get("status"), limit, cursor)
    return {"items": RUN.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}


def try_on(db, caller, rule_id, data):
    """The rule's conditions on a customer (as the caller sees it) and a supposed event: which would
    hold, and the actions that would run. Nothing is written."""
    rule = visible(caller, store.find_rule(db, str(rule_id)))
    data = load(contract.AutomationTestSchema(), data)
    customer = remote.call("customers", "get_customer", data["customer_id"], token=caller.token)
    if rule["site_id"] is not None and customer.get("site_id") != rule["site_id"]:
        raise ValidationFailed(fields={"customer_id": ["Not a customer of the rule's site."]})
    event_data = dict(data["event"], customer_id=customer["id"])
    found = automation_rules.outcomes(rule["conditions"], event_data, customer)
    would_run = all(outcome["met"] for outcome in found)
    actions = [dict(action, **{name: automation_rules.fill(action[name], event_data, customer)
                               for name in ("title", "body") if action.get(name)}) for action in rule["actions"]]
    return {"would_run": would_run, "conditions": found, "actions": actions if would_run else []}


def templates(caller):
    """The ready-made rules, named and described in the caller's language."""
    caller.require(PERMISSION)
    return {"items": [dict(template, key=key, name=text("labels", "automation_templates.%s" % key, caller.language),
                           description=text("reasons", "automation_template.%s" % key, caller.language))
                      for key, template in automation_rules.TEMPLATES.items()]}


# runs

def rules_for(db, event, kept=None):
    """The enabled rules ``event`` triggers (none for what an import of another system's history set
    off; of ``kept``, ``store.reactors`` as the caller read them)."""
    if event["type"] not in contract.AUTOMATION_TRIGGERS or (event.get("data") or {}).get("imported"):
        return []
    return store.rules_triggered_by(db, event["type"], event.get("site_id"), kept)


def react(db, event, rules):
    """A run of each of ``rules`` (``rules_for(event)``) whose event conditions hold; -> how many were new."""
    data = event.get("data") or {}
    depth = automation_rules.depth_of(event)
    created = 0
    for rule in rules:
        if not all(outcome["met"] for outcome in automation_rules.outcomes(
                automation_rules.event_conditions(rule["conditions"]), data, None)):
            continue
        refused = depth >= automation_rules.MAX_DEPTH
        run = _new_run(rule, event["event_id"], event["type"], data, event.get("site_id"), depth)
        if refused:
            log.warning("rule %s not run for %s %s: %d rule runs led to it (limit %d)", rule["_id"], event["type"],
                        event["event_id"], depth, automation_rules.MAX_DEPTH)
            run.update(status="refused", resume_at=None, finished_at=run["created_at"],
                       error="%d rule runs in a row led to this event: the limit is %d." % (
                           depth, automation_rules.MAX_DEPTH))
            del run["pending"]
        created += store.insert_run(db, run)
    if created:
        RUNS_DUE.wake()
    return created


def _new_run(rule, event_id, event_type, data, site_id, depth, now=None):
    """A due run of ``rule`` for one trigger (its id derived from the rule, its version and ``event_id``),
    with a copy of the rule's conditions and actions as they are."""
    now = now or utcnow()
    return {"_id": derived_id("automation", rule["_id"], rule["version"], event_id),
            "rule_id": rule["_id"], "rule_version": rule["version"], "site_id": site_id,
            "event_id": event_id, "event_type": event_type, "event_data": data,
            "customer_id": data.get("customer_id"), "subjects": sorted({data.get("customer_id"),
                                                                        data.get("contact_id")} - {None}),
            "rule": {"conditions": rule["conditions"], "actions": rule["actions"]}, "depth": depth,
            "status": "due", "error": None, "steps": [], "next_step": 0, "attempts": 0, "pending": True,
            "resume_at": now, "created_at": now, "finished_at": None}


def fire_due(db):
    """Runs of the date and schedule rules whose time has come (``automation_clock``)."""
    automation_clock.fire_due(db, lambda *args, **kwargs: _fired(db, *args, **kwargs), acting_token)


def _fired(db, rule, occurrence, event_type, items, failure=None):
    """A run of ``rule`` for each record of ``items`` at ``occurrence`` (one with no record for a
    schedule); with ``failure``, one failed run saying why no record could be asked for."""
    at = isoformat(occurrence)
    if failure:
        run = _new_run(rule, "%s/%s" % (event_type, at), event_type, {}, rule["site_id"], 0)
        run.update(status="failed", error=failure, finished_at=utcnow(), resume_at=None)
        del run["pending"]
        store.insert_run(db, run)
        return
    created = 0
    for item in items:
        record = item.get("contact_id") or item.get("order_id") or item.get("customer_id") or ""
        data = {key: value for key, value in item.items() if value is not None}
        # a record's date runs a rule once that day, however often the day is fired
        when = item.get("day") or at
        created += store.insert_run(db, _new_run(rule, "%s/%s/%s" % (event_type, when, record), event_type, data,
                                                 rule["site_id"], 0))
    if created:
        RUNS_DUE.wake()


_tokens = {}
_tokens_lock = threading.Lock()


def acting_token(rule):
    """An access token of the rule's owner for its site, from accounts (kept until a minute before it
    expires). Unauthorized when the owner can no longer act; Unavailable when accounts is away."""
    key = (rule["_id"], rule["version"])
    with _tokens_lock:
        kept = _tokens.get(key)
    if kept and kept[1] > time.monotonic():
        return kept[0]
    if not rule.get("sealed_grant"):
        raise Unauthorized("The rule has no grant; save it again.")
    answer = remote.call("accounts", "automation_token", hook_secrets.unseal(rule["sealed_grant"], GRANTS))
    with _tokens_lock:
        _tokens[key] = (answer["access_token"], time.monotonic() + max(answer["expires_in"] - 60, 0))
    return answer["access_token"]


def run_due(db):
    """Go on with up to RUNS_PER_TICK pending runs whose time has come; -> how many were taken."""
    taken = store.claim_due_runs(db, utcnow(), LEASE_SECONDS, RUNS_PER_TICK)
    for run in taken:
        try:
            advance(db, run)
        except Unavailable as exc:
            _later(db, run, exc.message)
        except Exception as exc:  # a fault of ours or of the database: counted, tried again later
            log.exception("automation run %s stopped", run["_id"])
            _later(db, run, "%s while running" % type(exc).__name__)
    return len(taken)


def _later(db, run, reason):
    """Leave ``run`` pending, to be taken up again in RETRY_SECONDS (failed after MAX_ATTEMPTS)."""
    attempts = run.get("attempts", 0) + 1
    if attempts >= MAX_ATTEMPTS:
        return _finish(db, run, "failed", "Gave up after %d tries: %s" % (attempts, reason))
    store.save_run(db, run, {"$set": {"attempts": attempts, "error": reason, "claim": None,
                                      "resume_at": utcnow() + datetime.timedelta(seconds=RETRY_SECONDS)}})


def _finish(db, run, status, error=None):
    failed = sum(1 for step in run.get("steps", ()) if step["status"] == "failed")
    if status == "succeeded" and failed:
        status = "failed"
    now = utcnow()
    store.save_run(db, run, {"$set": {"status": status, "error": error, "finished_at": now, "claim": None},
                             "$unset": {"pending": "", "resume_at": ""}},
                   events.event("automation_run_finished", {"rule_id": run["rule_id"], "run_id": run["_id"],
                                                            "customer_id": run.get("customer_id"), "status": status,
                                                            "failed_steps": failed}, site_id=run.get("site_id")))
    store.mark_rule_ran(db, run["rule_id"], now)


def advance(db, run):
    """Check the run's conditions (the first time) and do its actions from where it stopped."""
    rule = store.find_rule(db, run["rule_id"])
    if rule is None or not rule.get("enabled"):
        return _finish(db, run, "skipped", "The rule was deleted or disabled before it ran.")
    try:
        token = acting_token(rule)
    except Unauthorized as exc:
        return _finish(db, run, "failed", exc.message)
    with request_scope(automation_rules.request_id_for(run["depth"], run["_id"])):
        if run["next_step"] == 0 and not run["steps"]:
            first = automation_actions.Step(db, rule, run, 0, token)
            try:
                customer = first.customer() if automation_rules.needs_customer(run["rule"]) else None
            except automation_actions.StepFailed as exc:
                return _finish(db, run, "skipped", "The customer cannot be read as the rule's owner: %s" % exc)
            unmet = [outcome["field"] for outcome in automation_rules.outcomes(
                run["rule"]["conditions"], run.get("event_data") or {}, customer) if not outcome["met"]]
            if unmet:
                return _finish(db, run, "skipped", "Conditions not met: %s." % ", ".join(unmet))
        for index in range(run["next_step"], len(run["rule"]["actions"])):
            action = run["rule"]["actions"][index]
            step = {"index": index, "kind": action["kind"], "status": "done", "at": utcnow(), "result": None,
                    "error": None}
            if action["kind"] == "wait":
                resume = utcnow() + datetime.timedelta(days=action["days"])
                step["result"] = "until %s" % resume.isoformat()
                run = store.save_run(db, run, {"$push": {"steps": step}, "$set": {
                    "next_step": index + 1, "status": "waiting", "resume_at": resume, "claim": None}})
                return run
            try:
                step["result"] = automation_actions.perform(automation_actions.Step(db, rule, run, index, token))
            except automation_actions.StepFailed as exc:
                step.update(status="failed", error=str(exc))
            saved = store.save_run(db, run, {"$push": {"steps": step}, "$set": {"next_step": index + 1,
                                                                                "status": "due"}})
            if saved is None:
                log.warning("run %s was taken over by another worker", run["_id"])
                return None
            run = dict(saved, claim=run["claim"])
        return _finish(db, run, "succeeded")
