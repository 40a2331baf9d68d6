"""The catalogues: every code of every enumeration labelled in both languages' ``labels`` PO files
(and those files holding the same codes, none missing, none extra), the industries' hierarchy,
and the routes that serve them (answered by the gateway alone)."""
import inspect
import re

import pytest
from babel.messages.pofile import read_po

from gateway import catalogues
from services.accounts import contract as accounts, permissions, sessions
from services.common import messages
from services.common.schemas import LANGUAGES
from services.customers import contract as customers, dedupe, merge


def po_entries(language):
    """``{code: (msgid, msgstr)}`` of a language's labels PO file, read as it is written."""
    with open(messages._path("labels", language), "rb") as source:
        catalogue = read_po(source)
    return {entry.context: (entry.id, entry.string) for entry in catalogue if entry.id}


def wanted_codes():
    return {"%s.%s" % (name, code) for name, codes in catalogues.ENUMERATIONS.items() for code in codes}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_enumeration_code_has_a_label_and_nothing_else_is_there(language):
    entries = po_entries(language)
    assert set(entries) == wanted_codes()
    assert all(english and text for english, text in entries.values())


def test_both_languages_hold_the_same_codes_with_the_same_english():
    chinese, english = po_entries("zh-CN"), po_entries("en")
    assert set(chinese) == set(english)
    assert {code: msgid for code, (msgid, _) in chinese.items()} == {code: text for code, (_, text) in english.items()}
    assert chinese["company_sizes.large"][1] == "大型" and chinese["order_statuses.shipped"][1] == "已发货"


def test_each_enumeration_is_served_with_both_labels():
    for name in catalogues.ENUMERATIONS:
        entries = catalogues.entries(name)
        assert [entry["code"] for entry in entries] == list(catalogues.ENUMERATIONS[name])
        for entry in entries:
            assert entry["labels"]["zh-CN"] and entry["labels"]["en"] and entry["parent"] is None
            assert entry["labels"]["en"] != entry["code"] or name == "tiers"


def test_every_catalogue_labels_each_of_its_codes_once_in_both_languages():
    assert {"roles", "permissions", "import_entities", "import_statuses", "industries", "regions"} <= \
        set(catalogues.names())
    for name in catalogues.names():
        entries = catalogues.entries(name)
        codes = [entry["code"] for entry in entries]
        assert entries and len(set(codes)) == len(codes), name
        for entry in entries:
            assert set(entry["labels"]) == set(LANGUAGES), (name, entry)
            assert all(entry["labels"][language].strip() for language in LANGUAGES), (name, entry)


def test_roles_permissions_and_imports_are_served_as_the_services_define_them():
    roles = catalogues.entries("roles")
    assert [entry["code"] for entry in roles] == list(permissions.ROLES)
    assert roles[0]["labels"] == {"zh-CN": "系统管理员", "en": "Administrator"}
    # a permission's label is what it allows, in English as GET /roles describes it
    assert {entry["code"]: entry["labels"]["en"] for entry in catalogues.entries("permissions")} == \
        permissions.CATALOGUE
    assert catalogues.labels("permissions", "settings:write")["zh-CN"].startswith("修改站点设置")
    entities = [entry["code"] for entry in catalogues.entries("import_entities")]
    assert entities[0] == "customers" and entities[-1] == "workbook" and "service_records" in entities
    assert catalogues.labels("import_statuses", "failed") == {"zh-CN": "失败", "en": "Failed"}


def test_the_enumerations_the_contracts_add_are_what_the_services_write():
    assert tuple(reason for reason, _ in dedupe.REASONS) == customers.DUPLICATE_REASONS
    written = set(re.findall(r'status="(\w+)"|"status": "(\w+)"', inspect.getsource(merge)))
    assert {status for pair in written for status in pair if status} == set(customers.MERGE_STATUSES)
    failures = set(re.findall(r'"(\w+)" if |else "(\w+)"|False, "(\w+)"', inspect.getsource(sessions)))
    assert {reason for found in failures for reason in found if reason} == set(accounts.LOGIN_FAILURES)


def test_industries_are_sections_then_their_divisions():
    entries = catalogues.entries("industries")
    sections = [entry["code"] for entry in entries if entry["parent"] is None]
    assert len(sections) == 20 and len(entries) == 117
    assert all(entry["parent"] in sections for entry in entries if entry["parent"])
    automobiles = next(entry for entry in entries if entry["code"] == "C36")
    assert automobiles == {"code": "C36", "labels": {"zh-CN": "汽车制造业", "en": "Manufacture of automobiles"},
                           "parent": "C"}


def test_routes_answer_the_names_one_catalogue_and_404(client, auth, fake_rpc):
    listed = client.get("/api/v1/catalogues", headers=auth)
    assert listed.status_code == 200
    assert {"industries", "company_sizes", "source_channels", "notification_kinds"} <= set(listed.json["names"])
    sizes = client.get("/api/v1/catalogues/company_sizes", headers=auth)
    assert sizes.status_code == 200 and sizes.json["name"] == "company_sizes"
    assert sizes.json["entries"][0] == {"code": "large", "labels": {"zh-CN": "大型", "en": "Large"}, "parent": None}
    missing = client.get("/api/v1/catalogues/unknown", headers=auth)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert fake_rpc.calls == []


def test_regions_are_answered_whole_or_one_level_under_a_parent(client, auth, fake_rpc):
    whole = client.get("/api/v1/catalogues/regions", headers=auth).json["entries"]
    assert len(whole) > 3000 and whole[0] == {"code": "110000", "labels": {"zh-CN": "北京市", "en": "Beijing"},
                                              "parent": None}
    provinces = client.get("/api/v1/catalogues/regions?parent=none", headers=auth).json["entries"]
    assert len(provinces) == 34 and all(entry["parent"] is None for entry in provinces)
    suzhou = client.get("/api/v1/catalogues/regions?parent=320500", headers=auth).json["entries"]
    assert {"code": "320576", "labels": {"zh-CN": "苏州工业园区", "en": "Suzhou Industrial Park"},
            "parent": "320500"} in suzhou and all(entry["parent"] == "320500" for entry in suzhou)
    sizes = client.get("/api/v1/catalogues/company_sizes?parent=none", headers=auth).json["entries"]
    assert [entry["code"] for entry in sizes] == ["large", "medium", "small", "micro"]
    unknown = client.get("/api/v1/catalogues/regions?level=1", headers=auth)
    assert unknown.status_code == 422 and "level" in unknown.json["error"]["fields"]
    assert fake_rpc.calls == []
