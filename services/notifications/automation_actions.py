"""What each action of an automation rule does, as the rule's owner (``automations.acting_token``).

Writes to customers go through its RPC methods with the owner's narrowed token, so the customers
service checks permissions and site as for a person. Messages go to the inbox here, and by e-mail
when the action asks. Each action answers a short text of what it did (a record's id, a user).
``StepFailed`` is an action that cannot be done (the run goes on with the next one); a service
that does not answer raises ``Unavailable`` (the run is taken up again later, from this action).
"""
import datetime

from services.common import config, remote
from services.common.clock import utcnow
from services.common.errors import Conflict, CrmError, Unavailable
from services.notifications import (automation_rules, contact_messages, directory, erasure, events, inbox, mail, sms,
                                    store, templates, unsubscribe, webhooks)
from services.notifications.routing import derived_id

SELLING_PERMISSION = "customers:write"
KIND = "automation"
WRITE_TRIES = 3


class StepFailed(Exception):
    """The action could not be done; its message says why (shown in the run log)."""


class Step:
    """One action of one run: the rule, the run, the action's place and the owner's token."""

    def __init__(self, db, rule, run, index, token):
        self.db, self.rule, self.run, self.index, self.token = db, rule, run, index, token
        self.action = run["rule"]["actions"][index]
        self._customer = None

    @property
    def customer_id(self):
        return self.run.get("customer_id")

    def customer(self, fresh=False):
        """The customer as the owner sees it now; StepFailed when it is gone or not theirs."""
        if self._customer is None or fresh:
            if not self.customer_id:
                raise StepFailed("The trigger names no customer.")
            self._customer = self.call("customers", "get_customer", self.customer_id)
        return self._customer

    def call(self, service, method, *args):
        try:
            return remote.call(service, method, *args, token=self.token)
        except Unavailable:
            raise
        except CrmError as exc:
            raise StepFailed(_reason(exc))

    def text(self, name):
        value = self.action.get(name)
        if value and "{{customer." in value:
            return automation_rules.fill(value, self.run.get("event_data") or {}, self.customer())
        return automation_rules.fill(value, self.run.get("event_data") or {}, None)

    def in_turn(self, users):
        return automation_rules.in_turn(users, store.next_turn(self.db, self.rule["_id"], self.index))


def _reason(exc):
    problems = "; ".join("%s: %s" % (field, " ".join(map(str, messages)) if isinstance(messages, list) else messages)
                         for field, messages in (exc.fields or {}).items())
    return "%s %s" % (exc.message, problems) if problems else exc.message


def perform(step):
    """Do ``step``'s action; -> what it did."""
    return ACTIONS[step.action["kind"]](step)


def create_followup(step):
    action = step.action
    data = {"title": step.text("title"),
            "due_date": (utcnow().date() + datetime.timedelta(days=action.get("due_in_days") or 0)).isoformat()}
    if action.get("body"):
        data["notes"] = step.text("body")
    if action.get("assignee") == "users":
        assignee = step.in_turn(action["user_ids"])
    else:
        assignee = step.customer().get("owner_id")
    if assignee:
        data["assignee_id"] = assignee
    created = step.call("customers", "create_part", step.customer_id, "followups", data)
    return "follow-up %s for %s" % (created["id"], assignee or "nobody")


def _at_version(step, attempt, record):
    """``attempt()`` (a read, then a write at the version read) until no one changed ``record`` between
    the two, WRITE_TRIES times at most; a refusal is the step's failure."""
    for _ in range(WRITE_TRIES):
        try:
            return attempt()
        except Conflict:
            continue
        except Unavailable:
            raise
        except CrmError as exc:
            raise StepFailed(_reason(exc))
    raise StepFailed("The %s kept changing; the action was not done." % record)


def _update_customer(step, change):
    """``change(customer) -> fields`` (None: nothing to do) written at the version read."""
    def attempt():
        customer = step.customer(fresh=True)
        fields = change(customer)
        if fields is None:
            return None
        return remote.call("customers", "update_customer", step.customer_id,
                           dict(fields, version=customer["version"]), token=step.token)

    return _at_version(step, attempt, "customer")


def add_tag(step):
    tag = step.action["tag"]
    done = _update_customer(step, lambda c: None if tag in (c.get("tags") or [])
                            else {"tags": (c.get("tags") or []) + [tag]})
    return "tag %s added" % tag if done else "tag %s was there already" % tag


