"""Regions: free address text placed on GB/T 2260 codes, codes checked, the region filter at every
level, addresses stored before the codes, and the import's warning for text that names no region."""
import pytest

from services.common import regions
from services.common.auth import Caller
from services.common.errors import ValidationFailed
from services.common.schemas import load
from services.customers import (
    archive, contract, exports, import_jobs, import_worker, lists, places, region_migration, store,
)
from tests.customers import samples

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write"])


def codes(text):
    return [region.code for region in regions.place(text)]


@pytest.mark.parametrize("text, expected", [
    ("江苏苏州工业园区星湖街328号", ["320000", "320500", "320576"]),  # a development zone, province short
    ("苏州市", ["320000", "320500"]),  # a city alone
    ("苏州市工业园区星湖街", ["320000", "320500", "320576"]),  # the zone named without its city
    ("江苏省苏州市吴中区东吴北路", ["320000", "320500", "320506"]),
    ("吴中区木渎镇", ["320000", "320500", "320506"]),  # a district alone, its name unique
    ("上海市浦东新区张江路88号", ["310000", "310100", "310115"]),  # a municipality
    ("上海浦东", ["310000", "310100", "310115"]),  # short names
    ("北京市朝阳区建国路88号", ["110000", "110100", "110105"]),  # 朝阳区 told apart by 北京
    ("重庆市", ["500000", "500100"]),  # a municipality alone: its one city
    ("重庆市丰都县", ["500000", "500100", "500230"]),  # a county under 500200, folded into 500100
    ("广东省深圳市南山区科技园", ["440000", "440300", "440305"]),
    ("深圳南山", ["440000", "440300", "440305"]),  # a shared short name below its city
    ("昆山市玉山镇", ["320000", "320500", "320583"]),  # a county-level city without province
    ("浙江义乌稠城街道", ["330000", "330700", "330782"]),
    ("湖北仙桃市", ["420000", "429004"]),  # a county-level city its province governs directly
    ("东莞市长安镇", ["440000", "441900"]),  # a city without districts
    ("江苏 苏州 吴中", ["320000", "320500", "320506"]),  # fields read together, spaces ignored
    ("ＳＨ上海市", ["310000", "310100"]),  # full-width text
])
def test_real_addresses_are_placed(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text", [
    "asdf qwer 123",  # nothing Chinese at all
    "朝阳区",  # two cities have one: which is not said
    "星湖街328号",  # a street only
    "南京路100号",  # a city's name that is a street's here
    "海南",  # a province and a prefecture elsewhere
])
def test_text_naming_no_region_for_certain_is_not_placed(text):
    assert codes(text) == []


def test_a_street_named_after_a_place_does_not_place_the_address_there():
    assert codes("上海市南京东路100号") == ["310000", "310100"]
    assert codes("深圳市南山大道1号") == ["440000", "440300"]


def test_an_address_gets_codes_and_names_and_unplaced_text_is_kept_and_marked():
    placed = places.placed({"type": "office", "street": "江苏苏州工业园区星湖街328号", "country": "CN"})
    assert (placed["province_code"], placed["city_code"], placed["district_code"]) == ("320000", "320500", "320576")
    assert [placed[name] for name in ("province_name", "city_name", "district_name")] == [
        "江苏省", "苏州市", "苏州工业园区"]
    assert placed["street"] == "江苏苏州工业园区星湖街328号" and placed["region_unparsed"] is False
    garbage = places.placed({"type": "office", "street": "Building 7, somewhere", "city": "???"})
    assert garbage["street"] == "Building 7, somewhere" and garbage["city"] == "???"
    assert garbage["region_unparsed"] is True and garbage["province_code"] is None
    abroad = places.placed({"type": "office", "city": "Munich", "country": "DE"})
    assert abroad["region_unparsed"] is False and abroad["province_code"] is None
    given = places.placed({"type": "office", "district_code": "320506", "street": "上海市浦东新区"})
    assert (given["province_code"], given["city_code"], given["district_name"]) == ("320000", "320500", "吴中区")


