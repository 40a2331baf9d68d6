"""Use cases of the customer archive: create (with duplicate checks), read, update, delete,
restore, verify, search."""
import datetime

from services.common import colleagues, sites
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import Conflict, NotFound, ValidationFailed, stale_version
from services.common.schemas import load, storable
from services.customers import (
    access, code_migration, contract, credits, customer_record, erasure, events, identifiers, industries, listing,
    moves, region_migration, store,
)

KEYS_VERSION = "search-keys-2"
LIST_KEYS_VERSION = "list-keys-1"
MATCH_KEYS_VERSION = "match-keys-2"
NAME_SORT_VERSION = "name-sort-1"
FORECAST_VERSION = "forecast-1"  # stored customers get their reorder forecast and its due key once
RESTORE_DAYS = 30
REVIEW_DAYS = 90
OUT = contract.CustomerOutSchema()


def out(customer):
    return OUT.dump(dict({"owner_left": None, "industry_code": None, "company_size_derived": False}, **customer,
                         industry_labels=industries.labels(customer.get("industry_code"))))


def prepare_database(db):
    """Indexes, then (once) the search keys of customers stored before the current ones, and a
    ``last_verified_at`` (their creation) for those without, so review-due is one range; then
    (once) the list keys and counts (``store.recount``), and the look-up keys of every customer
    (``store.mend_keys``); then (once) the pinyin sort key of the names
    stored before it, deleted customers' too, so a list sorted by name misses none; and (once) the
    industry and company size codes of free text stored before them (``code_migration``), and the
    region codes of the addresses stored before them (``region_migration``); and (once) a recompute of
    every customer, which gives those stored before forecasts theirs (``FORECAST_VERSION``)."""
    store.ensure_indexes(db)
    if not store.has_marker(db, KEYS_VERSION):
        for customer in store.customers_lacking(db, "all_keys"):
            store.set_customer_fields(db, customer["_id"], customer_record.derived_keys(customer))
        for customer in store.customers_lacking(db, "last_verified_at"):
            store.set_customer_fields(db, customer["_id"], {"last_verified_at": customer["created_at"]})
        store.set_marker(db, KEYS_VERSION)
    if not store.has_marker(db, LIST_KEYS_VERSION):
        store.recount(db)
        store.set_marker(db, LIST_KEYS_VERSION)
    if not store.has_marker(db, MATCH_KEYS_VERSION):
        store.mend_keys(db)
        store.set_marker(db, MATCH_KEYS_VERSION)
    if not store.has_marker(db, code_migration.MARKER):
        code_migration.migrate(db)
        store.set_marker(db, code_migration.MARKER)
    if not store.has_marker(db, region_migration.MARKER):
        region_migration.migrate(db)
        store.set_marker(db, region_migration.MARKER)
    if not store.has_marker(db, NAME_SORT_VERSION):
        for customer in store.customers_lacking(db, "name_sort"):
            store.set_customer_fields(db, customer["_id"], {"name_sort": identifiers.sort_key(customer["legal_name"])})
        store.set_marker(db, NAME_SORT_VERSION)
    if not store.has_marker(db, credits.MARKER):
        credits.stamp_stored(db)
        store.set_marker(db, credits.MARKER)
    if not store.has_marker(db, FORECAST_VERSION):
        store.request_run(db, "recompute")  # which derives every customer's forecast and its due key
        store.set_marker(db, FORECAST_VERSION)
    if not store.has_marker(db, customer_record.KEYS_VERSION):
        if store.any_customer(db):
            store.request_run(db, "recompute")  # which makes the keys of customers stored before them
        store.set_marker(db, customer_record.KEYS_VERSION)


def _check_site(caller, site_id):
    if not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})


def check_site_open(db, caller, site_id):
    """A site a write may name: one of the caller's, known to accounts and active (422 ``site_id``)."""
    _check_site(caller, site_id)
    sites.require(db, site_id)


def require_writable(db, customer):
    """A change of a customer (or of one of its records) needs the customer's site active (422 ``site_id``)."""
    sites.require(db, customer["site_id"])


def check_parent(db, caller, customer_id, parent_id):
    """The parent must be visible; linking it must not close a cycle (409)."""
    if not parent_id:
        return
    seen = set()
    current = access.visible_customer(caller, store.find_customer(db, parent_id)) if parent_id else None
    if current is None:
        raise ValidationFailed(fields={"parent_id": ["No such customer."]})
    while current is not None:
        if current["_id"] == customer_id or current["_id"] in seen:
            raise Conflict("This parent would make the hierarchy a cycle.", {"parent_id": ["Creates a cycle."]},
                           code="hierarchy_cycle")
        seen.add(current["_id"])
        parent = current.get("parent_id")
        current = store.find_customer(db, parent) if parent else None


