"""One batch of customer rows: read by ``import_convert``, validated with the API's schema, upserted
by business key. The references a row makes are resolved here: an owner by name, username or
e-mail (``import_people``; one not found is a warning, the row is kept), a level as a tier
override with the reason "imported", a parent account by exact name or code in the site (one not
found is a warning).

The business key of a row is its tax id (normalised), else its external code, else its exact
legal name, within the job's site. A key seen earlier in the file updates the customer that row
made, so a file with a key twice ends with one customer holding the later values. Every create
and update emits the same events as the API. An update writes them in the same document write;
the batch's new customers are inserted together, then their events are queued in outbox
documents of their own (a few per batch, not a relay pass per customer), the audit events of a
hundred rows as one ``audit_entries`` event (``envelope.unbatched`` reads it as them). A batch run again
after a crash queues again the events of the customers it finds it created, since the crash
may have fallen between the two writes. Those events and their outbox documents have ids
derived from the job and rows: an outbox document still waiting is not queued twice, and an
event that is sent twice carries the same ``event_id``, which consumers drop.
"""
import logging
import uuid

from pymongo.errors import PyMongoError

from services.common.auth import Caller
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import CrmError, ValidationFailed
from services.common.schemas import load, storable
from services.customers import (
    archive, contract, customer_record, events, identifiers, import_convert, import_people, import_report,
    import_values, places, store, tiering,
)

log = logging.getLogger(__name__)

UNREADABLE = "Not readable: not UTF-8 or GBK text, a quote never closed, or a row of more than 256 KB."
EXTRA_CELLS = import_convert.EXTRA_CELLS
NO_PARENT = "No customer of this site has the name or code {name}; the parent account is left as it was."
IMPORTED = "imported"
UNPLACED = "The address names no province, city or district for certain; it is kept as written."
OUTBOX_ROWS = 100
SCHEMA = contract.CustomerSchema()

def validate(columns, cells, value_map=None):
    """(loaded data with only the row's fields, references, problems, remarks), the last two
    ``[(field, message)]`` (``import_convert``)."""
    if cells is None:
        return None, {}, [("_row", UNREADABLE)], []
    data, references, problems, remarks = import_convert.convert("customers", columns, cells, value_map)
    if problems:
        return None, references, problems, remarks
    try:
        loaded = load(SCHEMA, data)
    except ValidationFailed as exc:
        return None, references, list(import_report.flatten(exc.fields)), remarks
    return {key: value for key, value in storable(loaded).items() if key in data}, references, [], remarks


def business_key(data):
    if data.get("tax_id"):
        return "tax_id_key", identifiers.tax_id_key(data["tax_id"])
    if data.get("external_code"):
        return "external_code", data["external_code"]
    return "legal_name", data["legal_name"]


def _keys_of(customer):
    keys = [("legal_name", customer["legal_name"])]
    if customer.get("tax_id_key"):
        keys.append(("tax_id_key", customer["tax_id_key"]))
    if customer.get("external_code"):
        keys.append(("external_code", customer["external_code"]))
    return keys


def outbox_documents(job_id, prefix, queued, site_id, actor):
    """The events an import's batch queued, ``(row, events, audit)`` in row order, as outbox documents
    of up to OUTBOX_ROWS rows each: the rows' events, then one ``audit_entries`` event standing for
    their audit events (a message and a write of the trail a hundred rows, not one a row). Ids from
    the job, ``prefix`` (the part a sheet holds) and the rows: the same when the batch runs again."""
    documents = []
    for start in range(0, len(queued), OUTBOX_ROWS):
        part = queued[start:start + OUTBOX_ROWS]
        document_id = "import:%s:%s%08d-%08d" % (job_id, prefix, part[0][0], part[-1][0])
        audited = events.audit_entries([audit for _, _, audit in part], site_id, actor)
        audited["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/audit" % document_id))
        documents.append((document_id, [event for _, emitted, _ in part for event in emitted] + [audited]))
    return documents


