"""The catalogues and the customer's industry code and company size through the gateway, on the
real broker and DB."""
import pytest

from tests.support.customers import create_customer, ids, team, unique


@pytest.fixture(scope="module")
def people(stack, admin_api):
    return team(stack, admin_api)


def test_the_catalogues_are_listed_and_served_with_both_labels(people):
    api = people.sales_a
    names = api.get("/catalogues")
    assert names.status_code == 200
    assert {"industries", "company_sizes", "source_channels", "order_statuses", "interaction_kinds",
            "feedback_categories"} <= set(names.json()["names"])
    industries = api.get("/catalogues/industries").json()
    assert industries["name"] == "industries" and len(industries["entries"]) == 117
    assert {"code": "C36", "labels": {"zh-CN": "汽车制造业", "en": "Manufacture of automobiles"},
            "parent": "C"} in industries["entries"]
    assert sum(1 for entry in industries["entries"] if entry["parent"] is None) == 20
    statuses = api.get("/catalogues/order_statuses").json()["entries"]
    assert statuses[2] == {"code": "shipped", "labels": {"zh-CN": "已发货", "en": "Shipped"}, "parent": None}
    roles = api.get("/catalogues/roles").json()["entries"]
    assert {"code": "finance", "labels": {"zh-CN": "财务", "en": "Finance"}, "parent": None} in roles
    described = {entry["name"]: entry["description"] for entry in api.get("/roles").json()["permissions"]}
    served = api.get("/catalogues/permissions").json()["entries"]
    assert {entry["code"]: entry["labels"]["en"] for entry in served} == described
    assert all(entry["labels"]["zh-CN"] != entry["labels"]["en"] for entry in served)
    entities = [entry["code"] for entry in api.get("/catalogues/import_entities").json()["entries"]]
    assert entities[0] == "customers" and "workbook" in entities
    assert [entry["code"] for entry in api.get("/catalogues/import_statuses").json()["entries"]] == \
        ["uploading", "running", "completed", "failed"]
    missing = api.get("/catalogues/unknown")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_customer_takes_an_industry_code_and_its_size_is_derived(people):
    api = people.sales_a
    created = create_customer(api, industry_code="c36", employees=1200, annual_revenue=5e8)
    assert created["industry_code"] == "C36"
    assert created["industry_labels"] == {"zh-CN": "汽车制造业", "en": "Manufacture of automobiles"}
    assert (created["company_size"], created["company_size_derived"]) == ("large", True)
    path = "/customers/%s" % created["id"]
    changed = api.patch(path, {"employees": 800, "version": created["version"]})
    assert changed.status_code == 200 and changed.json()["company_size"] == "medium"
    mapped = create_customer(api, industry="汽车零部件")
    assert (mapped["industry"], mapped["industry_code"]) == ("汽车零部件", "C36")


@pytest.mark.parametrize("body, field", [
    ({"industry_code": "C99"}, "industry_code"), ({"industry_code": "automotive"}, "industry_code"),
    ({"company_size": "大型"}, "company_size"), ({"employees": -1}, "employees"), ({"employees": 1.5}, "employees"),
])
def test_an_unknown_code_or_bad_figure_is_422_naming_the_field(people, body, field):
    response = people.sales_a.post("/customers", dict({"legal_name": "Bad %s" % unique()}, **body))
    assert response.status_code == 422, response.text
    assert list(response.json()["error"]["fields"]) == [field]


def test_the_list_filters_by_section_and_by_division(people):
    api, tag = people.sales_a, unique("industry-")
    made = {code: create_customer(api, industry_code=code, tags=[tag])["id"] for code in ("C36", "C39", "C", "A01")}

    def listed(industry):
        response = api.get("/customers", params={"tag": tag, "industry": industry, "limit": 50})
        assert response.status_code == 200, response.text
        return set(ids(response.json()))

    assert listed("C") == {made["C36"], made["C39"], made["C"]}
    assert listed("C36") == {made["C36"]}
    assert listed("A") == listed("A01") == {made["A01"]}
    assert listed("B") == set()
    name = api.get("/customers/%s" % made["C39"]).json()["legal_name"]
    assert ids(api.get("/customers", params={"industry": "C39", "q": name}).json()) == [made["C39"]]
    assert ids(api.get("/customers", params={"industry": "A", "q": name}).json()) == []
