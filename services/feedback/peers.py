"""What feedback asks other services, always as the caller (their token) and bounded in time.

Unavailable (the peer is down or slow) passes through, so the request fails with 503 before
anything is written.
"""
from services.common import colleagues, remote
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
    return colleagues.check_user(caller, user_id, site_id, "feedback:write", "assignee_id")
