"""The customer archive through the gateway, on the real broker and DB (issue: the customer archive)."""
import datetime

import pytest
from pypinyin import lazy_pinyin

from tests.support.customers import add_part, cjk, create_customer, ids, mobile, order, team, unique, uscc

TIMES = ("created_at", "updated_at", "last_verified_at")


@pytest.fixture(scope="module")
def people(stack, admin_api):
    return team(stack, admin_api)


def test_create_a_customer_and_read_it_back(people):
    body = {"legal_name": "%s精密机械有限公司" % cjk(4), "short_name": cjk(3), "tax_id": uscc(),
            "industry": "machinery", "tags": ["oem", "export", "oem"], "annual_revenue": 12500000,
            "addresses": [{"type": "billing", "street": "1 Factory Road", "city": "苏州", "province": "江苏"}]}
    created = create_customer(people.sales_a, **body)
    assert created["site_id"] == people.site_a["id"] and created["version"] == 1
    assert created["tags"] == ["export", "oem"] and created["tier"]["level"] == "general"
    assert created["last_verified_at"] and 0 < created["completeness"] < 100
    read = people.sales_a.get("/customers/%s" % created["id"])
    assert read.status_code == 200
    assert {key: value for key, value in read.json().items() if key not in TIMES} == {
        key: value for key, value in created.items() if key not in TIMES}
    assert all(datetime.datetime.fromisoformat(read.json()[key]) == datetime.datetime.fromisoformat(created[key])
               for key in TIMES)
    assert {key: read.json()[key] for key in ("legal_name", "short_name", "tax_id", "industry")} == {
        key: body[key] for key in ("legal_name", "short_name", "tax_id", "industry")}
    assert read.json()["addresses"][0]["city"] == "苏州" and read.json()["addresses"][0]["id"]


def test_similar_name_warns_with_candidates_and_force_creates(people):
    core = cjk(4)
    first = create_customer(people.sales_a, legal_name="%s机械有限公司" % core)
    warned = people.sales_a.post("/customers", {"legal_name": "%s机械股份有限公司" % core})
    assert warned.status_code == 409, warned.text
    error = warned.json()["error"]
    assert error["code"] == "possible_duplicate" and first["id"] in [c["id"] for c in error["candidates"]]
    forced = create_customer(people.sales_a, force=True, legal_name="%s机械股份有限公司" % core)
    assert forced["id"] != first["id"]