class Batch:
    """Applies validated rows of one job; ``counts`` and ``errors`` say what became of each."""

    def __init__(self, db, job):
        self.db = db
        self.job = job
        self.site_id = job["site_id"]
        self.caller = Caller(job["created_by"], [self.site_id])
        self.people = import_people.People(job.get("people"), "customers:read")
        self.value_map = import_values.folded_value_map(job.get("value_map"))
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.report = import_report.RowReport(job, self.counts)
        self.errors = self.report.errors
        self.warnings = self.report.warnings
        self.known = {}
        self.unsaved = {}
        self.queued = []
        self.dry_keys = []

    def run(self, rows):
        valid = []
        for number, cells in rows:
            data, references, problems, remarks = validate(self.job["columns"], cells, self.value_map)
            if problems:
                self._fail(number, problems)
                continue
            for field, message in remarks:
                self._warn(number, field, message)
            valid.append((number, data, references))
        self._load_matches([data for _, data, _ in valid], [refs["parent"] for _, _, refs in valid if "parent" in refs])
        for number, data, references in valid:
            try:
                data = self._resolved(number, data, references)
                self.counts[self._upsert(number, data)] += 1
            except PyMongoError:
                raise
            except CrmError as exc:
                self._fail(number, list(import_report.flatten(exc.fields)) or [("_row", exc.message)])
            except Exception:
                log.exception("import %s: row %s", self.job["_id"], number)
                self._fail(number, [("_row", "Could not be imported (internal error).")])
        self._flush()
        self.counts["warnings"] = self.report.warned_rows()
        return self

    def _flush(self):
        """Insert the new customers, then queue their events (customers first: see the module's notes)."""
        store.insert_customers(self.db, list(self.unsaved.values()))
        store.queue_import_events(self.db, self._outbox_documents())
        store.insert_import_dry_keys(self.db, self.dry_keys)
        self.unsaved, self.queued, self.dry_keys = {}, [], []

    def _outbox_documents(self):
        return outbox_documents(self.job["_id"], "", self.queued, self.site_id, self.caller.user_id)

    def _fail(self, number, problems):
        self.report.fail([number], problems)

    def _warn(self, number, field, message):
        self.report.warn(number, field, message)

    def _resolved(self, number, data, references):
        """``data`` with the row's references as fields: the owner's id, the tier override, the parent's id."""
        data = dict(data)
        if "owner" in references:
            owner_id, problem = self.people.find(references["owner"])
            if problem:
                self._warn(number, "owner", problem)
            else:
                data["owner_id"] = owner_id
        if "level" in references:
            data["tier_override"] = {"level": references["level"], "reason": IMPORTED, "expires_at": None,
                                     "set_by": self.caller.user_id, "set_at": tiering.time_text(utcnow())}
        if "parent" in references:
            parent = self._parent(references["parent"])
            if parent is None:
                self._warn(number, "parent", NO_PARENT.format(name=str(references["parent"])[:100]))
            else:
                data["parent_id"] = parent["_id"]
        return data

    def _parent(self, text):
        return self.known.get(("external_code", text)) or self.known.get(("legal_name", text))

    def _warn_unplaced(self, number, address):
        """A warning, not an error: the row's address was kept but could not be placed in a region."""
        if address and address.get("region_unparsed"):
            field = next(field for field in places.TEXT_FIELDS if address.get(field))
            prefix = "shipping_" if address.get("type") == "shipping" else ""
            self._warn(number, prefix + field if prefix + field in self.job["columns"] else field, UNPLACED)

    def _load_matches(self, rows, parents=()):
        wanted = {"tax_id_key": set(), "external_code": set(), "legal_name": set()}
        for data in rows:
            field, value = business_key(data)
            wanted[field].add(value)
        for text in parents:
            wanted["external_code"].add(text)
            wanted["legal_name"].add(text)
        for customer in store.find_import_matches(self.db, self.site_id, wanted):
            for key in _keys_of(customer):
                self.known.setdefault(key, customer)

    def _remember(self, customer):
        for key in _keys_of(customer):
            self.known[key] = customer

    def _upsert(self, number, data):
        current = self.known.get(business_key(data))
        if current is None:
            return self._create(number, data)
        if current["_id"] == self._row_customer_id(number):
            if not self.job["dry_run"]:
                self._queue_created(number, current)
            return "created"
        return self._update(number, current, data)

    def _row_customer_id(self, number):
        """The id of the customer a row creates: the same when a batch runs again because its
        progress was not saved (the database went away), so that row still counts as created."""
        return uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d" % (self.job["_id"], number)).hex

    def _create(self, number, data):
        """``data`` is already loaded (``validate``); the schema's only default, country CN, is
        also ``new_customer``'s."""
        data = dict(data)
        override = data.pop("tier_override", None)
        customer = dict(customer_record.new_customer(data, self.caller, self.site_id),
                        _id=self._row_customer_id(number))
        if override:
            customer["tier"] = tiering.effective_tier(customer["tier"], override, utcnow())
            customer.update(customer_record.derived_keys(customer))
        for address in customer["addresses"]:
            self._warn_unplaced(number, address)
        if not self.job["dry_run"]:
            self.unsaved[customer["_id"]] = customer
            self._queue_created(number, customer)
        elif self.job.get("plan"):
            self._keep_dry_keys(customer)
        self._remember(customer)
        return "created"

    def _keep_dry_keys(self, customer):
        """A workbook's dry run creates nothing, so its later sheets could name none of its new
        customers: their keys are kept for the parts' sheets to link to (dropped with the job)."""
        for field, value in _keys_of(customer):
            self.dry_keys.append({"import_id": self.job["_id"], "field": field, "value": value,
                                  "customer": {key: customer.get(key) for key in ("_id", "site_id", "legal_name")}})

    def _queue_created(self, number, customer):
        """Queue the events of the customer row ``number`` created, with ids of that row."""
        actor = self.caller.user_id
        created = (
            events.event("customer_created", events.customer_data(customer), self.site_id, actor),
            events.audit("customer", customer["_id"], "created",
                         changes_between({}, customer, customer_record.INTERNAL_FIELDS), self.site_id, actor))
        for kind, event in zip(("created", "audit"), created):
            event["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d/%s" % (self.job["_id"], number, kind)))
        self.queued.append((number, created[:1], created[1]))

    def _update(self, number, current, data, retry=True):
        changes = {key: value for key, value in data.items() if key not in ("addresses", "tier_override")}
        tier = _with_override(current.get("tier") or {}, data.get("tier_override"))
        if tier is not None:
            changes["tier"] = tier
        if "tags" in changes:
            changes["tags"] = sorted(set(changes["tags"]))
        if "addresses" in data:
            addresses = current.get("addresses") or []
            for address in data["addresses"]:
                addresses, kept = _with_address(addresses, address)
                self._warn_unplaced(number, kept)
            changes["addresses"] = addresses
        changes.update(customer_record.classified(current, changes))
        after = dict(current, **changes)
        changes.update(customer_record.derived_keys(after))
        after = dict(current, **changes)
        diff = changes_between(current, after, customer_record.INTERNAL_FIELDS + ("completeness",))
        if not diff:
            return "unchanged"
        if self.job["dry_run"]:
            self._remember(after)
            return "updated"
        if current["_id"] in self.unsaved or changes.get("parent_id") in self.unsaved:
            self._flush()
        if changes.get("parent_id") and changes["parent_id"] != current.get("parent_id"):
            archive.check_parent(self.db, self.caller, current["_id"], changes["parent_id"])
        actor = self.caller.user_id
        updated = store.update_customer(
            self.db, current["_id"], current["version"], changes,
            events.event("customer_updated", dict(events.customer_data(after), changed_fields=sorted(diff)),
                         self.site_id, actor),
            events.audit("customer", current["_id"], "updated", diff, self.site_id, actor))
        if updated is None:
            fresh = store.find_customer(self.db, current["_id"])
            if fresh is None or not retry:
                raise ValidationFailed(fields={"_row": ["The customer was changed or deleted meanwhile."]})
            return self._update(number, fresh, data, retry=False)
        self._remember(updated)
        return "updated"


def _with_override(tier, override):
    """The tier with an imported override of another level, or None when it already has that level
    from an import (importing the file again changes nothing)."""
    current = tier.get("override") or {}
    if override is None or (current.get("level") == override["level"] and current.get("reason") == IMPORTED):
        return None
    return tiering.effective_tier({"level": tier.get("level", "general"), "reasons": tier.get("reasons", [])},
                                  override, utcnow())


def _with_address(addresses, given):
    """(``addresses`` with the first address of ``given``'s type (billing, shipping) updated from the
    row, added if there is none; that address): new text places it anew (``places.with_text``)."""
    result, done = [], None
    for address in addresses:
        if done is None and address.get("type") == given["type"]:
            address = done = places.with_text(address, given)
        result.append(address)
    if done is None:
        done = dict(places.placed(given), id=uuid.uuid4().hex[:12])
        result.append(done)
    return result, done