def duplicate_candidates(db, caller, customer, exclude_id=None):
    """(same tax id, similar) live customers among the caller's sites.

    One single-key query each (name, phones, e-mails), filtered here by site: each is answered
    from the look-up index, where one combined query would scan the archive on the embedded server.
    """
    keys = customer_record.derived_keys(customer)
    projection = {"_id": 1, "legal_name": 1, "tax_id": 1, "site_id": 1, "deleted_at": 1}

    def live_in_scope(field, values, limit):
        found = store.customers_matching(db, field, values, projection, 200) if values else []
        return [c for c in found if c.get("deleted_at") is None and caller.has_site(c["site_id"])
                and c["_id"] != exclude_id][:limit]

    same_tax = live_in_scope("tax_id_key", [keys["tax_id_key"]], 10)
    taken = {c["_id"] for c in same_tax}
    similar = []
    for field, values in (("name_key", [keys["name_key"]]), ("phone_keys", keys["phone_keys"]),
                          ("email_keys", keys["email_keys"])):
        for candidate in live_in_scope(field, values, 20):
            if candidate["_id"] not in taken:
                taken.add(candidate["_id"])
                similar.append(candidate)
    return same_tax, similar[:20]


def _candidate(customer):
    return {"id": customer["_id"], "legal_name": customer["legal_name"]}


def create_customer(db, caller, data, force=False):
    caller.require("customers:write")
    data = load(contract.CustomerSchema(), data)
    site_id = data.pop("site_id", None) or (caller.sites[0] if caller.sites else None)
    check_site_open(db, caller, site_id)
    customer = customer_record.new_customer(data, caller, site_id)
    check_parent(db, caller, customer["_id"], customer.get("parent_id"))
    check_owner(caller, customer)
    same_tax, similar = duplicate_candidates(db, caller, customer)
    if same_tax:
        raise Conflict("A customer with this tax id already exists.", {"tax_id": ["Already in the archive."]},
                       code="duplicate_tax_id", extra={"existing_id": same_tax[0]["_id"],
                                                       "candidates": [_candidate(c) for c in same_tax]})
    if similar and not force:
        raise Conflict("Similar customers exist; check them or create anyway with force=true.",
                       code="possible_duplicate", extra={"candidates": [_candidate(c) for c in similar]})
    store.insert_customer(
        db, customer,
        events.event("customer_created", events.customer_data(customer), site_id, caller.user_id),
        events.audit("customer", customer["_id"], "created",
                     changes_between({}, customer, customer_record.INTERNAL_FIELDS), site_id, caller.user_id))
    return out(customer)


def check_owner(caller, customer):
    """The owner must be an active user of the customer's site who may read customers (422 ``owner_id``)."""
    if customer.get("owner_id"):
        colleagues.check_user(caller, customer["owner_id"], customer["site_id"], "customers:read", "owner_id")


def get_visible(db, caller, customer_id, include_deleted=False):
    caller.require("customers:read")
    return access.visible_customer(caller, store.find_customer(db, customer_id, include_deleted))


def get_customer(db, caller, customer_id):
    return out(get_visible(db, caller, customer_id))


def update_customer(db, caller, customer_id, data):
    caller.require("customers:write")
    customer = get_visible(db, caller, customer_id)
    data = load(contract.CustomerUpdateSchema(), data, partial=True)
    if "version" not in data:
        raise ValidationFailed(fields={"version": ["Missing data for required field."]})
    version = data.pop("version")
    if data.get("site_id", customer["site_id"]) != customer["site_id"]:
        check_site_open(db, caller, data["site_id"])
    else:
        require_writable(db, customer)
    if "parent_id" in data:
        check_parent(db, caller, customer_id, data["parent_id"])
    changes = storable(data)
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"]))
    if "addresses" in changes:
        changes["addresses"] = customer_record.placed_addresses(changes["addresses"])
    if "owner_id" in changes and changes["owner_id"] != customer.get("owner_id"):
        changes["owner_left"] = None
    changes.update(customer_record.classified(customer, changes))
    merged = dict(customer, **changes)
    if merged.get("owner_id") != customer.get("owner_id") or merged["site_id"] != customer["site_id"]:
        check_owner(caller, merged)
    changes.update(customer_record.derived_keys(merged))
    diff = changes_between(customer, dict(customer, **changes), customer_record.INTERNAL_FIELDS + ("completeness",))
    emitted = []
    if diff:
        emitted = [events.event("customer_updated", dict(events.customer_data(merged), changed_fields=sorted(diff)),
                                merged["site_id"], caller.user_id),
                   events.audit("customer", customer_id, "updated", diff, merged["site_id"], caller.user_id)]
    moving = merged["site_id"] != customer["site_id"]
    if moving:
        changes["moving_parts"] = True
        emitted.append(moves.moved_event(customer_id, customer["site_id"], merged["site_id"], caller.user_id))
    updated = store.update_customer(db, customer_id, version, changes, *emitted)
    if updated is None:
        raise stale_version("customer")
    if moving:
        moves.carry_records(db, customer_id, updated["site_id"])
    return out(updated)


