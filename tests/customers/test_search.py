"""Search on the real DB server: prefix matches, flat queries answered from one index, paging."""
import pytest

from services.common import errors, paging
from services.common.auth import Caller
from services.customers import (
    archive, customer_record, effects, exports, identifiers, insights, lists, parts, store,
)
from tests.support.windows import served_by

SALES = Caller("u-sales", ["site-a"], ["customers:read", "customers:write", "contacts:read", "contacts:write"])
FINANCE = Caller("u-fin", ["site-a"], ["customers:read", "orders:read"])
ADMIN = Caller("u-admin", [], ["customers:read", "customers:write", "contacts:read", "sites:all"])


def create(db, name, **fields):
    return archive.create_customer(db, SALES, dict({"legal_name": name}, **fields), force=True)


def names(db, caller, **filters):
    return sorted(c["legal_name"] for c in lists.list_customers(db, caller, filters, 100, None)["items"])


def test_phone_keys_hold_the_forms_people_type():
    assert identifiers.phone_forms("8613800138000") == {"8613800138000", "13800138000"}
    assert identifiers.phone_forms("13800138000") == {"13800138000", "8613800138000"}
    assert identifiers.phone_forms("051266881230") == {"051266881230"}


def test_a_text_is_looked_up_by_the_range_of_keys_starting_with_it():
    lookup = identifiers.prefix_lookup
    assert lookup("") is None
    assert lookup("a") == {"$gte": "a", "$lt": "b"} and lookup("acm") == {"$gte": "acm", "$lt": "acn"}
    assert lookup("info37") == {"$gte": "info37", "$lt": "info38"}
    assert lookup("苏州精") == {"$gte": "苏州精", "$lt": "苏州粿"}
    # No range past the last character (the list's windows read such a text instead).
    assert lookup("ab\U0010ffff") is None and lookup("ab\ud7ff") is None
    keys = {"tools", "toolset", "toolsetter", "tool", "info37", "info3712", "info38", "to", "toolt", "tooz"}
    for text in ("t", "too", "tools", "toolse", "toolset", "toolsetterx", "info3", "info37", "z"):
        clause = lookup(text)
        assert {key for key in keys if clause["$gte"] <= key < clause["$lt"]} == {
            key for key in keys if key.startswith(text)}, text


def test_q_finds_names_codes_contacts_phones_and_emails_by_prefix(db):
    acme = create(db, "Acme Precision Machinery Co., Ltd.", external_code="AC-778", email="Sales@Acme.example",
                  addresses=[{"type": "office", "city": "Suzhou", "province": "Jiangsu"}])
    create(db, "苏州精密机械有限公司", short_name="苏州精机", phone="0512-66881230")
    create(db, "Zenith Tools")
    parts.create_part(db, SALES, acme["id"], "contacts", {"name": "王芳", "phone": "+86 138 0013 8000",
                                                            "email": "wang.fang@acme.example"}, effects.Effects(db))
    assert names(db, SALES, q="acme") == ["Acme Precision Machinery Co., Ltd."]
    assert names(db, SALES, q="acme", site_id="site-b") == [] and names(db, ADMIN, q="acme", site_id="site-b") == []
    assert names(db, SALES, q="ＡＣＭＥ prec") == ["Acme Precision Machinery Co., Ltd."]
    assert names(db, SALES, q="precision") == ["Acme Precision Machinery Co., Ltd."]
    assert names(db, SALES, q="ac-77") == ["Acme Precision Machinery Co., Ltd."]
    assert names(db, SALES, q="精机") == ["苏州精密机械有限公司"]
    assert names(db, SALES, q="精密机械") == ["苏州精密机械有限公司"]
    assert names(db, SALES, q="王") == names(db, SALES, q="王芳") == ["Acme Precision Machinery Co., Ltd."]
    for phone in ("138 0013", "+86 13800138000", "8613800"):
        assert names(db, SALES, q=phone) == ["Acme Precision Machinery Co., Ltd."], phone
    assert names(db, SALES, q="0512-6688") == ["苏州精密机械有限公司"]
    assert names(db, SALES, q="wang.fang@") == names(db, SALES, q="sales@acme") == [
        "Acme Precision Machinery Co., Ltd."]
    assert names(db, SALES, q="zz") == [] and names(db, SALES, q="acmex") == []
    assert names(db, SALES, region="jiangsu") == names(db, SALES, region="SUZHOU") == [
        "Acme Precision Machinery Co., Ltd."]
    # Finance may not see contacts: it finds by the company's own names and codes only.
    assert names(db, FINANCE, q="acme") == ["Acme Precision Machinery Co., Ltd."]
    assert names(db, FINANCE, q="王芳") == [] and names(db, FINANCE, q="138 0013") == []
    assert names(db, FINANCE, q="sales@acme") == []


