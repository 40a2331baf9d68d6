"""Rules of the customer record: its key fields and completeness, the keys derived for search
and duplicate detection, a new record's defaults, and the fields kept internal (no database)."""
import uuid

from services.common.clock import utcnow
from services.common.schemas import storable
from services.common import regions
from services.customers import company_sizes, identifiers, industries, places, tiering

# The version of the keys ``derived_keys`` makes; a customer stored with older keys gets new ones from
# the next periodic recompute (``insights.derive``). Since "all-keys-1" a search reads ``all_keys``
# itself; the key prefixes it read before (``RETIRED_KEYS``) are dropped by a customer's next write,
# that recompute's included.
KEYS_VERSION = "all-keys-1"
RETIRED_KEYS = ("key_prefixes",)
KEY_FIELDS = ("legal_name", "short_name", "tax_id", "industry", "company_size", "annual_revenue",
              "main_products", "website", "phone", "source_channel", "owner_id", "addresses")
INTERNAL_FIELDS = ("search_keys", "contact_keys", "phone_keys", "email_keys", "name_key", "tax_id_key",
                   "all_keys", "key_prefixes", "region_keys", "tier_rank", "created_at", "updated_at", "version",
                   "contact_phone_keys", "contact_email_keys", "filter_keys", "match_keys", "keys_version", "name_sort",
                   "company_size_derived")
# A key field that also counts as filled through another (an industry chosen from the catalogue, no text typed).
FILLED_BY = {"industry": "industry_code"}
EMPTY = (None, "", [], {})


def completeness(customer):
    filled = sum(1 for field in KEY_FIELDS
                 if customer.get(field) not in EMPTY or customer.get(FILLED_BY.get(field)) not in EMPTY)
    return round(100 * filled / len(KEY_FIELDS))


def classified(before, given):
    """The codes ``given`` (the loaded fields of a create or an update) implies for the record
    ``before`` ({} for a new one): the industry code of a changed free-text industry given without
    one (``industries.match``, None where it names none), and the company size the national rule
    derives (``company_sizes.derive``) unless one is given. A derived size is marked as such, so it
    follows the figures it came from; a given one stays. Only what differs from ``before``."""
    changes = {}
    if "industry" in given and "industry_code" not in given and given["industry"] != before.get("industry"):
        changes["industry_code"] = industries.match(given["industry"])
    after = dict(before, **given)
    after.update(changes)
    if given.get("company_size"):
        changes["company_size_derived"] = False
    elif not after.get("company_size") or after.get("company_size_derived"):
        size = company_sizes.derive(after.get("industry_code"), after.get("employees"), after.get("annual_revenue"))
        changes.update(company_size=size, company_size_derived=size is not None)
    return {field: value for field, value in changes.items() if before.get(field) != value}


def legacy_codes(customer):
    """What a customer stored before the codes gets from its free text: the industry code its
    ``industry`` names, the size code its ``company_size`` names (大型, Large…); {} where neither does."""
    changes = {}
    if customer.get("industry") and not customer.get("industry_code"):
        code = industries.match(customer["industry"])
        if code:
            changes["industry_code"] = code
    size = customer.get("company_size")
    if size and size not in company_sizes.SIZES and company_sizes.code_of(size):
        changes.update(company_size=company_sizes.code_of(size), company_size_derived=False)
    return changes