def remove_tag(step):
    tag = step.action["tag"]
    done = _update_customer(step, lambda c: {"tags": [t for t in c["tags"] if t != tag]}
                            if tag in (c.get("tags") or []) else None)
    return "tag %s removed" % tag if done else "tag %s was not there" % tag


def placed_by(action, customer):
    """The owner ``action``'s table gives ``customer`` (by province or industry), or None."""
    table = action.get("table") or {}
    if action.get("assign_by") == "region":
        provinces = [address.get("province_code") for address in customer.get("addresses") or ()]
        return next((table[code] for code in provinces if code in table), None)
    if action.get("assign_by") == "industry":
        code = customer.get("industry_code") or ""
        return table.get(code) or table.get(code[:1])
    return None


def set_owner(step):
    owner = placed_by(step.action, step.customer())
    if owner is None:
        users = step.action.get("user_ids") or sorted(
            person["_id"] for person in store.active_holders(step.db, [SELLING_PERMISSION], step.run.get("site_id")))
        owner = step.in_turn(users)
    if owner is None:
        raise StepFailed("Nobody at the site may own customers.")
    _update_customer(step, lambda c: None if c.get("owner_id") == owner else {"owner_id": owner})
    return "owner %s" % owner


OPPORTUNITY_PREFIX = "opportunity."


def set_field(step):
    """A field of the customer, or (``opportunity.<field>``) of the trigger's opportunity."""
    field, value = step.action["field"], step.action.get("value")
    if field.startswith(OPPORTUNITY_PREFIX):
        return _change_opportunity(step, {field[len(OPPORTUNITY_PREFIX):]: value}, "%s set" % field)
    done = _update_customer(step, lambda c: None if c.get(field) == value else {field: value})
    return "%s set" % field if done else "%s had that value already" % field


def notify(step):
    action, run = step.action, step.run
    recipients = action.get("recipients") or "owner"
    if recipients == "managers":
        people = directory.managers(step.db, run.get("site_id"))
    else:
        wanted = action["user_ids"] if recipients == "users" else [
            (run.get("event_data") or {}).get("owner_id") or step.customer().get("owner_id")]
        people = directory.of_site(directory.users(step.db, wanted), run.get("site_id"))
    if not people:
        raise StepFailed("Nobody to tell: no active %s at the site." % recipients)
    title, body = step.text("title"), step.text("body") or ""
    event = {"event_id": run["event_id"], "type": run["event_type"], "site_id": run.get("site_id"),
             "data": {"customer_id": step.customer_id}}
    path = "/customers/%s" % step.customer_id if step.customer_id else None
    link = config.get("CRM_PUBLIC_URL").rstrip("/") + path if path else ""
    data = {"title": title, "body": body, "rule": step.rule["name"]}
    for person in people:
        inbox.add(step.db, derived_id(run["_id"], step.index, person["_id"]), person["_id"], KIND, title, body,
                  path, event)
        if action.get("email") and person.get("email"):
            subject, text = templates.render(KIND, person.get("language"), name=person.get("display_name"),
                                             data=data, event=event, link=link)
            mail.queue(step.db, derived_id(run["_id"], step.index, person["_id"], "email"), person["email"], subject,
                       text, KIND, run.get("site_id"), run["event_id"], person["_id"], erasure.subjects_of(event))
    return "told %s" % ", ".join(person["_id"] for person in people)


def move_opportunity(step):
    """The trigger's opportunity (``event.opportunity_id``) moved to the action's stage, at the version read."""
    stage = step.action["stage"]
    return _change_opportunity(step, {"stage": stage}, "moved to %s" % stage)


def _change_opportunity(step, changes, done):
    """The trigger's opportunity (``event.opportunity_id``) changed by ``changes``, at the version read."""
    wanted = (step.run.get("event_data") or {}).get("opportunity_id")

    def attempt():
        found = [o for o in step.call("customers", "list_parts", step.customer_id, "opportunities", 500, None)["items"]
                 if o["id"] == wanted]
        if not found:
            raise StepFailed("The trigger names no opportunity of the customer.")
        if all(found[0].get(key) == value for key, value in changes.items()):
            return "opportunity %s had that already" % wanted
        remote.call("customers", "update_part", step.customer_id, "opportunities", wanted,
                    dict(changes, version=found[0]["version"]), token=step.token)
        return "opportunity %s %s" % (wanted, done)

    return _at_version(step, attempt, "opportunity")


