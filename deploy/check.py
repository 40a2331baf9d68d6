"""Check the references between the services' databases: ``python -m deploy.check [--json]``.

Each service owns its database, so nothing but events keeps a reference from one database to
another in step, and a restore (``deploy.backup restore``) of an older, partial or mixed dump, or a
hand edit, can leave references that point nowhere. Operators run this check after every restore
(and whenever in doubt); it only reads. It reports, one line per kind, collection and field:

- ``unknown_site``: a record of customers, feedback or notifications (any collection but the
  internal ones, ``INTERNAL``) whose ``site_id`` is no site of accounts, or a user (not deleted)
  whose ``sites`` name one. A deleted site is no site; a disabled one still is (its records stay
  readable and may be moved away), so its records are not reported. Records of the past or in
  passing (``HISTORY``: import jobs, merges, inbox items, e-mails, webhook deliveries) and erased
  customers with their records (anonymised, never moved) may outlive their site's deletion: there
  only a site accounts never had is reported;
- ``unknown_user``: a user reference (``REFERENCES``) to no user of accounts, or to a deleted one;
- ``inactive_user``: the owner or assignee of a record still in work (a customer not erased, an
  open follow-up, an open feedback item) who is disabled;
- ``user_outside_site`` / ``user_lacks_permission``: such an owner or assignee who no longer works
  at the record's site (and lacks ``sites:all``; a record of an unknown site is reported as that
  only), or lacks the permission the job needs. The services hand those records back when accounts
  announces the change: one left over means an event was lost or a dump was restored;
- ``missing_customer``, ``missing_contact``, ``missing_order``, ``missing_service_record``: a
  record naming a customer (or a customer's contact, order or service record) that customers does
  not hold. Soft-deleted and erased customers and parts are held: their ids stay.

Who did something (``created_by``, a response's author, history entries) is a record of the past,
not a reference, and is not checked. Documents are streamed with projections; only id sets (sites,
users, customers) stay in memory, other targets are looked up in batches of ids.

Each service's database is read on that service's server (``<SERVICE>_MONGO_URI``, else
``MONGO_URI``, else its embedded server).

Exit status: 0 clean, 1 something dangles, 2 a database cannot be read.
"""
import argparse
import collections
import dataclasses
import json
import sys
import warnings
from collections.abc import Hashable
from typing import Callable, Optional

# nameko (imported with the services' modules) depends on eventlet, which announces its own
# deprecation on import: noise in an operator's terminal.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from pymongo.errors import ConnectionFailure, PyMongoError  # noqa: E402

from services.common import config  # noqa: E402
from services.common.mongo import ServiceDatabases  # noqa: E402
from services.customers.access import PART_PERMISSIONS  # noqa: E402
from services.customers.store import PARTS  # noqa: E402
from services.feedback.workflow import OPEN_STATES  # noqa: E402

EXAMPLES = 5
BATCH = 1000
ALL_SITES = "sites:all"
DELETED, ACTIVE = "deleted", "active"

SITE_SCOPED_SERVICES = ("customers", "feedback", "notifications")
# Records of the past or in passing, not data of a site: a site may be deleted while they remain,
# so only a site accounts never had is reported there.
HISTORY = frozenset({("customers", "imports"), ("customers", "merges"), ("notifications", "inbox"),
                     ("notifications", "emails"), ("notifications", "deliveries")})
# The services that keep an erased customer's records, anonymised, after its site is deleted.
ERASED_KEPT = ("customers", "feedback")
# Bookkeeping of the services themselves, not records of a site: never scanned for ``site_id``.
INTERNAL = frozenset({
    "processed_events", "failed_events", "outbox", "site_directory", "directory", "erased_subjects",
    "erased_records", "runs", "import_chunks", "import_errors", "merge_images",
})


def _always(document):
    return True


@dataclasses.dataclass(frozen=True)
class Reference:
    """``service.collection.field`` names a ``target``: ``site``, ``user`` (must exist),
    ``responsible`` (must exist, be active, work at the record's site and hold ``permission``),
    ``site`` (a site, not deleted), ``site_ever`` (a site accounts has or had),
    ``customer``, or another customers collection (``contacts``, ...) looked up by id.
    Only documents for which ``applies`` is true are checked; ``reads`` are the fields it needs."""

    service: str
    collection: str
    field: str
    target: str
    applies: Callable = _always
    reads: tuple = ()
    permission: Optional[str] = None


def not_deleted_user(user):
    return user.get("status") != DELETED


def customer_in_work(customer):
    return not customer.get("erased")


def open_followup(followup):
    return followup.get("status", "open") == "open" and followup.get("deleted_at") is None


