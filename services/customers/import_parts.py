"""One batch of rows of a customer's part (contacts, orders, payments, interactions, service
records, opportunities, follow-ups): each row linked to its customer in the job's site, validated
with the part's API schema, and upserted by the part's business key, so importing a file again
creates nothing new.

A row names its customer by tax id, external code or exact legal name (tried in that order; the
job counts which one linked each row). A name two customers share, or none has, is a row error.
Orders come one row per order line: rows of the same customer and number make one order. An
order met again in a later batch of the same job gets the new lines added (the rows already
applied are kept on the order, so a batch run again after a crash adds nothing twice); an order
a job meets first has its lines replaced by the file's.

History keeps its dates (an order's date, an interaction's time), and its events say
``imported``, so nobody is notified of what happened years ago. A record created is written with
its events; the batch's audit events of its creations are queued after its rows, a hundred to an
``audit_entries`` event (``import_rows.outbox_documents``), and a batch run again after a crash
queues again those of the records it finds its rows made. The customers' derived fields
(tier, lifecycle, follow-up dates, contact search keys) are refreshed once per customer per batch.
"""
import datetime
import logging
import re
import uuid

from pymongo.errors import DuplicateKeyError, PyMongoError

from services.common.auth import Caller
from services.common.clock import utcnow
from services.common.envelope import changes_between
from services.common.errors import CrmError, ValidationFailed
from services.common.schemas import load, storable
from services.customers import (
    access, credits, effects, events, identifiers, import_convert, import_people, import_report, import_values, parts,
    store,
)
from services.customers.import_rows import UNREADABLE, outbox_documents

log = logging.getLogger(__name__)

LINKS = (("customer_tax_id", "tax_id_key", "tax_id"), ("customer_code", "external_code", "code"),
         ("customer_name", "legal_name", "name"))
NO_CUSTOMER = {"tax_id": "No customer of this site has this tax id.",
               "code": "No customer of this site has this code.",
               "name": "No customer of this site has this name."}
AMBIGUOUS_CUSTOMER = "Several customers of this site have this name: name the customer by tax id or code."
NO_AMOUNT = "Give the line's amount, or its unit price."
ORDER_FIELDS = ("number", "order_date", "currency", "status", "contract_end_date")
LINE_FIELDS = ("product", "quantity", "amount")
INTERNAL = parts.INTERNAL + ("stage_history", "created_by", "import_id", "import_rows")
CJK = re.compile(r"[\u4e00-\u9fff]")


def business_key(part, record):
    """What makes a part the same record when a file is imported again (within its customer)."""
    if part == "contacts":
        return (identifiers.fold(record.get("name", "")),)
    if part == "orders":
        return (record.get("number"),)
    if part == "payments":
        return (record.get("payment_date"), float(record.get("amount") or 0), record.get("order_number"))
    if part == "interactions":
        occurred = record.get("occurred_at")
        if isinstance(occurred, datetime.datetime):
            occurred = occurred.astimezone(datetime.timezone.utc).isoformat()
        return (record.get("kind"), occurred)
    if part == "service_records":
        return (record.get("service_date"), record.get("issue"))
    if part == "opportunities":
        return (identifiers.fold(record.get("title", "")),)
    return (record.get("title"), record.get("due_date"))


def _contact(data):
    """A contact row as the contacts schema takes it: a first name joined to the name (a Chinese
    name family name first, without a space), a mobile number as the phone (or, beside one, in
    the notes)."""
    data = dict(data)
    first = data.pop("first_name", None)
    if first:
        name = data.get("name", "")
        data["name"] = (name + first) if CJK.search(name + first) else " ".join(filter(None, (first, name)))
    mobile = data.pop("mobile", None)
    if mobile and not data.get("phone"):
        data["phone"] = mobile
    elif mobile and mobile != data["phone"]:
        data["notes"] = "\n".join(filter(None, (data.get("notes"), "mobile: %s" % mobile)))
    return data


def _line(data):
    """An order line from a row; ValueError when it has no amount and no unit price."""
    quantity = data.pop("quantity", None)
    quantity = 1.0 if quantity is None else quantity
    price = data.pop("unit_price", None)
    amount = data.pop("amount", None)
    if amount is None:
        if price is None:
            raise ValueError(NO_AMOUNT)
        amount = round(price * quantity, 2)
    return {"product": data.pop("product", None), "quantity": quantity, "amount": amount}


