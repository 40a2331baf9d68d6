"""The rules of automation rules, in plain Python: conditions, placeholders, chains, templates.

A condition reads ``event.<field>`` (the trigger's data) or ``customer.<field>`` (the record as the
rule's owner sees it when the rule runs, dotted paths allowed) and compares it with an operator of
``contract.AUTOMATION_OPERATORS``. A list value (tags) ``contains`` an element, is ``in`` when it
shares one, and is empty when it has none. ``gt``/``lt`` compare numbers with numbers and texts
(dates as ISO text) with texts; anything else is not met.

A rule's actions carry a request id ``automation.<depth>.<run id>``, which the events their
writes cause carry on: an event's ``depth`` is how many rule runs led to it, and a run is refused
at ``MAX_DEPTH``, so rules that trigger each other (or a rule its own writes) stop there.
"""
import re

MAX_DEPTH = 3
REQUEST_PREFIX = "automation."
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z]+)\.([a-z][a-z0-9_.]*)\s*\}\}")


def depth_of(event):
    """How many rule runs led to ``event`` (0: a person's or a timer's doing)."""
    request_id = event.get("request_id") or ""
    if not request_id.startswith(REQUEST_PREFIX):
        return 0
    number = request_id[len(REQUEST_PREFIX):].split(".", 1)[0]
    return int(number) if number.isdigit() else MAX_DEPTH


def request_id_for(depth, run_id):
    """The request id a run's actions carry: the events they cause are at ``depth + 1``."""
    return "%s%d.%s" % (REQUEST_PREFIX, depth + 1, run_id)


def value_at(source, path):
    """The value at the dotted ``path`` of ``source`` (None where it leads nowhere)."""
    value = source
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def actual_value(condition, event_data, customer):
    scope, _, path = condition["field"].partition(".")
    return value_at(event_data if scope == "event" else (customer or {}), path)


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _comparable(left, right):
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    return (isinstance(left, numbers) and isinstance(right, numbers)) or (
        isinstance(left, str) and isinstance(right, str))


def met(op, actual, value):
    """Whether ``actual`` satisfies ``op`` with ``value``."""
    if op == "is_empty":
        return _empty(actual)
    if op == "is_not_empty":
        return not _empty(actual)
    if op in ("eq", "ne"):
        equal = value in actual if isinstance(actual, list) and not isinstance(value, list) else actual == value
        return equal if op == "eq" else not equal
    if op == "in":
        choices = value if isinstance(value, list) else [value]
        return any(item in choices for item in actual) if isinstance(actual, list) else actual in choices
    if op == "contains":
        if isinstance(actual, list):
            return value in actual
        return isinstance(actual, str) and isinstance(value, str) and value.lower() in actual.lower()
    if op in ("gt", "lt"):
        if not _comparable(actual, value):
            return False
        return actual > value if op == "gt" else actual < value
    return False


def outcomes(conditions, event_data, customer):
    """Each condition with the ``actual`` value it read and whether it is ``met``."""
    found = []
    for condition in conditions:
        actual = actual_value(condition, event_data, customer)
        found.append(dict(condition, actual=actual, met=met(condition["op"], actual, condition.get("value"))))
    return found


def event_conditions(conditions):
    return [condition for condition in conditions if condition["field"].startswith("event.")]


def needs_customer(rule):
    """Whether running ``rule`` reads the customer record (a condition or a placeholder names it)."""
    if any(condition["field"].startswith("customer.") for condition in rule["conditions"]):
        return True
    return any("{{" in (action.get(text) or "") and "customer." in (action.get(text) or "")
               for action in rule["actions"] for text in ("title", "body"))


def fill(text, event_data, customer):
    """``text`` with each ``{{event.x}}`` / ``{{customer.x}}`` replaced by its value (empty when unknown)."""
    return fill_scopes(text, {"event": event_data, "customer": customer or {}})


def fill_scopes(text, scopes):
    """``text`` with each ``{{<scope>.<path>}}`` of ``scopes`` replaced by its value (empty when unknown);
    placeholders of other scopes stay as written."""
    if not text:
        return text

    def value(found):
        if found.group(1) not in scopes:
            return found.group(0)
        picked = value_at(scopes[found.group(1)], found.group(2))
        if isinstance(picked, list):
            return ", ".join(str(item) for item in picked)
        return "" if picked is None or isinstance(picked, dict) else str(picked)

    return _PLACEHOLDER.sub(value, text)