def test_a_search_reads_only_the_customers_with_a_key_starting_with_it(db):
    for n in range(120):
        create(db, "Info Works %03d" % n, email="info%d@works.example" % n)
    create(db, "Zenith Tools", short_name="ZT")
    create(db, "Toolsetter Supply")
    assert names(db, SALES, q="info37") == ["Info Works 037"]
    assert names(db, SALES, q="info11") == ["Info Works %03d" % n for n in [11] + list(range(110, 120))]
    assert names(db, SALES, q="tools") == ["Toolsetter Supply", "Zenith Tools"]
    assert names(db, SALES, q="tool") == names(db, SALES, q="too") == ["Toolsetter Supply", "Zenith Tools"]
    assert names(db, SALES, q="toolset") == ["Toolsetter Supply"] and names(db, SALES, q="zeni") == ["Zenith Tools"]
    assert names(db, SALES, q="worksx") == [] and names(db, SALES, q="inf") == names(db, SALES, q="info")
    # The candidates are the customers holding a key that starts with the text, and only those.
    for text, most in (("info37", 1), ("info11", 11), ("tools", 2), ("zen", 1), ("info", 120), ("i", 120)):
        lookup = identifiers.prefix_lookup(text)
        assert len(list(db.customers.find(store.holding("site-a", lookup), {"_id": 1}))) == most, text


def test_a_text_with_no_range_after_it_is_answered_from_the_windows(db):
    """A text whose last character has no successor to bound a range (U+10FFFF, or one before the
    surrogates) is no look-up: the list's windows are read, each row's keys checked."""
    create(db, "Zenith Tools")
    for q in ("\U0010ffff", "-\ud7ff"):
        assert identifiers.prefix_lookup(archive.search_text(SALES, q)[0]) is None, q
        assert names(db, SALES, q=q) == [], q
    # in a text of words, such a character is dropped with the punctuation
    assert names(db, SALES, q="zen\U0010ffff") == ["Zenith Tools"]


def test_customers_keyed_before_the_search_read_all_keys_are_found_and_lose_their_key_prefixes(db):
    """Customers stored when a search read key prefixes are found by their ``all_keys`` at once; the
    next recompute writes their keys anew and drops the prefixes and their index entries."""
    old = create(db, "Zenith Tools", email="info37@zenith.example")
    gone = create(db, "Tools Gone Works")
    archive.delete_customer(db, SALES, gone["id"])
    for created in (old, gone):
        stored = db.customers.find_one({"_id": created["id"]})
        db.customers.update_one({"_id": created["id"]}, {"$set": {
            "key_prefixes": sorted({key[:length] for key in stored["all_keys"] for length in (1, 2, 4, 8)}),
            "keys_version": "short-keys-1"}})
    db.customers.create_index([("site_id", 1), ("deleted_at", 1), ("key_prefixes", 1)])
    db.runs.delete_many({"_id": customer_record.KEYS_VERSION})
    archive.prepare_database(db)
    assert not [index for index in db.customers.index_information().values()
                if "key_prefixes" in dict(index["key"])]
    assert names(db, SALES, q="tools") == names(db, SALES, q="info37") == names(db, SALES, q="z") == ["Zenith Tools"]
    assert names(db, SALES, q="tools", deleted=True) == ["Tools Gone Works"]
    insights.periodic_recompute(db, 3600)
    refreshed = db.customers.find_one({"_id": old["id"]})
    assert "key_prefixes" not in refreshed and refreshed["keys_version"] == customer_record.KEYS_VERSION
    assert names(db, SALES, q="tools") == names(db, SALES, q="info37") == names(db, SALES, q="z") == ["Zenith Tools"]
    # A customer deleted while its keys were older gets the current ones back with it.
    assert names(db, SALES, q="tools", deleted=True) == ["Tools Gone Works"]
    archive.restore_customer(db, SALES, gone["id"])
    assert "key_prefixes" not in db.customers.find_one({"_id": gone["id"]})
    assert names(db, SALES, q="tools") == ["Tools Gone Works", "Zenith Tools"]