def open_feedback(item):
    return item.get("status") in OPEN_STATES


CUSTOMER_CHILDREN = PARTS + ("tier_history", "feedback_scores")

REFERENCES = (
    Reference("accounts", "users", "sites", "site", not_deleted_user, ("status",)),
    Reference("customers", "customers", "owner_id", "responsible", customer_in_work, ("erased",),
              "customers:read"),
    Reference("customers", "followups", "assignee_id", "responsible", open_followup, ("status", "deleted_at"),
              PART_PERMISSIONS["followups"][1]),
    Reference("feedback", "feedback", "assignee_id", "responsible", open_feedback, ("status",), "feedback:write"),
    Reference("notifications", "inbox", "user_id", "user"),
    Reference("customers", "customers", "parent_id", "customer"),
    *(Reference("customers", child, "customer_id", "customer") for child in CUSTOMER_CHILDREN),
    Reference("feedback", "feedback", "customer_id", "customer"),
    Reference("feedback", "feedback", "contact_id", "contacts"),
    Reference("feedback", "feedback", "order_id", "orders"),
    Reference("feedback", "feedback", "service_record_id", "service_records"),
    Reference("feedback", "survey_links", "customer_id", "customer"),
    Reference("feedback", "survey_links", "contact_id", "contacts"),
)

MISSING = {"customer": "missing_customer", "contacts": "missing_contact", "orders": "missing_order",
           "service_records": "missing_service_record"}
LOOKED_UP = ("contacts", "orders", "service_records")


class Unreadable(Exception):
    """A database could not be read: which one, and why, in one line (no stack trace)."""

    def __init__(self, service, client, error):
        database = config.database_name(service)
        if isinstance(error, ConnectionFailure):
            servers = ", ".join("%s:%s" % address for address in client.topology_description.server_descriptions())
            reason = "the database server at %s does not answer" % (servers or "the configured address")
        else:
            reason = str(error).splitlines()[0][:300]
        super().__init__("cannot read the %s database (%s): %s" % (service, database, reason))


@dataclasses.dataclass
class Finding:
    kind: str
    service: str
    collection: str
    field: str
    count: int = 0
    examples: list = dataclasses.field(default_factory=list)

    def add(self, document_id):
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(str(document_id))


def values_of(document, field):
    """The ids a field holds: none for a missing or null field, each item of a list."""
    value = document.get(field)
    items = value if isinstance(value, list) else [value]
    return [item if isinstance(item, Hashable) else repr(item) for item in items
            if item is not None]


