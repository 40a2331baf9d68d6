"""Industry codes and company sizes on the real DB server: given, mapped from free text on create,
update and import, derived by the national rule, filtered by section or division, and the
migration of free text stored before them."""
import pytest

from services.common.auth import Caller
from services.common.clock import utcnow
from services.common.errors import ValidationFailed
from services.customers import archive, code_migration, customer_record, import_rows, lists, store

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write"])


def create(db, name, **fields):
    return archive.create_customer(db, SALES, dict({"legal_name": name}, **fields), force=True)


def update(db, customer, **fields):
    return archive.update_customer(db, SALES, customer["id"], dict(fields, version=customer["version"]))


def names(db, **filters):
    return sorted(c["legal_name"] for c in lists.list_customers(db, SALES, filters, 100, None)["items"])


def test_a_code_is_stored_as_written_in_the_standard_and_answered_with_its_labels(db):
    customer = create(db, "Auto A", industry_code="c36")
    assert customer["industry_code"] == "C36" and customer.get("industry") is None
    assert customer["industry_labels"] == {"zh-CN": "汽车制造业", "en": "Manufacture of automobiles"}
    assert archive.get_customer(db, SALES, customer["id"])["industry_code"] == "C36"
    plain = create(db, "Nothing B")
    assert plain["industry_code"] is None and plain["industry_labels"] is None


@pytest.mark.parametrize("code", ["C99", "Z", "automotive", ""])
def test_an_unknown_code_is_refused_naming_the_field(db, code):
    with pytest.raises(ValidationFailed) as refused:
        create(db, "Bad code", industry_code=code)
    assert list(refused.value.fields) == ["industry_code"]


def test_free_text_maps_onto_a_code_on_create_and_update_unless_a_code_is_given(db):
    customer = create(db, "Parts C", industry="汽车零部件")
    assert (customer["industry"], customer["industry_code"]) == ("汽车零部件", "C36")
    customer = update(db, customer, industry="electronics")
    assert customer["industry_code"] == "C39"
    customer = update(db, customer, industry_code="C38")
    customer = update(db, customer, industry="electronics", notes="same industry text, code kept")
    assert customer["industry_code"] == "C38"
    customer = update(db, customer, industry="bearings and more", industry_code="C34")
    assert (customer["industry"], customer["industry_code"]) == ("bearings and more", "C34")
    customer = update(db, customer, industry="something else entirely")
    assert customer["industry_code"] is None and customer["industry"] == "something else entirely"


def test_size_is_derived_by_the_rule_follows_its_figures_and_a_given_size_stays(db):
    customer = create(db, "Big D", industry_code="C36", employees=1000, annual_revenue=4e8)
    assert (customer["company_size"], customer["company_size_derived"]) == ("large", True)
    customer = update(db, customer, employees=999)
    assert (customer["company_size"], customer["company_size_derived"]) == ("medium", True)
    customer = update(db, customer, company_size="small")
    assert (customer["company_size"], customer["company_size_derived"]) == ("small", False)
    customer = update(db, customer, employees=5000, annual_revenue=1e9)
    assert customer["company_size"] == "small"
    customer = update(db, customer, company_size=None)
    assert (customer["company_size"], customer["company_size_derived"]) == ("large", True)
    customer = update(db, customer, industry_code="J66")
    assert (customer["company_size"], customer["company_size_derived"]) == (None, False)
    unsized = create(db, "No figures E", industry_code="C36", employees=50)
    assert unsized.get("company_size") is None and not unsized["company_size_derived"]
    with pytest.raises(ValidationFailed) as refused:
        create(db, "Bad size", company_size="大型")
    assert list(refused.value.fields) == ["company_size"]
    with pytest.raises(ValidationFailed) as refused:
        create(db, "Bad head count", employees=-1)
    assert list(refused.value.fields) == ["employees"]


def test_the_list_filter_takes_a_section_or_a_division(db):
    create(db, "Auto F", industry_code="C36")
    create(db, "Chips G", industry="半导体")
    create(db, "Factory H", industry_code="C")
    create(db, "Farm I", industry_code="A01")
    create(db, "Bearings J", industry="ball bearings made here")
    create(db, "Legacy K", industry="something unmapped")
    assert names(db, industry="C") == ["Auto F", "Bearings J", "Chips G", "Factory H"]
    assert names(db, industry="C36") == ["Auto F"]
    assert names(db, industry="c39") == names(db, industry="39") == ["Chips G"]
    assert names(db, industry="A") == ["Farm I"]
    assert names(db, industry="something unmapped") == ["Legacy K"]
    assert names(db, industry="C", sort="legal_name") == ["Auto F", "Bearings J", "Chips G", "Factory H"]
    assert names(db, industry="C", q="chips") == ["Chips G"]
    assert names(db, industry="A", q="chips") == []
    page = lists.list_customers(db, SALES, {"industry": "C"}, 2, None)
    assert page["total"] == 4 and len(page["items"]) == 2


def test_an_import_maps_free_text_and_sizes(db):
    data, _, problems, _ = import_rows.validate(["legal_name", "industry", "company_size", "employees"],
                                                ["Imported L", "机械制造", "中型", "320"])
    assert problems == [] and data == {"legal_name": "Imported L", "industry": "机械制造", "company_size": "medium",
                                       "employees": 320}
    created = customer_record.new_customer(data, SALES, "site-a")
    assert (created["industry_code"], created["company_size"], created["company_size_derived"]) == (
        "C34", "medium", False)
    _, _, problems, _ = import_rows.validate(["legal_name", "industry_code"], ["Imported M", "C100"])
    assert [field for field, _ in problems] == ["industry_code"]


def test_the_migration_maps_stored_free_text_and_reports_the_rest(db):
    base = {"site_id": "site-a", "deleted_at": None, "status": "active", "tags": [], "version": 1}
    stored = [dict(base, _id="m%d" % number, legal_name="Old %d" % number, industry=industry, company_size=size)
              for number, (industry, size) in enumerate([
                  ("automotive", "大型"), ("汽车零部件", None), ("电子", "Small"), ("machinery", "200-500人"),
                  ("综合", None), ("unknown line X", "big-ish"), ("unknown line X", None),
                  (None, "微型"), ("", None)])]
    stored[2]["deleted_at"] = utcnow()
    store.insert_customers(db, stored)
    report = code_migration.migrate(db)
    assert report == {
        "industries": {"mapped": 4, "unmapped": 3, "unmapped_texts": ["综合", "unknown line X"]},
        "company_sizes": {"mapped": 3, "unmapped": 2, "unmapped_texts": ["200-500人", "big-ish"]},
    }
    after = {c["_id"]: c for c in db.customers.find({}, {"industry_code": 1, "company_size": 1, "filter_keys": 1})}
    assert [after["m%d" % n].get("industry_code") for n in range(9)] == [
        "C36", "C36", "C39", "C34", None, None, None, None, None]
    assert [after["m%d" % n].get("company_size") for n in range(9)] == [
        "large", None, "small", "200-500人", None, "big-ish", None, "micro", None]
    assert "industry:C" in after["m0"]["filter_keys"] and "industry:automotive" not in after["m0"]["filter_keys"]
    assert names(db, industry="C36") == ["Old 0", "Old 1"]
    assert names(db, industry="unknown line X") == ["Old 5", "Old 6"]
    assert code_migration.migrate(db)["industries"]["mapped"] == 0