class PartBatch:
    """Applies rows of one job of a part entity; ``counts``, ``errors`` and ``warnings`` say what became of each."""

    def __init__(self, db, job):
        self.db = db
        self.job = job
        self.part = job["entity"]
        self.site_id = job["site_id"]
        self.caller = Caller(job["created_by"], [self.site_id])
        self.people = import_people.People(job.get("people"), access.PART_PERMISSIONS["followups"][1])
        self.value_map = import_values.folded_value_map(job.get("value_map"))
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0,
                       "linked_by_tax_id": 0, "linked_by_code": 0, "linked_by_name": 0}
        self.report = import_report.RowReport(job, self.counts)
        self.errors = self.report.errors
        self.warnings = self.report.warnings
        self.effects = effects.Effects(db, imported=True)
        self.customers = {}
        self.records = {}
        self.touched = {}
        self.audited = []  # (row, audit event) of each record created, queued together by ``run``

    def run(self, rows):
        read = []
        for number, cells in rows:
            if cells is None:
                self.report.fail([number], [("_row", UNREADABLE)])
                continue
            data, references, problems, remarks = import_convert.convert(
                self.part, self.job["columns"], cells, self.value_map)
            if problems:
                self.report.fail([number], problems)
                continue
            for field, message in remarks:
                self.report.warn(number, field, message)
            read.append((number, data, references))
        self._load_customers([references for _, _, references in read])
        linked = []
        for number, data, references in read:
            customer, how, problem = self._customer_of(references)
            if problem:
                self.report.fail([number], [problem])
                continue
            self.counts["linked_by_" + how] += 1
            if self.part == "contacts":
                data = _contact(data)
            linked.append(([number], customer, self._resolved(number, data, references)))
        if self.part == "orders":
            linked = self._orders(linked)
        self._load_records([customer["_id"] for _, customer, _ in linked])
        for numbers, customer, data in linked:
            self._apply(numbers, customer, data)
        store.queue_import_events(self.db, outbox_documents(
            self.job["_id"], "%s:" % self.part, [(number, [], audit) for number, audit in self.audited],
            self.site_id, self.caller.user_id))
        self.effects.after_changes(self.part, list(self.touched.values()))
        self.counts["warnings"] = self.report.warned_rows()
        return self

    def _apply(self, numbers, customer, data):
        try:
            loaded = storable(load(parts.SCHEMAS[self.part](), data))
            outcome = self._upsert(numbers, customer, loaded)
        except PyMongoError:
            raise
        except CrmError as exc:
            self.report.fail(numbers, list(import_report.flatten(exc.fields)) or [("_row", exc.message)])
            return
        except Exception:
            log.exception("import %s: rows %s", self.job["_id"], numbers)
            self.report.fail(numbers, [("_row", "Could not be imported (internal error).")])
            return
        self.counts[outcome] += len(numbers)
        if outcome != "unchanged" and not self.job["dry_run"]:
            self.touched[customer["_id"]] = customer

    # Customers

    def _load_customers(self, references):
        wanted = {"tax_id_key": set(), "external_code": set(), "legal_name": set()}
        for refs in references:
            for field, key, _ in LINKS:
                if refs.get(field):
                    wanted[key].add(self._key_value(key, refs[field]))
        for customer in store.find_import_matches(self.db, self.site_id, wanted):
            for _, key, _ in LINKS:
                value = customer.get(key)
                if value in wanted[key]:
                    self.customers.setdefault((key, value), {})[customer["_id"]] = customer
        if self.job["dry_run"] and self.job.get("plan"):
            self._load_dry_customers(wanted)

    def _load_dry_customers(self, wanted):
        """In a workbook's dry run, the customers its customers' sheet would have created."""
        for _, key, _ in LINKS:
            missing = [value for value in wanted[key] if (key, value) not in self.customers]
            for kept in store.import_dry_keys(self.db, self.job["_id"], key, missing) if missing else ():
                self.customers.setdefault((key, kept["value"]), {})[kept["customer"]["_id"]] = kept["customer"]

    @staticmethod
    def _key_value(key, text):
        return identifiers.tax_id_key(text) if key == "tax_id_key" else str(text).strip()

    def _customer_of(self, references):
        """(customer, how it was linked, None) or (None, None, (field, problem))."""
        for field, key, how in LINKS:
            if not references.get(field):
                continue
            found = list(self.customers.get((key, self._key_value(key, references[field])), {}).values())
            if len(found) == 1:
                return found[0], how, None
            return None, None, (field, AMBIGUOUS_CUSTOMER if found else NO_CUSTOMER[how])
        return None, None, ("_row", NO_CUSTOMER["name"])

    def _resolved(self, number, data, references):
        if "assignee" in references:
            assignee_id, problem = self.people.find(references["assignee"])
            if problem:
                self.report.warn(number, "assignee", problem)
            else:
                data = dict(data, assignee_id=assignee_id)
        return data

    # Orders: one row per line

    def _orders(self, linked):
        grouped = {}
        for numbers, customer, data in linked:
            data = dict(data)
            try:
                line = _line(data)
            except ValueError as exc:
                self.report.fail(numbers, [("amount", str(exc))])
                continue
            key = (customer["_id"], data.get("number"))
            if key not in grouped:
                order = {field: data[field] for field in ORDER_FIELDS if field in data}
                grouped[key] = ([], customer, dict(order, lines=[]))
            grouped[key][0].extend(numbers)
            grouped[key][2]["lines"].append(line)
        return list(grouped.values())

    # Records

    def _load_records(self, customer_ids):
        """The live records of the part of the batch's customers, by business key, in one query."""
        wanted = [customer_id for customer_id in dict.fromkeys(customer_ids) if customer_id not in self.records]
        for customer_id in wanted:
            self.records[customer_id] = {}
        for record in store.customers_parts(self.db, self.part, wanted):
            self.records[record["customer_id"]][business_key(self.part, record)] = record

    def _existing(self, customer_id):
        """The customer's live records of the part, by business key (read once per batch)."""
        if customer_id not in self.records:
            self._load_records([customer_id])
        return self.records[customer_id]

    def _upsert(self, numbers, customer, data):
        known = self._existing(customer["_id"])
        key = business_key(self.part, data)
        current = known.get(key)
        if current is None:
            record = self._create(numbers, customer, data)
        else:
            record, outcome = self._update(numbers, customer, current, data)
            known[key] = record
            if current["_id"] != self._record_id(numbers[0]) or self.job["dry_run"]:
                return outcome
            self._audit_created(numbers, current)  # made by this row before a crash: its entry may be lost
        known[key] = record
        return "created"

    def _record_id(self, number):
        """The id of the record row ``number`` creates: the same when a batch runs again."""
        return uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d" % (self.job["_id"], number)).hex

    def _create(self, numbers, customer, data):
        now = utcnow()
        document = dict(data, _id=self._record_id(numbers[0]), customer_id=customer["_id"], site_id=self.site_id,
                        created_at=now, updated_at=now, version=1, deleted_at=None, created_by=self.caller.user_id,
                        import_id=self.job["_id"], import_rows=numbers)
        document.update(parts._derived(self.part, document))
        document.update(credits.on_create(self.part, customer, document, now, imported=True))
        if self.part == "opportunities":
            document["stage_history"] = [{"stage": document["stage"], "at": now.isoformat(),
                                          "by": self.caller.user_id}]
        if self.job["dry_run"]:
            return document
        try:
            store.insert_part(self.db, self.part, document, *self.effects.created(self.part, customer, document,
                                                                                  self.caller))
        except DuplicateKeyError:
            document = store.find_part(self.db, self.part, document["_id"]) or document
        self._audit_created(numbers, document)
        return document

    def _audit_created(self, numbers, document):
        """Queue the audit event of the record the row ``numbers[0]`` created, with an id of that row
        (so queued again after a crash, it is the same entry)."""
        audit = events.audit(access.ENTITY[self.part], document["_id"], "created",
                             changes_between({}, document, INTERNAL), self.site_id, self.caller.user_id)
        audit["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%s/%d/audit" % (
            self.job["_id"], self.part, numbers[0])))
        self.audited.append((numbers[0], audit))

    def _changes(self, numbers, current, data):
        """The fields of ``data`` that differ from ``current`` (an order's lines: see the module's notes)."""
        changes = {key: value for key, value in data.items() if current.get(key) != value}
        if self.part == "orders":
            applied = current.get("import_rows") or []
            if current.get("import_id") == self.job["_id"]:
                fresh = [line for number, line in zip(numbers, data["lines"]) if number not in applied]
                lines = current["lines"] + fresh if fresh else current["lines"]
                rows = applied + [number for number in numbers if number not in applied]
            else:
                lines, rows = data["lines"], numbers
            changes.pop("lines", None)
            if lines != current["lines"]:
                changes["lines"] = lines
            changes.update(import_id=self.job["_id"], import_rows=rows)
        return changes

    def _update(self, numbers, customer, current, data):
        changes = self._changes(numbers, current, data)
        after = dict(current, **changes)
        changes.update({key: value for key, value in parts._derived(self.part, after).items()
                        if current.get(key) != value})
        changes.update(credits.on_update(self.part, current, changes, utcnow()))
        if self.part == "opportunities" and changes.get("stage"):
            changes["stage_history"] = current.get("stage_history", []) + [
                {"stage": changes["stage"], "at": utcnow().isoformat(), "by": self.caller.user_id}]
        after = dict(current, **changes)
        diff = changes_between(current, after, INTERNAL)
        if not diff and not changes:
            return current, "unchanged"
        if self.job["dry_run"]:
            return after, "updated" if diff else "unchanged"
        emitted = []
        if diff:
            emitted.append(events.audit(access.ENTITY[self.part], current["_id"], "updated", diff, self.site_id,
                                        self.caller.user_id))
            emitted += self.effects.updated(self.part, customer, current, after, self.caller)
        updated = store.update_part(self.db, self.part, current["_id"], current["version"], changes, *emitted)
        if updated is None:
            raise ValidationFailed(fields={"_row": ["The record was changed or deleted meanwhile."]})
        return updated, "updated" if diff else "unchanged"
