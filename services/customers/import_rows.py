"""One batch of import rows: validated with the API's schema, upserted by business key.

The business key of a row is its tax id (normalised), else its external code, else its exact
legal name, within the job's site. A key seen earlier in the file updates the customer that row
made, so a file with a key twice ends with one customer holding the later values. Every create
and update emits the same events as the API. An update writes them in the same document write;
the batch's new customers are inserted together, then their events are queued in outbox
documents of their own (a few per batch, not a relay pass per customer). A batch run again
after a crash queues again the events of the customers it finds it created, since the crash
may have fallen between the two writes. Those events and their outbox documents have ids
derived from the job and rows: an outbox document still waiting is not queued twice, and an
event that is sent twice carries the same ``event_id``, which consumers drop.
"""
import logging
import uuid

from pymongo.errors import PyMongoError

from services.common.auth import Caller
from services.common.envelope import changes_between
from services.common.errors import CrmError, ValidationFailed
from services.common.schemas import load, storable
from services.customers import contract, customer_record, events, identifiers, places, store, tabular

log = logging.getLogger(__name__)

UNREADABLE = "Not readable: not UTF-8 or GBK text, a quote never closed, or a row of more than 256 KB."
EXTRA_CELLS = "The row has more values than the file has columns."
UNPLACED = "The address names no province, city or district for certain; it is kept as written."
OUTBOX_ROWS = 100
SCHEMA = contract.CustomerSchema()

# An error names its column by the file's own header, cut to this length.
LABEL_CHARS = 100

def validate(columns, cells):
    """(loaded data with only the row's fields, [(field, message)])."""
    if cells is None:
        return None, [("_row", UNREADABLE)]
    data, extra = tabular.row_data(columns, cells)
    if extra:
        return None, [("_row", EXTRA_CELLS)]
    try:
        loaded = load(SCHEMA, data)
    except ValidationFailed as exc:
        return None, list(_flatten(exc.fields))
    return {key: value for key, value in storable(loaded).items() if key in data}, []


def _flatten(messages, field=None):
    if isinstance(messages, dict):
        for key, value in messages.items():
            inner = str(key)
            yield from _flatten(value, field if inner.isdigit() else inner)
    elif isinstance(messages, (list, tuple)):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            yield field or "_row", "; ".join(texts)
        for item in messages:
            if not isinstance(item, str):
                yield from _flatten(item, field)
    else:
        yield field or "_row", str(messages)


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


class Batch:
    """Applies validated rows of one job; ``counts`` and ``errors`` say what became of each."""

    def __init__(self, db, job):
        self.db = db
        self.job = job
        self.site_id = job["site_id"]
        self.caller = Caller(job["created_by"], [self.site_id])
        labels = dict(zip(job["columns"], job["headers"]))
        self.label = lambda field: labels.get(field, field)
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.errors = []
        self.warnings = {}
        self.known = {}
        self.unsaved = {}
        self.queued = []

    def run(self, rows):
        valid = []
        for number, cells in rows:
            data, problems = validate(self.job["columns"], cells)
            if problems:
                self._fail(number, problems)
            else:
                valid.append((number, data))
        self._load_matches([data for _, data in valid])
        for number, data in valid:
            try:
                self.counts[self._upsert(number, data)] += 1
            except PyMongoError:
                raise
            except CrmError as exc:
                self._fail(number, list(_flatten(exc.fields)) or [("_row", exc.message)])
            except Exception:
                log.exception("import %s: row %s", self.job["_id"], number)
                self._fail(number, [("_row", "Could not be imported (internal error).")])
        self._flush()
        self.counts["warnings"] = len(self.warnings)
        return self

    def _flush(self):
        """Insert the new customers, then queue their events (customers first: see the module's notes)."""
        store.insert_customers(self.db, list(self.unsaved.values()))
        store.queue_import_events(self.db, self._outbox_documents())
        self.unsaved, self.queued = {}, []

    def _outbox_documents(self):
        """The queued ``(row, events)`` as outbox documents of up to OUTBOX_ROWS rows each."""
        documents = []
        for start in range(0, len(self.queued), OUTBOX_ROWS):
            part = self.queued[start:start + OUTBOX_ROWS]
            document_id = "import:%s:%08d-%08d" % (self.job["_id"], part[0][0], part[-1][0])
            documents.append((document_id, [event for _, events in part for event in events]))
        return documents

    def _fail(self, number, problems):
        self.counts["failed"] += 1
        for field, message in problems:
            label = (self.label(field) if field != "_row" else "")[:LABEL_CHARS]
            self.errors.append({"_id": "%s:%08d:%s" % (self.job["_id"], number, field), "import_id": self.job["_id"],
                                "row": number, "field": label, "message": message})

    def _warn_unplaced(self, number, address):
        """A warning, not an error: the row's address was kept but could not be placed in a region."""
        if address and address.get("region_unparsed"):
            field = next(field for field in places.TEXT_FIELDS if address.get(field))
            self.warnings[number] = {
                "_id": "%s:%08d:region" % (self.job["_id"], number), "import_id": self.job["_id"], "row": number,
                "field": self.label(field)[:LABEL_CHARS], "message": UNPLACED, "warning": True}

    def _load_matches(self, rows):
        wanted = {"tax_id_key": set(), "external_code": set(), "legal_name": set()}
        for data in rows:
            field, value = business_key(data)
            wanted[field].add(value)
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
        customer = dict(customer_record.new_customer(data, self.caller, self.site_id),
                        _id=self._row_customer_id(number))
        self._warn_unplaced(number, (customer["addresses"] or [None])[0])
        if not self.job["dry_run"]:
            self.unsaved[customer["_id"]] = customer
            self._queue_created(number, customer)
        self._remember(customer)
        return "created"

    def _queue_created(self, number, customer):
        """Queue the events of the customer row ``number`` created, with ids of that row."""
        actor = self.caller.user_id
        created = (
            events.event("customer_created", events.customer_data(customer), self.site_id, actor),
            events.audit("customer", customer["_id"], "created",
                         changes_between({}, customer, customer_record.INTERNAL_FIELDS), self.site_id, actor))
        for kind, event in zip(("created", "audit"), created):
            event["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d/%s" % (self.job["_id"], number, kind)))
        self.queued.append((number, created))

    def _update(self, number, current, data, retry=True):
        changes = {key: value for key, value in data.items() if key != "addresses"}
        if "tags" in changes:
            changes["tags"] = sorted(set(changes["tags"]))
        if "addresses" in data:
            changes["addresses"], billing = _with_billing(current.get("addresses") or [], data["addresses"][0])
            self._warn_unplaced(number, billing)
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
        if current["_id"] in self.unsaved:
            self._flush()
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


def _with_billing(addresses, billing):
    """(``addresses`` with the first billing address updated from the row (added if there is none),
    that address): new text places it anew (``places.with_text``)."""
    result, done = [], None
    for address in addresses:
        if done is None and address.get("type") == "billing":
            address = done = places.with_text(address, billing)
        result.append(address)
    if done is None:
        done = dict(places.placed(billing), id=uuid.uuid4().hex[:12])
        result.append(done)
    return result, done