def _contacts(step, wanted):
    """The customer's live contacts the action means: the primary one, all, or the trigger's."""
    contacts = step.call("customers", "list_parts", step.customer_id, "contacts", 200, None)["items"]
    if wanted == "event_contact":
        contacts = [c for c in contacts if c["id"] == (step.run.get("event_data") or {}).get("contact_id")]
    elif wanted == "primary":
        contacts = [c for c in contacts if c.get("primary")][:1] or contacts[:1]
    if not contacts:
        raise StepFailed("The customer has no such contact.")
    return contacts


def send_survey(step):
    """The survey to the chosen contacts, by the feedback service (one single-use link each)."""
    contacts = _contacts(step, step.action.get("contacts") or "primary")
    sent = step.call("feedback", "send_survey", step.action["survey_id"], {
        "customer_id": step.customer_id, "contact_ids": [c["id"] for c in contacts]})
    return "survey sent to %d contact(s)" % len(sent.get("sent") or ())


def call_webhook(step):
    """A signed delivery of ``notifications.automation_webhook`` to the action's hook, by the webhooks'
    one mechanism (retries, the delivery log); its id is derived from the run and the action."""
    hook = store.find_webhook(step.db, step.action["webhook_id"])
    if hook is None or hook.get("deleted") or hook.get("site_id") not in (None, step.run.get("site_id")):
        raise StepFailed("No such webhook at the rule's site.")
    if not hook.get("active"):
        raise StepFailed("The webhook is disabled.")
    run = step.run
    event = events.event("automation_webhook", {
        "rule_id": step.rule["_id"], "run_id": run["_id"], "customer_id": step.customer_id,
        "trigger_type": run["event_type"], "trigger_event_id": run["event_id"]}, site_id=run.get("site_id"),
        actor="automation:%s" % step.rule["_id"])
    event["event_id"] = derived_id("automation-webhook", run["_id"], step.index)
    webhooks.fan_out(step.db, event, [hook])
    return "delivery to webhook %s" % hook["_id"]


def message_contacts(step):
    """The rule's message to the customer's contacts (``contact_messages``), each once per run and action;
    those who opted out, or have no address, are skipped."""
    action, run = step.action, step.run
    channel, wanted = action.get("channel") or "email", action.get("contacts") or "primary"
    customer = step.customer()
    contacts = _contacts(step, wanted)
    sent = 0
    for contact in contacts:
        item = {"customer_id": step.customer_id, "legal_name": customer.get("legal_name"),
                "owner_id": customer.get("owner_id"), "country": customer.get("country"), "contact_id": contact["id"],
                "name": contact.get("name"), "email": contact.get("email"), "phone": contact.get("phone")}
        recipient = contact_messages.recipient("rule:%s" % step.rule["_id"], item, channel,
                                               derived_id("rule-message", run["_id"], step.index, contact["id"]))
        if recipient["status"] == "queued" and store.opted_out(db=step.db, contact_id=contact["id"],
                                                               address_key=unsubscribe.address_key(
                                                                   recipient["address"])):
            recipient.update(status="skipped", reason="opted_out")
        store.insert_recipients(step.db, [recipient])
        if recipient["status"] == "queued":
            sent += _send_to(step, recipient, channel)
    return "sent to %d of %d contact(s)" % (sent, len(contacts))


def _send_to(step, recipient, channel):
    subject, body = contact_messages.render(step.db, step.action["messages"], channel, recipient, recipient["_id"])
    if channel == "email":
        mail.queue(step.db, derived_id("rule-mail", recipient["_id"]), recipient["address"], subject, body,
                   "campaign", step.run.get("site_id"), step.run["event_id"], None, recipient["subjects"])
        store.finish_recipient(step.db, recipient["_id"], {"status": "sent", "sent_at": utcnow()})
        return 1
    if store.finish_recipient(step.db, recipient["_id"], {"status": "sent", "sent_at": utcnow()}) and sms.send(
            recipient["address"], body):
        return 1
    store.fail_sent_recipient(step.db, recipient["_id"], "The text message provider refused it.")
    return 0


ACTIONS = {"create_followup": create_followup, "add_tag": add_tag, "remove_tag": remove_tag, "set_owner": set_owner,
           "set_field": set_field, "move_opportunity": move_opportunity, "notify": notify,
           "message_contacts": message_contacts, "send_survey": send_survey, "call_webhook": call_webhook}