def test_the_deleted_customers_query_is_flat_with_their_deletion_first():
    deleted = archive.search_query(SALES, {"deleted": True, "tag": "oem"})
    assert list(deleted) == ["deleted_at", "tags", "site_id", "erased"] and set(deleted["deleted_at"]) == {"$gte"}
    assert list(archive.search_query(ADMIN, {"deleted": True})) == ["deleted_at", "erased"]  # the deleted only
    query = archive.search_query(SALES, {"deleted": True, "q": "acme", "tier": "vip", "owner_id": "u1",
                                         "region": "Jiangsu"})
    assert not [key for key in query if key.startswith("$")]
    assert list(query) == ["deleted_at", "region_keys", "owner_id", "tier.level", "site_id", "erased", "all_keys"]
    assert archive.search_query(FINANCE, {"deleted": True, "q": "acme"})["search_keys"] == {"$regex": "^acme"}
    outside = archive.search_query(SALES, {"deleted": True, "site_id": "site-b", "q": "acme"})
    assert outside["site_id"] == {"$in": []}
    unowned = archive.search_query(ADMIN, {"deleted": True, "q": "王", "owner_id": "none"})
    assert list(unowned) == ["deleted_at", "owner_id", "erased", "all_keys"] and unowned["owner_id"] is None


def test_a_site_s_holders_of_a_text_are_read_by_the_text_index_alone(db):
    """Each clause of ``store.holding`` is served by ``TEXT_INDEX``: the site's and deletion's
    equalities, then the range of the keys starting with the text (as the embedded server picks an index)."""
    assert served_by(store.holding("site-a", identifiers.prefix_lookup("王")), store.TEXT_INDEX)
    assert served_by(store.holding("site-a", identifiers.prefix_lookup("info37")), store.TEXT_INDEX)
    assert any(index["key"] == store.TEXT_INDEX for index in db.customers.index_information().values())


def test_pages_walk_ties_and_missing_values_once(db):
    for n in range(7):
        created = create(db, "Paged Co %d" % n)
        if n % 2:
            store.set_customer_fields(db, created["id"], {"next_followup_date": "2026-12-0%d" % n})
    for sort in ("tier_rank", "-tier_rank", "next_followup_date", "-next_followup_date", "legal_name"):
        seen, cursor = [], None
        while True:
            page = lists.list_customers(db, SALES, {"sort": sort}, 2, cursor)
            seen += [c["legal_name"] for c in page["items"]]
            assert page["total"] == 7
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == ["Paged Co %d" % n for n in range(7)], sort
    dated = [c["legal_name"] for c in lists.list_customers(db, SALES, {"sort": "next_followup_date"}, 7, None)["items"]]
    assert dated[4:] == ["Paged Co 1", "Paged Co 3", "Paged Co 5"]


def test_customers_stored_before_the_current_keys_get_them_once(db):
    created = create(db, "Legacy Works")
    db.customers.update_one({"_id": created["id"]}, {"$unset": {"search_keys": "", "all_keys": ""}})
    db.runs.delete_one({"_id": archive.KEYS_VERSION})
    assert names(db, SALES, q="legacy") == []
    archive.prepare_database(db)
    assert names(db, SALES, q="legacy") == ["Legacy Works"]
    db.customers.update_one({"_id": created["id"]}, {"$unset": {"all_keys": ""}})
    archive.prepare_database(db)
    assert "all_keys" not in db.customers.find_one({"_id": created["id"]})


def test_review_due_reads_the_stale_and_never_verified(db):
    stale, fresh = create(db, "Stale Works"), create(db, "Fresh Works")
    old = archive.utcnow().replace(year=2025)
    db.customers.update_one({"_id": stale["id"]}, {"$set": {"last_verified_at": old}})
    never = create(db, "Never Verified Works")
    db.customers.update_one({"_id": never["id"]}, {"$set": {"created_at": old}, "$unset": {"last_verified_at": ""}})
    db.runs.delete_one({"_id": archive.KEYS_VERSION})
    archive.prepare_database(db)
    due = lists.review_due(db, SALES, 50, None)
    assert sorted(c["legal_name"] for c in due["items"]) == ["Never Verified Works", "Stale Works"]
    assert due["total"] == 2 and fresh["id"] not in [c["id"] for c in due["items"]]
    assert lists.review_due(db, Caller("u-none", [], ["customers:read"]), 50, None)["total"] == 0


