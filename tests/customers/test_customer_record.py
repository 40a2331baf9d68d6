"""The customer record's own rules, without a database: completeness, derived keys, a new record."""
from services.common.auth import Caller
from services.customers import customer_record

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write"])


def test_completeness_counts_the_key_fields_filled():
    assert customer_record.completeness({}) == 0
    half = {field: "x" for field in customer_record.KEY_FIELDS[:6]}
    assert customer_record.completeness(dict(half, notes="not a key field", tags=["oem"])) == 50
    assert customer_record.completeness(dict(half, website="", addresses=[], owner_id=None)) == 50


def test_contacts_add_their_names_phones_and_emails_to_the_customers_keys():
    contacts = [{"name": "李雷", "phone": "13800138000", "email": "Li.Lei@Example.com"}, {"name": "Han Meimei"}]
    keys = customer_record.contact_keys(contacts)
    assert keys["contact_phone_keys"] == ["13800138000"]
    assert keys["contact_email_keys"] == ["li.lei@example.com"]
    derived = customer_record.derived_keys(dict({"legal_name": "Acme Works", "phone": "0512-66881230"}, **keys))
    assert derived["phone_keys"] == ["051266881230", "13800138000"]
    assert {"13800138000", "8613800138000", "051266881230"} <= set(derived["all_keys"])
    assert set(keys["contact_keys"]) <= set(derived["all_keys"])
    assert not set(keys["contact_keys"]) & set(derived["search_keys"])


def test_a_new_customer_is_a_general_prospect_of_its_creator_with_its_keys():
    customer = customer_record.new_customer({"legal_name": "Acme Works", "tags": ["oem", "rail", "oem"],
                                             "addresses": [{"type": "office", "city": "Suzhou"}]}, SALES, "site-a")
    assert customer["owner_id"] == "u-sales" and customer["site_id"] == "site-a"
    assert customer["tier"]["level"] == "general" and customer["tier_rank"] == 1
    assert customer["lifecycle_stage"] == "prospect" and customer["version"] == 1
    assert customer["tags"] == ["oem", "rail"] and customer["addresses"][0]["id"]
    assert customer["region_keys"] == ["suzhou"] and customer["completeness"] > 0
    assert customer_record.new_customer({"legal_name": "By Import"}, Caller.service("customers"),
                                        "site-a")["owner_id"] is None
