"""The unsubscribe link every campaign message carries, and the opt-outs it records.

The link is ``/u/<recipient id>.<mac>``, the MAC an HMAC-SHA256 of the recipient id under a key
derived for this purpose from ``CRM_SECRET_KEY``: it cannot be made for another recipient, and it
needs nothing stored. Opening it shows the contact a page (public, zh-CN or en); confirming
records the opt-out by contact and by address (kept as a hash, so the same address is respected in
another contact record), publishes ``notifications.contact_opted_out`` and audits it. Messages
someone asked for (a password reset, a survey invitation) are not campaigns and still go out.
"""
import hashlib
import hmac

from services.common import keyring
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.notifications import contract, events, store

PAGE = contract.UnsubscribeSchema()


def _mac(recipient_id):
    return hmac.new(keyring.derived_key("unsubscribe"), recipient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def token_for(recipient_id):
    return "%s.%s" % (recipient_id, _mac(recipient_id))


def address_key(address):
    """A hash of an e-mail address (lower case) or phone number (its digits): how an opt-out is matched."""
    if not address:
        return None
    normal = address.strip().lower() if "@" in address else "".join(ch for ch in address if ch.isdigit())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _recipient(db, token):
    recipient_id, _, mac = (token or "").partition(".") if isinstance(token, str) else ("", "", "")
    recipient = None
    if recipient_id and len(mac) == 32 and hmac.compare_digest(mac, _mac(recipient_id)):
        recipient = store.find_recipient(db, recipient_id)
    if recipient is None:
        raise NotFound("No such link.")
    return recipient


def page(db, token):
    recipient = _recipient(db, token)
    return PAGE.dump({"name": recipient.get("name"), "opted_out": store.opted_out(
        db, recipient.get("contact_id"), address_key(recipient.get("address")))})


def opt_out(db, token):
    """Record the opt-out (again: nothing more happens)."""
    recipient = _recipient(db, token)
    key = address_key(recipient.get("address"))
    if not store.opted_out(db, recipient.get("contact_id"), key):
        campaign = store.find_campaign(db, recipient["campaign_id"]) or {}
        channel = campaign.get("channel")
        contact = recipient.get("contact_id") or "address:%s" % key
        store.save_opt_out(db, contact, key, {
            "customer_id": recipient["customer_id"], "campaign_id": recipient["campaign_id"], "channel": channel,
            "site_id": campaign.get("site_id"), "at": utcnow(), "subjects": recipient.get("subjects") or []},
            events.event("contact_opted_out", {"contact_id": recipient.get("contact_id"),
                                               "customer_id": recipient["customer_id"], "channel": channel,
                                               "campaign_id": recipient["campaign_id"]},
                         site_id=campaign.get("site_id"), actor="contact:%s" % contact),
            events.audit("opt_out", contact, "created", {}, campaign.get("site_id"), "contact:%s" % contact))
    return page(db, token)