def test_a_chinese_name_is_found_by_its_pinyin_its_initials_and_both_mixed(db):
    precision = create(db, "苏州精密机械有限公司", short_name="苏精")
    create(db, "重庆长安汽车配件厂")
    create(db, "中国银行苏州分行")
    create(db, "Acme 2号厂")
    acme = create(db, "Acme Precision")
    parts.create_part(db, SALES, acme["id"], "contacts", {"name": "张长江"}, effects.Effects(db))
    for q in ("suzhoujingmi", "suzhou", "SuZhou JingMi", "szjm", "szjmjx", "苏州jm", "苏zjm", "苏州精m", "sujing"):
        assert names(db, SALES, q=q) == ["苏州精密机械有限公司"], q
    assert names(db, SALES, q="chongqing") == names(db, SALES, q="cqca") == ["重庆长安汽车配件厂"]
    assert names(db, SALES, q="zhongguoyinhang") == names(db, SALES, q="zgyh") == ["中国银行苏州分行"]
    assert names(db, SALES, q="acme2hc") == names(db, SALES, q="acme2haochang") == ["Acme 2号厂"]
    # a contact's name too, for those who may see contacts
    assert names(db, SALES, q="zhangchangjiang") == names(db, SALES, q="zcj") == ["Acme Precision"]
    assert names(db, FINANCE, q="zcj") == []
    # a Latin name has no pinyin keys; text that reads as pinyin of nothing finds nothing
    assert names(db, SALES, q="szjmx") == [] and names(db, SALES, q="acmep") == ["Acme Precision"]
    assert precision["id"] in {c["id"] for c in lists.list_customers(db, SALES, {"q": "sz"}, 100, None)["items"]}


def test_customers_stored_before_pinyin_keys_get_them_from_the_periodic_recompute(db, monkeypatch):
    with monkeypatch.context() as before:
        before.setattr(identifiers, "pinyin_keys", lambda text: set())
        create(db, "苏州精密机械有限公司")
    db.customers.update_many({}, {"$unset": {"keys_version": ""}})
    assert names(db, SALES, q="szjm") == []

    insights.recompute_all(db)

    assert names(db, SALES, q="szjm") == names(db, SALES, q="苏州jm") == ["苏州精密机械有限公司"]
    assert db.customers.find_one({})["keys_version"] == customer_record.KEYS_VERSION


def test_a_recompute_cut_short_or_missing_a_customer_asks_again(db, monkeypatch):
    for name in ("Alpha Works", "Beta Works", "Gamma Works"):
        create(db, name)
    db.customers.update_many({}, {"$unset": {"keys_version": ""}})
    db.runs.update_one({"_id": "recompute"}, {"$set": {"last_at": "then"}}, upsert=True)
    # The service is stopped after the first customer: the run ends there.
    asked = iter([False, True, True])
    assert insights.recompute_all(db, stopping=lambda: next(asked)) == 1
    assert db.runs.find_one({"_id": "recompute"})["last_at"] is None
    # Every write of one customer loses to another writer; one customer is deleted on the way.
    db.runs.update_one({"_id": "recompute"}, {"$set": {"last_at": "then"}})
    stale = [c["_id"] for c in db.customers.find({"keys_version": {"$exists": False}})]
    real_write = store.set_derived_fields

    def conflicted(db_, customer, *args):
        return customer["_id"] != stale[0] and real_write(db_, customer, *args)

    monkeypatch.setattr(store, "set_derived_fields", conflicted)
    assert insights.recompute_all(db) == 2
    assert db.runs.find_one({"_id": "recompute"})["last_at"] is None
    db.runs.update_one({"_id": "recompute"}, {"$set": {"last_at": "then"}})
    archive.delete_customer(db, SALES, stale[0])
    assert insights.recompute_all(db) == 2
    assert db.runs.find_one({"_id": "recompute"})["last_at"] == "then"


def test_a_new_key_version_asks_for_a_recompute_once(db):
    # An empty archive has nothing to recompute.
    assert store.has_marker(db, customer_record.KEYS_VERSION) and not db.runs.find_one({"_id": "recompute"})
    create(db, "Keyed Works")
    db.runs.update_one({"_id": "recompute"}, {"$set": {"last_at": "then"}}, upsert=True)
    db.runs.delete_many({"_id": customer_record.KEYS_VERSION})
    archive.prepare_database(db)
    assert db.runs.find_one({"_id": "recompute"})["last_at"] is None
    db.runs.update_one({"_id": "recompute"}, {"$set": {"last_at": "then"}})
    archive.prepare_database(db)
    assert db.runs.find_one({"_id": "recompute"})["last_at"] == "then"


def ordered(db, caller, **filters):
    return [c["legal_name"] for c in lists.list_customers(db, caller, dict(filters), 100, None)["items"]]


ALPHABETICAL = ["Acme Steel", "安徽江淮汽车", "ＢＥＡＲ Tools", "北京精密", "长春一汽配件", "重庆长安汽车配件厂",
                "西安重工", "先锋机械", "银行设备厂", "Zenith Motors"]