class Check:
    """One run over ``databases`` (a ``ServiceDatabases``): ``run()`` -> the findings; ``read`` counts the
    documents read per ``service.collection``."""

    def __init__(self, databases):
        self.databases = databases
        self.findings = {}
        self.read = collections.Counter()
        self.sites = set()
        self.sites_ever = set()
        self.users = {}
        self.customers = set()
        self.erased = set()
        self.pending = collections.defaultdict(list)

    def db(self, service):
        return self.databases[service]

    def run(self):
        self._read("accounts", self._load_directory)
        self._read("customers", self._load_customers)
        for service in ("accounts",) + SITE_SCOPED_SERVICES:
            self._read(service, lambda: self._scan_service(service))
        return self.report()

    def report(self):
        """The findings, in a stable order."""
        return sorted(self.findings.values(), key=lambda f: (f.kind, f.service, f.collection, f.field))

    def _read(self, service, work):
        try:
            work()
        except PyMongoError as exc:
            raise Unreadable(service, self.databases.client(service), exc) from exc

    def _load_directory(self):
        accounts = self.db("accounts")
        for site in accounts.sites.find({}, {"status": 1}):
            self.sites_ever.add(site["_id"])
            if site.get("status") != DELETED:
                self.sites.add(site["_id"])
        for user in accounts.users.find({}, {"status": 1, "sites": 1, "permissions": 1}).batch_size(BATCH):
            self.users[user["_id"]] = (user.get("status"), frozenset(values_of(user, "sites")),
                                       frozenset(values_of(user, "permissions")))

    def _load_customers(self):
        for customer in self.db("customers").customers.find({}, {"erased": 1}).batch_size(BATCH):
            self.customers.add(customer["_id"])
            if customer.get("erased"):
                self.erased.add(customer["_id"])

    def _erased_record(self, reference, document):
        """An erased customer, or a record of one: kept anonymised after its site may be deleted
        (customers' ``site_usage`` does not count them), so only a site never had is reported."""
        if reference.service not in ERASED_KEPT:
            return False
        owner = document["_id"] if (reference.service, reference.collection) == ("customers", "customers") \
            else document.get("customer_id")
        return owner in self.erased

    def _scan_service(self, service):
        db = self.db(service)
        for collection in sorted(db.list_collection_names()):
            references = [r for r in REFERENCES if (r.service, r.collection) == (service, collection)]
            if service in SITE_SCOPED_SERVICES and collection not in INTERNAL:
                target = "site_ever" if (service, collection) in HISTORY else "site"
                references.append(Reference(service, collection, "site_id", target))
            if references:
                self._scan(db, collection, references)

    def _scan(self, db, collection, references):
        fields = {"site_id"} | {r.field for r in references} | {f for r in references for f in r.reads}
        for document in db[collection].find({}, dict.fromkeys(fields, 1)).batch_size(BATCH):
            self.read["%s.%s" % (references[0].service, collection)] += 1
            for reference in references:
                if reference.applies(document):
                    self._check(document, reference)
        for reference in references:
            self._flush(reference)

    def _check(self, document, reference):
        kinds = set()
        for value in values_of(document, reference.field):
            if reference.target in LOOKED_UP:
                self.pending[reference].append((document["_id"], value))
                if len(self.pending[reference]) >= BATCH:
                    self._flush(reference)
                continue
            target = "site_ever" if reference.target == "site" and self._erased_record(reference, document) else None
            kind = self._problem(reference, value, document.get("site_id"), target)
            if kind:
                kinds.add(kind)
        for kind in kinds:
            self._report(kind, reference, document["_id"])

    def _problem(self, reference, value, site_id, target=None):
        target = target or reference.target
        if target == "site":
            return None if value in self.sites else "unknown_site"
        if target == "site_ever":
            return None if value in self.sites_ever else "unknown_site"
        if reference.target == "customer":
            return None if value in self.customers else "missing_customer"
        status, sites, permissions = self.users.get(value, (DELETED, frozenset(), frozenset()))
        if status == DELETED:
            return "unknown_user"
        if reference.target == "user":
            return None
        if status != ACTIVE:
            return "inactive_user"
        if site_id in self.sites and site_id not in sites and ALL_SITES not in permissions:
            return "user_outside_site"
        if reference.permission not in permissions:
            return "user_lacks_permission"
        return None

    def _flush(self, reference):
        """Look up the ids ``reference`` collected in its target collection; report those not held."""
        pending, self.pending[reference] = self.pending[reference], []
        if not pending:
            return
        wanted = list({value for _, value in pending})
        found = {d["_id"] for d in self.db("customers")[reference.target].find({"_id": {"$in": wanted}}, {"_id": 1})}
        reported = set()
        for document_id, value in pending:
            if value not in found and document_id not in reported:
                reported.add(document_id)
                self._report(MISSING[reference.target], reference, document_id)

    def _report(self, kind, reference, document_id):
        key = (kind, reference.service, reference.collection, reference.field)
        finding = self.findings.get(key)
        if finding is None:
            finding = self.findings[key] = Finding(*key)
        finding.add(document_id)


def check(databases=None):
    """Every dangling reference in ``databases`` (default: each service's configured server and
    ``CRM_DB_PREFIX``), as ``Finding``s; ``Unreadable`` when a database cannot be read."""
    return checked(databases).report()


def checked(databases=None):
    """A ``Check`` that has run over the databases: ``report()`` and ``read`` counts."""
    own = databases is None
    databases = databases or ServiceDatabases()
    try:
        done = Check(databases)
        done.run()
        return done
    finally:
        if own:
            databases.close()


def as_json(findings):
    return {"findings": [dataclasses.asdict(finding) for finding in findings], "clean": not findings}


def as_lines(findings, read):
    lines = ["%-22s %-40s %7d  e.g. %s" % (f.kind, "%s.%s.%s" % (f.service, f.collection, f.field), f.count,
                                            ", ".join(f.examples)) for f in findings]
    total = sum(f.count for f in findings)
    lines.append("clean: no dangling reference" if not findings
                 else "%d dangling reference(s) in %d finding(s)" % (total, len(findings)))
    lines.append("read %d documents of %d collections" % (sum(read.values()), len(read)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document {findings, clean}")
    args = parser.parse_args(argv)
    try:
        done = checked()
    except (Unreadable, PyMongoError) as exc:  # PyMongoError here: a configured URI itself is not valid
        print("deploy.check: %s" % exc, file=sys.stderr)
        return 2
    findings = done.report()
    if args.json:
        print(json.dumps(as_json(findings), indent=2))
    else:
        print("\n".join(as_lines(findings, done.read)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