def in_turn(users, counter):
    """The user whose turn it is (round robin) for the ``counter``-th assignment."""
    return users[counter % len(users)] if users else None


# Ready-made rules a site enables in one click (``POST /automations`` with ``template``); names and
# descriptions are in the labels catalogue (``automation_templates.<key>``).
TEMPLATES = {
    "vip_followup_30_days": {
        "trigger": {"event_type": "customers.interaction_logged"},
        "conditions": [{"field": "customer.tier.level", "op": "eq", "value": "vip"}],
        "actions": [{"kind": "create_followup", "title": "Follow up {{customer.legal_name}} (VIP, 30 days)",
                     "due_in_days": 30, "assignee": "owner"}]},
    "contract_expiry": {
        "trigger": {"event_type": "customers.contract_expiring"},
        "conditions": [],
        "actions": [{"kind": "create_followup", "title": "Renew contract {{event.number}} of {{event.legal_name}}",
                     "body": "The contract ends on {{event.contract_end_date}} ({{event.days_left}} days left).",
                     "due_in_days": 0, "assignee": "owner"}]},
    "survey_after_first_order": {
        "trigger": {"event_type": "customers.order_recorded"},
        "conditions": [{"field": "customer.lifecycle_stage", "op": "eq", "value": "first_purchase"}],
        # the site's survey is chosen when the template is enabled (``automations.TEMPLATE_CHOICES``)
        "actions": [{"kind": "wait", "days": 14}, {"kind": "send_survey", "contacts": "primary"}]},
    "churn_risk_follow_up": {
        "trigger": {"event_type": "customers.churn_risk_detected"},
        "conditions": [{"field": "event.level", "op": "eq", "value": "high"}],
        "actions": [{"kind": "create_followup", "title": "Win back {{event.legal_name}}", "due_in_days": 3,
                     "assignee": "owner"},
                    {"kind": "notify", "recipients": "managers", "title": "Churn risk: {{event.legal_name}}",
                     "body": "A follow-up was given to the owner."}]},
    "critical_complaint_alert": {
        "trigger": {"event_type": "feedback.feedback_received"},
        "conditions": [{"field": "event.type", "op": "eq", "value": "complaint"},
                       {"field": "event.severity", "op": "eq", "value": "critical"}],
        "actions": [{"kind": "notify", "recipients": "managers", "email": True,
                     "title": "Critical complaint from {{customer.legal_name}}",
                     "body": "Category: {{event.category}}. Answer due {{event.due_at}}."}]},
    "trade_show_round_robin": {
        "trigger": {"event_type": "customers.customer_created"},
        "conditions": [{"field": "customer.source_channel", "op": "eq", "value": "exhibition"}],
        "actions": [{"kind": "set_owner"}]},
    "birthday_wishes": {
        "trigger": {"kind": "date", "date": "contact_birthday", "hour": 9},
        "conditions": [],
        "actions": [{"kind": "message_contacts", "contacts": "event_contact", "channel": "email", "messages": {
            "zh-CN": {"subject": "生日快乐，{{contact.name}}！",
                      "body": "{{contact.name}}，您好！\n\n值此生日之际，祝您生日快乐，工作顺利，身体健康！\n\n"
                              "{{owner.name}}"},
            "en": {"subject": "Happy birthday, {{contact.name}}!",
                   "body": "Dear {{contact.name}},\n\nHappy birthday, and all the best for the year ahead.\n\n"
                           "{{owner.name}}"}}}]},
    "customer_anniversary_greeting": {
        "trigger": {"kind": "date", "date": "customer_anniversary", "hour": 9},
        "conditions": [],
        "actions": [{"kind": "message_contacts", "contacts": "primary", "channel": "email", "messages": {
            "zh-CN": {"subject": "感谢 {{customer.legal_name}} 又一年的信任",
                      "body": "{{contact.name}}，您好！\n\n感谢贵司又一年的合作与信任，我们期待继续为您服务。\n\n"
                              "{{owner.name}}"},
            "en": {"subject": "Thank you for another year, {{customer.legal_name}}",
                   "body": "Dear {{contact.name}},\n\nThank you for another year of working together.\n\n"
                           "{{owner.name}}"}}},
                    {"kind": "notify", "title": "Anniversary of {{customer.legal_name}}",
                     "body": "A greeting went to the primary contact."}]},
}