def test_names_sort_alphabetically_by_pinyin_with_latin_names_among_them():
    assert sorted(reversed(ALPHABETICAL), key=identifiers.sort_key) == ALPHABETICAL
    # 重庆 reads chongqing in its phrase; 长春 changchun; width and case ignored
    assert identifiers.sort_key("重庆").startswith("chong qing") and identifiers.sort_key("长春").startswith("chang")
    assert identifiers.sort_key("ＡＢＣ（中国）") == identifiers.sort_key("abc 中国")


def test_the_list_sorted_by_name_is_in_pinyin_order_both_ways_and_jumps_to_a_letter(db):
    for name in reversed(ALPHABETICAL):
        create(db, name)
    assert ordered(db, SALES, sort="legal_name") == ALPHABETICAL
    assert ordered(db, SALES, sort="-legal_name") == ALPHABETICAL[::-1]
    assert ordered(db, SALES, sort="legal_name", name_from="b") == ALPHABETICAL[2:]
    assert ordered(db, SALES, sort="legal_name", name_from="X") == ALPHABETICAL[6:]
    assert ordered(db, SALES, sort="legal_name", name_from="chong") == ALPHABETICAL[5:]
    assert ordered(db, SALES, sort="legal_name", name_from="北") == ALPHABETICAL[3:]
    assert ordered(db, SALES, sort="-legal_name", name_from="c") == ALPHABETICAL[5::-1]
    assert ordered(db, SALES, sort="legal_name", name_from="zz") == []
    # paging from a jump walks on to the end of the list
    first = lists.list_customers(db, SALES, {"sort": "legal_name", "name_from": "c"}, 2, None)
    rest = lists.list_customers(db, SALES, {"sort": "legal_name", "name_from": "c"}, 100, first["next_cursor"])
    assert [c["legal_name"] for c in first["items"] + rest["items"]] == ALPHABETICAL[4:]
    assert first["total"] == rest["total"] == len(ALPHABETICAL)  # the list's size, wherever it starts


def test_an_export_sorted_by_name_is_in_pinyin_order_too(db):
    for name in reversed(ALPHABETICAL):
        create(db, name)
    for sort, expected in (("legal_name", ALPHABETICAL), ("-legal_name", ALPHABETICAL[::-1])):
        page = exports.export_rows(db, SALES, {"sort": sort})
        assert [row[page["columns"].index("legal_name")] for row in page["rows"]] == expected


@pytest.mark.parametrize("filters", [{"name_from": "b"}, {"name_from": "b", "sort": "-updated_at"},
                                     {"name_from": "b", "sort": "legal_name", "q": "acme"}])
def test_the_jump_needs_the_list_sorted_by_name(db, filters):
    with pytest.raises(errors.ValidationFailed) as refused:
        lists.list_customers(db, SALES, filters, 10, None)
    assert "name_from" in refused.value.fields


def test_names_stored_before_the_sort_key_get_it_at_start_deleted_ones_too(db):
    live = create(db, "重庆长安汽车配件厂")
    gone = create(db, "北京精密")
    archive.delete_customer(db, SALES, gone["id"])
    db.customers.update_many({}, {"$unset": {"name_sort": ""}})
    db.runs.delete_one({"_id": archive.NAME_SORT_VERSION})
    archive.prepare_database(db)
    stored = {c["_id"]: c["name_sort"] for c in db.customers.find({}, {"name_sort": 1})}
    assert stored == {live["id"]: identifiers.sort_key("重庆长安汽车配件厂"),
                      gone["id"]: identifiers.sort_key("北京精密")}
    assert ordered(db, SALES, sort="legal_name", deleted=True) == ["北京精密"]


def test_a_cursor_of_one_deleted_customers_search_is_refused_by_another_text(db):
    for n in range(3):
        gone = create(db, "Acme Gone %d" % n)
        archive.delete_customer(db, SALES, gone["id"])
    page = lists.list_customers(db, SALES, {"q": "acme", "deleted": True}, 1, None)
    assert len(page["items"]) == 1 and page["next_cursor"]
    following = lists.list_customers(db, SALES, {"q": "acme", "deleted": True}, 5, page["next_cursor"])
    assert len(following["items"]) == 2
    for other in ("acmeg", "gone"):
        with pytest.raises(errors.BadRequest) as refused:
            lists.list_customers(db, SALES, {"q": other, "deleted": True}, 5, page["next_cursor"])
        assert refused.value.fields == {"cursor": [paging.BAD_CURSOR]}, other