def test_names_and_codes_name_regions():
    assert regions.named("苏州").code == "320500" and regions.named("江苏省").code == "320000"
    assert regions.named("北京").code == "110000" and regions.named("320576").name == "苏州工业园区"
    assert regions.named("朝阳区") is None and regions.named("Suzhou") is None
    assert [r.code for r in regions.chain("500230")] == ["500000", "500100", "500230"]
    assert regions.find("500200").code == "500100"  # the folded code still reads


def test_the_catalogue_has_every_level_with_english_names():
    entries = {entry["code"]: entry for entry in regions.catalogue()}
    assert 3000 < len(entries) < 4000
    assert entries["320000"] == {"code": "320000", "labels": {"zh-CN": "江苏省", "en": "Jiangsu"}, "parent": None}
    assert entries["320576"]["labels"] == {"zh-CN": "苏州工业园区", "en": "Suzhou Industrial Park"}
    assert entries["320506"]["labels"]["en"] == "Wuzhong District" and entries["320506"]["parent"] == "320500"
    assert entries["310115"]["labels"]["en"] == "Pudong New Area"
    assert entries["222400"]["labels"]["en"] == "Yanbian Autonomous Prefecture"
    assert entries["650000"]["labels"]["en"] == "Xinjiang"
    assert "500200" not in entries and entries["500230"]["parent"] == "500100"
    assert all(entry["parent"] in entries for entry in entries.values() if entry["parent"])
    assert len([entry for entry in entries.values() if entry["parent"] is None]) == 34  # 苏鲁交界 and 海域 are not


def address_errors(address):
    with pytest.raises(ValidationFailed) as raised:
        load(contract.CustomerSchema(), {"legal_name": "Acme", "addresses": [dict({"type": "office"}, **address)]})
    return raised.value.fields["addresses"][0]


def test_codes_are_checked_against_the_data():
    assert address_errors({"city_code": "329900"}) == {"city_code": ["Unknown region code."]}
    assert address_errors({"city_code": "3205"}) == {"city_code": ["A six-digit region code."]}
    assert address_errors({"province_code": "320500"}) == {"province_code": ["Not a province's code."]}
    assert address_errors({"province_code": "310000", "city_code": "320500"}) == {
        "city_code": ["Not inside 310000."]}
    assert address_errors({"city_code": "320500", "district_code": "310115"}) == {
        "district_code": ["Not inside 320500."]}
    assert address_errors({"district_code": "320500"}) == {"district_code": ["Not a district's code."]}


def create(db, name, *addresses):
    return archive.create_customer(db, SALES, {"legal_name": name, "addresses": list(addresses)}, force=True)


def names(db, region):
    return sorted(c["legal_name"] for c in lists.list_customers(db, SALES, {"region": region}, 100, None)["items"])


def test_the_region_filter_works_at_every_level_and_by_name(db):
    create(db, "园区精密", {"type": "office", "street": "江苏苏州工业园区星湖街328号"})
    create(db, "吴中机械", {"type": "office", "province_code": "320000", "city_code": "320500",
                           "district_code": "320506"})
    create(db, "无锡电子", {"type": "office", "city": "无锡市"})
    create(db, "浦东贸易", {"type": "billing", "city": "上海", "street": "浦东新区张江路"})
    create(db, "Munich Tools", {"type": "office", "city": "Munich", "province": "Bavaria", "country": "DE"})
    assert names(db, "320000") == names(db, "江苏") == names(db, "江苏省") == ["吴中机械", "园区精密", "无锡电子"]
    assert names(db, "320500") == names(db, "苏州") == names(db, "苏州市") == ["吴中机械", "园区精密"]
    assert names(db, "320576") == names(db, "苏州工业园区") == ["园区精密"]
    assert names(db, "320506") == ["吴中机械"]
    assert names(db, "310115") == names(db, "上海") == ["浦东贸易"]
    assert names(db, "bavaria") == names(db, "MUNICH") == ["Munich Tools"]  # text as written, as before
    assert names(db, "440300") == []
    with pytest.raises(ValidationFailed) as raised:
        lists.list_customers(db, SALES, {"region": "999999"}, 100, None)
    assert raised.value.fields == {"region": ["Unknown region code."]}


