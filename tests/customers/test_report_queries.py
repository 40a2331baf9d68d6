"""The reports on the real database server: each report's query leads with its sites, never with
``deleted_at: None`` (which picks the ``(deleted_at, _id)`` index: every live customer), and the
churn report reads each site's customers at risk by their filter keys, in the report's order."""
import datetime
import uuid

import pytest
from pymongo import MongoClient, monitoring

from services.common.auth import Caller
from services.customers import archive, reports, store
from tests.support.sites import known_sites
from tests.support.windows import Finds, index_served

TODAY = datetime.date(2026, 6, 1)
AT = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc)
READS = ["reports:read", "orders:read", "interactions:read"]
NAMED = Caller("u-a", ["site-a"], READS)
BOTH = Caller("u-ab", ["site-a", "site-b"], READS)
ADMIN = Caller("u-admin", [], READS + ["sites:all"])
RANKS = {"vip": 3, "key": 2, "general": 1}
# (id, site, name, tier, churn level, deleted)
SEEDED = (("a1", "site-a", "Beta", "vip", "high", False), ("a2", "site-a", "Alpha", "general", "high", False),
          ("a3", "site-a", "Gamma", "key", "low", False), ("a4", "site-a", "Omega", "general", "none", False),
          ("a5", "site-a", "Kappa", "vip", "high", True), ("b1", "site-b", "Alpha", "vip", "high", False),
          ("b2", "site-b", "Delta", "general", "low", False), ("c1", "site-c", "Zeta", "key", "high", False))


class Matches(monitoring.CommandListener):
    """The first stage (``$match``) of every aggregate sent: ``[(collection, filter)]``."""

    def __init__(self):
        self.sent = []

    def started(self, event):
        if event.command_name == "aggregate":
            self.sent.append((event.command["aggregate"], dict(event.command["pipeline"][0]["$match"])))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def watched(test_env):
    finds, matches = Finds("customers"), Matches()
    client = MongoClient(test_env["MONGO_URI"], event_listeners=[finds, matches], tz_aware=True)
    db = client["reports_%s" % uuid.uuid4().hex[:8]]
    try:
        archive.prepare_database(db)
        known_sites(db)
        store.insert_customers(db, [
            {"_id": ident, "site_id": site, "legal_name": name, "tier": {"level": tier}, "tier_rank": RANKS[tier],
             "churn_risk": {"level": level, "reasons": []}, "status": "active", "deleted_at": AT if deleted else None,
             "created_at": AT, "updated_at": AT, "version": 1}
            for ident, site, name, tier, level, deleted in SEEDED])
        finds.clear()
        matches.sent.clear()
        yield db, finds, matches
    finally:
        client.drop_database(db.name)
        client.close()


def test_the_churn_report_reads_each_sites_customers_at_risk_by_their_keys(watched):
    db, finds, _ = watched

    def churn(caller, **filters):
        report = reports.report_churn(db, caller, filters, TODAY)
        return [item["customer_id"] for item in report["items"]], report["total"]

    assert churn(NAMED, site_id="site-a") == (["a1", "a2", "a3"], 3)
    assert churn(BOTH) == (["b1", "a1", "a2", "a3", "b2"], 5)
    assert churn(ADMIN) == (["b1", "a1", "c1", "a2", "a3", "b2"], 6)
    assert finds.filters and all(list(query) == ["site_id", "deleted_at", "filter_keys"]
                                 and index_served(db.customers, query) for query in finds.filters), finds.filters
    assert {query["site_id"] for query in finds.filters} >= {"site-a", "site-b", "site-c"}


def test_each_report_reads_one_site_and_its_period_at_a_time(watched):
    """The tier distribution comes from the kept counts (no read of the customers); every pipeline
    leads with one site and the report's period, which an index ``(site_id, <date>)`` bounds: a
    caller of several sites, or of every site, sends one per site."""
    db, finds, matches = watched
    report = reports.report_tiers(db, NAMED, {"site_id": "site-a"}, TODAY)
    assert report["distribution"] == {"vip": 1, "key": 1, "general": 2}
    assert reports.report_tiers(db, ADMIN, {}, TODAY)["distribution"] == {"vip": 2, "key": 2, "general": 3}
    assert not finds.filters and not [name for name, _ in matches.sent if name == "customers"]
    matches.sent.clear()
    reports.report_sales(db, BOTH, {}, TODAY)
    reports.report_funnel(db, NAMED, {}, TODAY)
    reports.report_funnel(db, ADMIN, {}, TODAY)
    orders = [match for name, match in matches.sent if name == "orders"]
    assert len(orders) == 4 * 2 and {match["site_id"] for match in orders} == {"site-a", "site-b"}
    assert all(list(match) == ["site_id", "order_date"] for match in orders), orders
    opportunities = [match for name, match in matches.sent if name == "opportunities"]
    assert opportunities[0]["site_id"] == "site-a"  # the named caller's one site, then every site known
    assert {match["site_id"] for match in opportunities[1:]} >= {"site-a", "site-b", "site-c"}
    assert all(list(match) == ["site_id", "created_at"] for match in opportunities), opportunities
    assert all(index_served(db[name], match) for name, match in matches.sent), matches.sent