def delete_customer(db, caller, customer_id, erase=False):
    """Soft delete (restorable for RESTORE_DAYS), or erasure: a soft-deleted customer may be erased
    too. Erasure is a delete whose window ends now, purged at once (by the purge timer if cut short)."""
    caller.require("customers:write")
    customer = get_visible(db, caller, customer_id, include_deleted=erase)
    if customer.get("erased"):
        raise NotFound("No such customer.")
    now = utcnow()
    changes = {"purge_after": now if erase else now + datetime.timedelta(days=RESTORE_DAYS), "erased": bool(erase)}
    if customer.get("deleted_at") is None:
        changes["deleted_at"] = now
    site = customer["site_id"]
    deleted = store.update_customer(db, customer_id, None, changes,
                                    events.event("customer_deleted", {"customer_id": customer_id,
                                                                       "legal_name": None if erase else
                                                                       customer["legal_name"],
                                                                       "erased": bool(erase)}, site, caller.user_id),
                                    events.audit("customer", customer_id, "erased" if erase else "deleted", {}, site,
                                                 caller.user_id), include_deleted=erase)
    if erase and deleted is not None:
        erasure.purge(db, deleted, caller.user_id)
    return {}


def restore_customer(db, caller, customer_id):
    caller.require("customers:write")
    customer = get_visible(db, caller, customer_id, include_deleted=True)
    if customer.get("deleted_at") is None:
        return out(customer)
    if customer.get("erased") or not customer.get("purge_after") or \
            customer["purge_after"].replace(tzinfo=datetime.timezone.utc) < utcnow():
        raise NotFound("No such customer.")
    site = customer["site_id"]
    restored = store.update_customer(
        db, customer_id, None, dict(customer_record.renewed_keys(customer), deleted_at=None, purge_after=None),
        events.event("customer_restored", {"customer_id": customer_id, "legal_name": customer["legal_name"]},
                     site, caller.user_id),
        events.audit("customer", customer_id, "restored", {}, site, caller.user_id), include_deleted=True)
    return out(restored)


def verify_customer(db, caller, customer_id):
    caller.require("customers:write")
    customer = get_visible(db, caller, customer_id)
    require_writable(db, customer)
    now = utcnow()
    updated = store.update_customer(db, customer_id, None, {"last_verified_at": now}, events.audit(
        "customer", customer_id, "verified", {"last_verified_at": {
            "before": customer.get("last_verified_at") and customer["last_verified_at"].isoformat(),
            "after": now.isoformat()}}, customer["site_id"], caller.user_id))
    return out(updated)


# ``owner_id=none`` finds the customers without an owner (none set, or their owner left).
NO_OWNER = "none"

def search_query(caller, filters):
    """The query of the list of deleted customers (``store.search_filter`` shapes it): the filters,
    a region and an industry as their keys; the caller's sites; ``q`` checked as a prefix of their
    keys (``search_text``)."""
    asked = {name: filters[name] for name, _ in store.SEARCHED_BY if filters.get(name)}
    if filters.get("owner_id") == NO_OWNER:
        asked["owner_id"] = None
    if filters.get("region"):
        asked["region"] = customer_record.region_key(filters["region"])
    if filters.get("industry"):
        asked["industry"] = listing.industry_key(filters["industry"])
    text, field = search_text(caller, filters["q"]) if filters.get("q") else (None, None)
    return store.search_filter(caller.site_scope(), asked, text, contacts=field == "all_keys")


def search_text(caller, q):
    """(``q`` as the keys hold it (``identifiers.compact``), the keys ``caller`` searches: the
    customers' own (``search_keys``), and their contacts' too (``all_keys``) for those who may see
    contacts)."""
    return identifiers.compact(q) or identifiers.fold(q), "all_keys" if caller.can("contacts:read") else "search_keys"
