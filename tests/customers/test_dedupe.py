"""Duplicate clusters among the caller's sites, on the real database server (small archives: one page)."""
import pytest

from services.common.auth import Caller
from services.customers import archive, dedupe, effects, parts, store
from tests.customers.samples import uscc

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write", "contacts:read", "contacts:write"])
FINANCE = Caller("u-fin", ["site-a"], ["customers:read"])
SITE_B = Caller("u-b", ["site-b"], ["customers:read", "customers:write"])


@pytest.fixture
def db(db_factory):
    database = db_factory("customers")
    store.ensure_indexes(database)
    return database


def make(db, caller=SALES, **data):
    return archive.create_customer(db, caller, data, force=True)["id"]


def clusters_by_reason(db, caller, limit=None):
    found = {}
    for cluster in dedupe.duplicates(db, caller, limit)["clusters"]:
        found.setdefault(cluster["reason"], []).append(sorted(c["id"] for c in cluster["customers"]))
    return found


def test_clusters_by_name_phone_and_email(db):
    names = [make(db, legal_name="华为技术有限公司"), make(db, legal_name="华为技术"), make(db, legal_name="ＨＵＡＷＥＩ")]
    phones = [make(db, legal_name="One Ltd", phone="0512-66881234"), make(db, legal_name="Two Ltd",
                                                                       phone="0512 6688 1234")]
    mails = [make(db, legal_name="Three Ltd", email="Buy@X.com"), make(db, legal_name="Four Ltd", email="buy@x.com")]
    make(db, caller=SITE_B, legal_name="华为技术股份有限公司")
    found = clusters_by_reason(db, SALES)
    assert found["similar_name"] == [sorted(names[:2])]
    assert sorted(phones) in found["same_phone"]
    assert found["same_email"] == [sorted(mails)]
    assert len(clusters_by_reason(db, SALES, limit=1)["similar_name"]) == 1


def test_same_tax_id_cluster_comes_first_and_repeats_are_left_out(db):
    ids = [make(db, legal_name="Delta Pumps", tax_id=uscc(9))]
    db.customers.insert_one(dict(store.find_customer(db, ids[0]), _id="copy"))
    ids.append("copy")
    clusters = dedupe.duplicates(db, SALES)["clusters"]
    assert clusters[0]["reason"] == "same_tax_id" and clusters[0]["key"] == uscc(9)
    assert sorted(c["id"] for c in clusters[0]["customers"]) == sorted(ids)
    assert clusters[0]["customers"][0]["tax_id"] == uscc(9) and len(clusters) == 1


def test_contact_phones_cluster_only_for_contact_readers(db):
    first, second = make(db, legal_name="Epsilon Ltd"), make(db, legal_name="Zeta Ltd")
    for customer in (first, second):
        parts.create_part(db, SALES, customer, "contacts", {"name": "王芳", "phone": "13800138000"},
                          effects.Effects(db))
    assert clusters_by_reason(db, SALES)["same_phone"] == [sorted([first, second])]
    assert "same_phone" not in clusters_by_reason(db, FINANCE)