def test_the_answer_says_which_addresses_were_not_placed_and_an_update_places_anew(db):
    created = create(db, "某公司", {"type": "office", "street": "某某路1号"},
                     {"type": "billing", "city": "苏州市", "street": "人民路1号"})
    first, second = created["addresses"]
    assert first["region_unparsed"] is True and first["street"] == "某某路1号" and first["province_code"] is None
    assert second["region_unparsed"] is False and (second["city_code"], second["city_name"]) == ("320500", "苏州市")
    changed = archive.update_customer(db, SALES, created["id"], {"version": created["version"], "addresses": [
        {"type": "office", "street": "北京市海淀区中关村大街1号"}]})
    assert [(a["district_code"], a["district_name"], a["region_unparsed"]) for a in changed["addresses"]] == [
        ("110108", "海淀区", False)]
    assert names(db, "110108") == ["某公司"] and names(db, "320500") == []


def test_an_export_names_the_region_of_an_address_chosen_by_code(db):
    created = create(db, "导出公司", {"type": "billing", "district_code": "320506", "street": "1号"})
    row = dict(zip(exports.COLUMNS, exports.row(store.find_customer(db, created["id"]))))
    assert (row["province"], row["city"], row["street"]) == ("江苏省", "苏州市", "1号")


def test_addresses_stored_before_the_codes_are_placed_once_at_start(db, caplog):
    created = create(db, "老客户", {"type": "office", "province": "江苏", "city": "苏州", "street": "吴中区1号"},
                     {"type": "billing", "street": "somewhere"})
    old = [{key: value for key, value in address.items() if key not in places.REGION_FIELDS}
           for address in created["addresses"]]
    store.set_customer_fields(db, created["id"], {"addresses": old, "region_keys": ["江苏", "苏州"]})
    db.runs.delete_one({"_id": region_migration.MARKER})
    assert names(db, "320506") == []
    with caplog.at_level("INFO", logger=region_migration.__name__):
        archive.prepare_database(db)
    assert "1 placed in a region, 1 could not be placed" in caplog.text
    assert names(db, "320506") == names(db, "苏州") == ["老客户"]
    stored = store.find_customer(db, created["id"])["addresses"]
    assert [(a["district_code"], a["region_unparsed"]) for a in stored] == [("320506", False), (None, True)]
    assert stored[1]["street"] == "somewhere"
    assert region_migration.migrate(db) == {"placed": 0, "unplaced": 0}  # placed addresses are left alone


def test_an_import_places_addresses_and_warns_of_those_it_cannot(db):
    rows = [samples.customer_row(n) for n in range(4)]
    rows[1][8:11] = ["", "", "Building 7"]
    rows[2][8:11] = ["", "", "浙江省杭州市西湖区文三路1号"]
    job = import_jobs.create_import(db, SALES, "customers.csv")
    import_jobs.append_chunk(db, SALES, job["id"], 0, samples.b64_chunks(samples.csv_bytes(rows), 1 << 20)[0])
    import_jobs.start_import(db, SALES, job["id"])
    while import_worker.run_tick(db, 0.5):
        pass
    done = import_jobs.get_import(db, SALES, job["id"])
    assert (done["created"], done["failed"], done["warnings"]) == (4, 0, 1)
    assert done["errors_sample"] == [] and done["warnings_sample"] == [
        {"row": 3, "field": "street", "message": "The address names no province, city or district for certain; "
                                                 "it is kept as written."}]
    assert import_jobs.import_errors(db, SALES, job["id"])["rows"] == []
    assert names(db, "320576") == ["华东精密零件0有限公司", "华东精密零件3有限公司"]
    assert names(db, "330106") == ["华东精密零件2有限公司"]
    # A file naming another place moves the customer's billing address there.
    rows[0][8:11] = ["", "", "上海市浦东新区张江路1号"]
    again = import_jobs.create_import(db, SALES, "again.csv")
    import_jobs.append_chunk(db, SALES, again["id"], 0, samples.b64_chunks(samples.csv_bytes(rows[:1]), 1 << 20)[0])
    import_jobs.start_import(db, SALES, again["id"])
    while import_worker.run_tick(db, 0.5):
        pass
    assert import_jobs.get_import(db, SALES, again["id"])["updated"] == 1
    assert names(db, "310115") == ["华东精密零件0有限公司"] and names(db, "320576") == ["华东精密零件3有限公司"]