def derived_keys(customer):
    """The normalised keys search and duplicate detection use.

    ``search_keys`` are the identity's (names, tax id, code); ``all_keys`` add the contacts' names,
    phones and e-mails, for those who may see contacts (a search finds its candidates by the range of
    them starting with its text, ``identifiers.prefix_lookup``); ``region_keys`` are the addresses'
    provinces and cities as written and their region codes at every level (province, city, district).
    """
    search = set()
    for field in ("legal_name", "short_name"):
        search |= identifiers.text_keys(customer.get(field))
    tax_key = identifiers.tax_id_key(customer.get("tax_id")) or None
    if tax_key:
        search.add(tax_key.lower())
    if customer.get("external_code"):
        search.add(identifiers.compact(customer["external_code"]))
    phones = set(customer.get("contact_phone_keys", []))
    emails = set(customer.get("contact_email_keys", []))
    _add_reach_keys(customer, phones, emails)
    phones.discard("")
    everything = search | set(customer.get("contact_keys", [])) | {identifiers.compact(e) for e in emails}
    for phone in phones:
        everything |= identifiers.phone_forms(phone)
    everything.discard("")
    return {
        "name_key": identifiers.name_key(customer["legal_name"]),
        "name_sort": identifiers.sort_key(customer["legal_name"]),
        "tax_id_key": tax_key,
        "search_keys": sorted(search),
        "all_keys": sorted(everything),
        "region_keys": region_keys(customer.get("addresses")),
        "phone_keys": sorted(phones),
        "email_keys": sorted(emails),
        "completeness": completeness(customer),
        "tier_rank": tiering.RANK.get((customer.get("tier") or {}).get("level"), 1),
        "keys_version": KEYS_VERSION,
    }


def renewed_keys(customer):
    """``derived_keys`` of ``customer`` when it holds keys of an older ``KEYS_VERSION``, else nothing."""
    return derived_keys(customer) if customer.get("keys_version") != KEYS_VERSION else {}


def placed_addresses(addresses):
    """``addresses`` as stored: each with an id and its region (``places.placed``)."""
    return [dict(places.placed(address), id=address.get("id") or uuid.uuid4().hex[:12]) for address in addresses]


def region_keys(addresses):
    """The keys the region filter finds ``addresses`` by: each one's province and city as written
    (folded) and its region codes at every level."""
    keys = {identifiers.fold(address.get(part)) for address in addresses or () for part in ("province", "city")}
    keys |= {address.get(code) for address in addresses or () for code in places.CODE_FIELDS}
    return sorted(keys - {"", None})


def region_key(text):
    """The region key a list filter names: the code of the region ``text`` is or names (320500, 苏州,
    江苏省), else the text folded, as an address's province or city was written."""
    region = regions.named(text)
    return region.code if region else identifiers.fold(text)


def contact_keys(contacts):
    """The keys of a customer's contacts that its own keys include: names, phones, e-mails."""
    names, phones, emails = set(), set(), set()
    for contact in contacts:
        names |= identifiers.text_keys(contact.get("name"))
        _add_reach_keys(contact, phones, emails)
    return {"contact_keys": sorted(names), "contact_phone_keys": sorted(phones), "contact_email_keys": sorted(emails)}


def _add_reach_keys(record, phones, emails):
    if record.get("phone"):
        phones.add(identifiers.phone_key(record["phone"]))
    if record.get("email"):
        emails.add(identifiers.fold(record["email"]))


def new_customer(data, caller, site_id):
    """A customer document from validated ``data``, on ``site_id``, owned by ``caller`` (a user)."""
    now = utcnow()
    customer = {
        "_id": uuid.uuid4().hex, "site_id": site_id, "country": "CN", "status": "active",
        "account_type": "legal_entity", "parent_id": None, "tags": [], "main_products": [], "addresses": [],
        "owner_id": caller.user_id if not caller.is_service else None,
        "lifecycle_stage": "prospect",
        "tier": {"level": "general", "reasons": ["New customer: no orders yet."], "overridden": False},
        "churn_risk": {"level": "none", "reasons": []},
        "last_verified_at": now, "next_followup_date": None, "last_order_date": None, "deleted_at": None,
        "created_at": now, "updated_at": now, "version": 1,
    }
    customer.update(storable(data))
    customer.update(classified({}, customer))
    customer["tags"] = sorted(set(customer["tags"]))
    customer["addresses"] = placed_addresses(customer["addresses"])
    customer.update(derived_keys(customer))
    return customer
