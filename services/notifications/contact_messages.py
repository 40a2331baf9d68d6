"""Marketing messages to customers' contacts, one mechanism for campaigns and automation rules.

A message is written in zh-CN and/or en; a contact gets their customer's country's language (zh-CN
in China or where the country is unknown, en elsewhere; the other when one is missing). Its
placeholders are ``{{contact.name}}``, ``{{customer.legal_name}}``, ``{{owner.name}}`` and
``{{owner.email}}``, and every message carries its recipient's unsubscribe link (``unsubscribe.py``).
A recipient is a document of ``recipients`` (the campaign's, or ``rule:<id>`` for a rule's), so the
link, the opt-out and the report work the same for both.
"""
from services.common import config
from services.notifications import automation_rules, directory, templates, unsubscribe


def language_for(item, messages):
    wanted = "zh-CN" if (item.get("country") or "CN") == "CN" else "en"
    return wanted if wanted in messages else next(iter(messages))


def render(db, messages, channel, item, recipient_id):
    """(subject, body) of ``messages`` for the recipient ``item``, with its unsubscribe link."""
    language = language_for(item, messages)
    message = messages[language]
    owner = (directory.users(db, [item.get("owner_id")]) or [{}])[0]
    scopes = {"contact": {"name": item.get("name") or ""}, "customer": {"legal_name": item.get("legal_name") or ""},
              "owner": {"name": owner.get("display_name") or "", "email": owner.get("email") or ""}}
    link = "%s/u/%s" % (config.get("CRM_PUBLIC_URL").rstrip("/"), unsubscribe.token_for(recipient_id))
    data = {"subject": automation_rules.fill_scopes(message.get("subject") or "", scopes),
            "body": automation_rules.fill_scopes(message["body"], scopes), "unsubscribe": link}
    return templates.render("campaign_sms" if channel == "sms" else "campaign", language, name=item.get("name"),
                            data=data)


def recipient(owner_key, item, channel, recipient_id):
    """The recipient document of ``item`` (a contact of a customer) for ``owner_key`` (a campaign's id or
    ``rule:<id>``): queued, or skipped for ``no_address``."""
    address = item.get("phone") if channel == "sms" else item.get("email")
    found = {"_id": recipient_id, "campaign_id": owner_key, "customer_id": item["customer_id"],
             "legal_name": item.get("legal_name"), "contact_id": item.get("contact_id"), "name": item.get("name"),
             "owner_id": item.get("owner_id"), "country": item.get("country"), "address": address,
             "status": "queued", "reason": None, "error": None, "sent_at": None,
             "subjects": sorted({item["customer_id"], item.get("contact_id")} - {None})}
    if not address:
        found.update(status="skipped", reason="no_address")
    return found
