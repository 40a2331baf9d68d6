"""Regions in Chromium: an address's province / city / district picked in a cascader that loads
level by level, shown again when the customer is edited, the list filtered by a region at any
level, addresses placed from typed text or marked when they cannot be, and the labels in English."""
import re

from playwright.sync_api import expect

from tests.e2e.browser.conftest import pick_levels, shot, sign_in
from tests.support.customers import cjk, create_site

CUSTOMER_URL = re.compile(r".*/customers/([0-9a-f]{32})$")


def listed(page):
    page.locator("[data-test=customer-table] .el-loading-mask").wait_for(state="hidden")
    return page.locator("[data-test=customer-row-link]")


def test_a_region_is_picked_level_by_level_and_filters_the_list_at_any_level(page, ui_url, admin_api, make_user):
    site = create_site(admin_api, "R")
    username, password, _ = make_user(roles=("sales",), sites=[site["id"]])
    sign_in(page, ui_url, username, password)
    api = admin_api
    name = "%s精密机械有限公司" % cjk(4)
    page.goto(ui_url + "/customers/new")
    page.locator("[data-test=customer-legal_name]").fill(name)
    page.locator("[data-test=address-add]").click()
    region = "[data-test=address-0] [data-test=address-region]"
    pick_levels(page, region, "江苏省", "苏州市", "苏州工业园区")
    page.locator("[data-test=address-0] [data-test=address-street]").fill("星湖街328号")
    expect(page.locator(region + " input")).to_have_value("江苏省 / 苏州市 / 苏州工业园区")
    shot(page, "regions_address_picked")
    page.locator("[data-test=customer-save]").click()
    page.wait_for_url(CUSTOMER_URL)
    created = api.get("/customers/%s" % CUSTOMER_URL.match(page.url).group(1)).json()
    [address] = created["addresses"]
    assert (address["province_code"], address["city_code"], address["district_code"]) == ("320000", "320500", "320576")
    assert address["street"] == "星湖街328号" and address["region_unparsed"] is False

    # Edited again, the cascader shows the region it was saved with, each level loaded.
    page.goto(ui_url + "/customers/%s/edit" % created["id"])
    expect(page.locator(region + " input")).to_have_value("江苏省 / 苏州市 / 苏州工业园区")

    # Two more customers at the site: one whose typed text is placed, one whose text names no region.
    pudong = api.post("/customers", {"legal_name": "%s贸易有限公司" % cjk(4), "site_id": site["id"], "addresses": [
        {"type": "office", "street": "上海市浦东新区张江路88号"}]}, params={"force": "true"}).json()
    wuzhong = api.post("/customers", {"legal_name": "%s模具有限公司" % cjk(4), "site_id": site["id"], "addresses": [
        {"type": "office", "city": "苏州", "street": "吴中区木渎镇"}, {"type": "billing", "street": "某某路1号"}]},
        params={"force": "true"}).json()
    assert pudong["addresses"][0]["district_code"] == "310115"
    assert wuzhong["addresses"][1]["region_unparsed"] is True

    page.goto(ui_url + "/customers")
    filter_ = "[data-test=filter-region]"
    pick_levels(page, filter_, "江苏省")
    expect(listed(page)).to_have_count(2)
    pick_levels(page, filter_, "江苏省", "苏州市", "苏州工业园区")
    expect(listed(page)).to_have_text([name])
    pick_levels(page, filter_, "上海市")
    expect(listed(page)).to_have_text([pudong["legal_name"]])
    shot(page, "regions_list_filtered")

    # The 360 page names the regions and marks the address it could not place.
    page.goto(ui_url + "/customers/%s" % wuzhong["id"])
    page.locator("[data-test=tab-addresses]").click()
    expect(page.locator("[data-test=address-region-text]").first).to_have_text("江苏省 苏州市 吴中区")
    expect(page.locator("[data-test=address-unparsed]")).to_have_count(1)
    expect(page.locator("[data-test=address-unparsed]")).to_be_visible()
    shot(page, "regions_360_addresses")

    # In English the levels read in pinyin.
    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-en]").click()
    page.goto(ui_url + "/customers/%s/edit" % created["id"])
    expect(page.locator(region + " input")).to_have_value("Jiangsu / Suzhou / Suzhou Industrial Park")
    shot(page, "regions_address_english")
