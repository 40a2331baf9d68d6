"""What feedback asks other services, always as the caller (their token) and bounded in time.

Unavailable (the peer is down or slow) passes through, so the request fails with 503 before
anything is written.
"""
from services.common import remote
from services.common.errors import NotFound, ValidationFailed

PAGE = 500


def customer(caller, customer_id):
    """The customer, which must exist and lie in the caller's sites; 422 on ``customer_id`` otherwise."""
    try:
        return remote.call("customers", "get_customer", customer_id, token=caller.token)
    except NotFound:
        raise ValidationFailed("No such customer.", {"customer_id": ["No such customer."]})


def contacts(caller, customer_id, contact_ids):
    """The chosen contacts of a customer, in the order asked; 422 on ``contact_ids`` naming strangers."""
    wanted, found, cursor = set(contact_ids), {}, None
    while True:
        page = remote.call("customers", "list_parts", customer_id, "contacts", limit=PAGE, cursor=cursor,
                           token=caller.token)
        found.update({c["id"]: c for c in page["items"] if c["id"] in wanted})
        cursor = page.get("next_cursor")
        if not cursor or len(found) == len(wanted):
            break
    unknown = [i for i in contact_ids if i not in found]
    if unknown:
        raise ValidationFailed("Not contacts of this customer: %s." % ", ".join(unknown),
                               {"contact_ids": ["Not contacts of this customer: %s." % ", ".join(unknown)]})
    return [found[i] for i in contact_ids]


def check_assignee(caller, user_id, site_id):
    """The assignee must be an active user of the item's site holding ``feedback:write``."""
    answer = remote.call("accounts", "user_directory", [user_id], token=caller.token)
    user = next((u for u in answer.get("items", []) if u["id"] == user_id), None)
    problem = None
    if user is None or user.get("status") != "active":
        problem = "No such active user."
    elif site_id not in user.get("sites", []) and "sites:all" not in user.get("permissions", []):
        problem = "The user does not work at this feedback's site."
    elif "feedback:write" not in user.get("permissions", []):
        problem = "The user may not handle feedback (feedback:write)."
    if problem:
        raise ValidationFailed(problem, {"assignee_id": [problem]})
    return user