def test_same_tax_id_is_409_with_the_existing_id(people):
    tax_id = uscc()
    first = create_customer(people.sales_a, tax_id=tax_id)
    again = people.sales_a.post("/customers", {"legal_name": "Other Name %s" % unique(), "tax_id": tax_id},
                                params={"force": "true"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_tax_id" and again.json()["error"]["existing_id"] == first["id"]
    bad = people.sales_a.post("/customers", {"legal_name": "Bad Code %s" % unique(), "tax_id": tax_id[:-1] + (
        "0" if tax_id[-1] != "0" else "1")})
    assert bad.status_code == 422 and "tax_id" in bad.json()["error"]["fields"]


def test_a_stale_version_is_409(people):
    customer = create_customer(people.sales_a)
    path = "/customers/%s" % customer["id"]
    changed = people.sales_a.patch(path, {"industry": "automation", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = people.sales_a.patch(path, {"industry": "textiles", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert people.sales_a.get(path).json()["industry"] == "automation"


def test_another_site_sees_nothing_of_a_customer(people):
    name = "%s重工" % cjk(4)
    customer = create_customer(people.sales_a, legal_name=name)
    add_part(people.sales_a, customer["id"], "contacts", {"name": "赵磊", "phone": mobile()})
    path = "/customers/%s" % customer["id"]
    outsider = people.sales_b
    assert outsider.get(path).status_code == 404
    assert outsider.patch(path, {"industry": "x", "version": 1}).status_code == 404
    assert outsider.delete(path).status_code == 404
    assert outsider.get(path + "/contacts").status_code == 404
    assert outsider.post(path + "/contacts", {"name": "Li Lei"}).status_code == 404
    assert outsider.post(path + "/verify").status_code == 404
    assert customer["id"] not in ids(outsider.get("/customers", params={"q": name}).json())
    assert customer["id"] not in ids(outsider.get("/customers", params={"limit": 500}).json())
    assert people.sales_a.get(path).status_code == 200


def test_finance_sees_orders_but_no_contacts(people):
    name = "%s钢铁" % cjk(4)
    contact_name = "%s经理" % cjk(2)
    customer = create_customer(people.sales_a, legal_name=name)
    path = "/customers/%s" % customer["id"]
    add_part(people.sales_a, customer["id"], "contacts", {"name": contact_name, "phone": mobile()})
    recorded = add_part(people.finance_a, customer["id"], "orders", order(amount=8000))
    assert recorded["total_amount"] == 8000

    finance = people.finance_a
    assert finance.get(path).status_code == 200
    assert finance.get(path + "/contacts").status_code == 403
    assert finance.post(path + "/contacts", {"name": "Li Lei"}).status_code == 403
    assert finance.get(path + "/interactions").status_code == 403
    assert finance.get("/customers", params={"q": contact_name}).json()["total"] == 0
    assert customer["id"] in ids(finance.get("/customers", params={"q": name}).json())
    orders = finance.get(path + "/orders").json()
    assert ids(orders) == [recorded["id"]] and orders["items"][0]["lines"][0]["product"] == "Gear"
    assert customer["id"] in ids(people.sales_a.get("/customers", params={"q": contact_name}).json())


def test_a_viewer_reads_but_cannot_write(people):
    customer = create_customer(people.sales_a)
    viewer = people.viewer_a
    assert viewer.get("/customers/%s" % customer["id"]).status_code == 200
    refused = viewer.post("/customers", {"legal_name": "Viewer Made %s" % unique()})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert viewer.patch("/customers/%s" % customer["id"], {"industry": "x", "version": 1}).status_code == 403
    assert viewer.post("/customers/%s/contacts" % customer["id"], {"name": "Li Lei"}).status_code == 403


def test_a_contact_with_an_invalid_phone_is_422_on_phone(people):
    customer = create_customer(people.sales_a)
    path = "/customers/%s/contacts" % customer["id"]
    bad = people.sales_a.post(path, {"name": "Li Lei", "phone": "12345"})
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["phone"]
    foreign = add_part(people.sales_a, customer["id"], "contacts",
                       {"name": "Anna Schmidt", "phone": "030 901820", "phone_region": "DE", "primary": True})
    assert foreign["phone_region"] == "DE" and foreign["primary"] is True


def test_log_an_interaction_and_list_it(people):
    customer = create_customer(people.sales_a)
    logged = add_part(people.sales_a, customer["id"], "interactions", {
        "kind": "visit", "occurred_at": "2026-11-20T10:00:00+08:00", "participants": ["王芳", "Li Lei"],
        "summary": "Plant tour and quality review", "decisions": "Trial order of 200 gears",
        "next_step": "Send a quotation", "next_step_date": "2026-11-27"})
    assert logged["occurred_at"].startswith("2026-11-20T02:00:00")
    listed = people.sales_a.get("/customers/%s/interactions" % customer["id"]).json()
    assert ids(listed) == [logged["id"]] and listed["items"][0]["summary"] == "Plant tour and quality review"
    assert listed["items"][0]["next_step_date"] == "2026-11-27"


def test_an_opportunity_records_its_stage_changes(people):
    customer = create_customer(people.sales_a)
    opportunity = add_part(people.sales_a, customer["id"], "opportunities", {
        "title": "Gearbox line", "expected_amount": 250000, "expected_close_date": "2027-03-31", "probability": 30})
    assert [h["stage"] for h in opportunity["stage_history"]] == ["identified"]
    path = "/customers/%s/opportunities/%s" % (customer["id"], opportunity["id"])
    moved = people.sales_a.patch(path, {"stage": "proposal", "probability": 50, "version": opportunity["version"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "proposal"
    assert [h["stage"] for h in moved.json()["stage_history"]] == ["identified", "proposal"]
    assert people.sales_a.patch(path, {"stage": "won", "version": opportunity["version"]}).status_code == 409


def test_soft_delete_then_restore(people):
    customer = create_customer(people.sales_a)
    path = "/customers/%s" % customer["id"]
    assert people.sales_a.delete(path).status_code == 204
    assert people.sales_a.get(path).status_code == 404
    deleted = people.sales_a.get("/customers", params={"deleted": "true", "limit": 500}).json()
    assert customer["id"] in ids(deleted)
    restored = people.sales_a.post(path + "/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert people.sales_a.get(path).status_code == 200


def test_verify_stamps_last_verified_at(people):
    customer = create_customer(people.sales_a)
    verified = people.sales_a.post("/customers/%s/verify" % customer["id"])
    assert verified.status_code == 200
    assert verified.json()["last_verified_at"] > customer["last_verified_at"]
    due = people.sales_a.get("/customers/review-due")
    assert due.status_code == 200 and customer["id"] not in ids(due.json())


def test_saved_views(people):
    body = {"name": "VIP %s" % unique(), "filters": {"tier": "vip", "region": "江苏"},
            "columns": ["legal_name", "tier", "owner_id"], "shared": True}
    created = people.sales_a.post("/views", body)
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["filters"] == body["filters"] and view["site_id"] == people.site_a["id"]
    assert view["id"] in ids(people.sales_a.get("/views").json())
    assert view["id"] in ids(people.viewer_a.get("/views").json())
    assert view["id"] not in ids(people.sales_b.get("/views").json())
    assert people.sales_b.delete("/views/%s" % view["id"]).status_code == 404
    private = people.sales_a.post("/views", dict(body, name="Mine %s" % unique(), shared=False)).json()
    assert private["id"] in ids(people.sales_a.get("/views").json())
    assert private["id"] not in ids(people.viewer_a.get("/views").json())
    assert people.sales_a.delete("/views/%s" % view["id"]).status_code == 204
    assert view["id"] not in ids(people.sales_a.get("/views").json())


def test_search_by_prefix_over_chinese_and_latin_names_and_contact_phone(people):
    core, latin = cjk(4), unique("Acme")
    chinese = create_customer(people.sales_a, legal_name="%s精工机械有限公司" % core)
    english = create_customer(people.sales_a, legal_name="%s Precision Co., Ltd." % latin)
    phone, international = mobile(), mobile()
    add_part(people.sales_a, english["id"], "contacts", {"name": "Li Lei", "phone": phone})
    add_part(people.sales_a, chinese["id"], "contacts", {"name": "王芳", "phone": "+86 %s" % international})

    def found(q):
        return ids(people.sales_a.get("/customers", params={"q": q}).json())

    assert found(core[:3]) == [chinese["id"]]
    assert chinese["id"] in found(core[2:] + "精工")
    assert found(latin.lower()) == [english["id"]]
    assert found(latin.upper()[:8]) == [english["id"]]
    assert found(phone[:9]) == [english["id"]]
    assert found(phone[:3] + " " + phone[3:7]) == [english["id"]] or len(found(phone[:7])) > 1
    assert found(international) == [chinese["id"]]
    # by pinyin too: whole, initials, and characters then initials (other names may read the same)
    syllables = lazy_pinyin(chinese["legal_name"])
    assert chinese["id"] in found("".join(syllables))
    assert chinese["id"] in found("".join(syllables[:5]))
    assert chinese["id"] in found("".join(s[0] for s in syllables))
    assert chinese["id"] in found(core[:2] + "".join(s[0] for s in syllables[2:6]))


def test_a_one_letter_search_pages_through_every_match_once_in_a_site_most_of_whose_names_share_it(
        stack, admin_api):
    """In a site of its own: 30 of its 32 customers are "Kestrel …", so "k" and "kes" are read from
    the list's windows once the service's sample holds them, "q" is looked up by its holders' keys;
    either way every match comes once, page after page."""
    from tests.support.customers import create_site, create_user, signed_in

    site = create_site(admin_api, "Letters")
    sales = signed_in(stack, create_user(admin_api, [site["id"]], ["sales"]))
    made = {create_customer(sales, legal_name="Kestrel %s Works" % unique(""), force=True)["id"] for _ in range(30)}
    quorum = {create_customer(sales, legal_name="Quorum %s Ltd" % unique(""), force=True)["id"] for _ in range(2)}

    def pages(q, limit=4):
        seen, cursor = [], None
        while True:
            response = sales.get("/customers", params=dict({"q": q, "limit": limit}, **({"cursor": cursor} if cursor
                                                                                       else {})))
            assert response.status_code == 200, response.text
            page = response.json()
            seen += ids(page)
            assert page["total"] >= len(seen)
            cursor = page["next_cursor"]
            if not cursor:
                assert page["total"] == len(seen) and not page["total_is_lower_bound"]
                return seen

    for q in ("k", "K", "kes", "kestrel"):
        found = pages(q)
        assert len(found) == len(set(found)) and set(found) == made, q
    assert set(pages("q")) == quorum and pages("z") == []


def test_names_sort_by_pinyin_and_the_list_jumps_to_a_letter(stack, admin_api):
    """In a site of its own, as its sales user sees it through the gateway."""
    from tests.support.customers import create_site, create_user, signed_in

    site = create_site(admin_api, "Pinyin")
    sales = signed_in(stack, create_user(admin_api, [site["id"]], ["sales"]))
    names = ["Acme Steel", "安徽江淮汽车", "北京精密", "长春一汽配件", "重庆长安汽车配件厂", "西安重工", "先锋机械"]
    for name in reversed(names):
        create_customer(sales, legal_name=name)

    def listed(**params):
        response = sales.get("/customers", params=params)
        assert response.status_code == 200, response.text
        return [c["legal_name"] for c in response.json()["items"]]

    assert listed(sort="legal_name") == names
    assert listed(sort="-legal_name") == names[::-1]
    assert listed(sort="legal_name", name_from="C") == names[3:]
    assert listed(sort="legal_name", name_from="xi") == names[5:]
    assert listed(sort="legal_name", name_from="xian") == names[6:]  # 西安 reads xi an, before xian
    refused = sales.get("/customers", params={"name_from": "C"})
    assert refused.status_code == 422 and "name_from" in refused.json()["error"]["fields"]
    too_long = sales.get("/customers", params={"sort": "legal_name", "name_from": "c" * 21})
    assert too_long.status_code == 422 and "name_from" in too_long.json()["error"]["fields"]
