"""Regions through the gateway: addresses carry GB/T 2260 codes (given or placed from their text),
unknown codes are 422 naming the field, the list filters by a region at any level, and the
``regions`` catalogue answers whole or one level at a time."""
import pytest

from tests.support.customers import create_customer, ids, team


@pytest.fixture(scope="module")
def people(stack, admin_api):
    return team(stack, admin_api)


def test_addresses_carry_codes_and_the_list_filters_by_any_level(people):
    zone = create_customer(people.sales_a, addresses=[
        {"type": "billing", "street": "江苏苏州工业园区星湖街328号"}, {"type": "office", "street": "某某路1号"}])
    placed, unplaced = zone["addresses"]
    assert {key: placed[key] for key in ("province_code", "city_code", "district_code", "district_name")} == {
        "province_code": "320000", "city_code": "320500", "district_code": "320576", "district_name": "苏州工业园区"}
    assert placed["region_unparsed"] is False
    assert unplaced["region_unparsed"] is True and unplaced["street"] == "某某路1号" and unplaced["city_code"] is None
    wuzhong = create_customer(people.sales_a, addresses=[{"type": "office", "district_code": "320506"}])
    assert (wuzhong["addresses"][0]["province_name"], wuzhong["addresses"][0]["city_name"]) == ("江苏省", "苏州市")
    pudong = create_customer(people.sales_a, addresses=[{"type": "office", "city": "上海市", "street": "浦东新区"}])
    read = people.sales_a.get("/customers/%s" % zone["id"]).json()
    assert read["addresses"] == zone["addresses"]

    def found(region):
        answer = people.sales_a.get("/customers", params={"region": region})
        assert answer.status_code == 200, answer.text
        return sorted(ids(answer.json()))

    assert found("320000") == found("江苏") == found("320500") == found("苏州市") == sorted([zone["id"], wuzhong["id"]])
    assert found("320576") == [zone["id"]] and found("320506") == [wuzhong["id"]]
    assert found("310115") == found("上海") == [pudong["id"]]
    assert people.sales_b.get("/customers", params={"region": "320000"}).json()["items"] == []
    unknown = people.sales_a.get("/customers", params={"region": "999999"})
    assert unknown.status_code == 422 and "region" in unknown.json()["error"]["fields"]


@pytest.mark.parametrize("address, field", [
    ({"city_code": "329900"}, "city_code"),  # no such city
    ({"city_code": "3205"}, "city_code"),  # not a code
    ({"province_code": "310000", "city_code": "320500"}, "city_code"),  # a city of another province
    ({"city_code": "320500", "district_code": "310115"}, "district_code"),  # a district of another city
])
def test_a_bad_code_is_422_naming_the_field(people, address, field):
    answer = people.sales_a.post("/customers", {"legal_name": "Bad Region Co", "addresses": [
        dict({"type": "office"}, **address)]})
    assert answer.status_code == 422, answer.text
    assert list(answer.json()["error"]["fields"]["addresses"]["0"]) == [field]


def test_the_regions_catalogue_whole_and_by_level(people):
    whole = people.sales_a.get("/catalogues/regions")
    assert whole.status_code == 200 and len(whole.json()["entries"]) > 3000
    provinces = people.sales_a.get("/catalogues/regions", params={"parent": "none"}).json()["entries"]
    assert {"code": "320000", "labels": {"zh-CN": "江苏省", "en": "Jiangsu"}, "parent": None} in provinces
    assert len(provinces) == 34 and all(entry["parent"] is None for entry in provinces)
    districts = people.sales_a.get("/catalogues/regions", params={"parent": "320500"}).json()["entries"]
    assert {"code": "320576", "labels": {"zh-CN": "苏州工业园区", "en": "Suzhou Industrial Park"},
            "parent": "320500"} in districts
    assert all(entry["parent"] == "320500" for entry in districts)
    assert people.sales_a.get("/catalogues/regions", params={"parent": "999999"}).json()["entries"] == []
