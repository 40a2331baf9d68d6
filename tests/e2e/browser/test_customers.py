"""The customer list and the create / edit form in Chromium: creating, the duplicate warning,
field errors, a stale edit, search and filters, saved views, export, and what a viewer is offered."""
import re

from playwright.sync_api import expect

from tests.e2e.browser.conftest import pick_levels, shot, sign_in, ui_site
from tests.support.customers import cjk, create_site, mobile, uscc

CUSTOMER_URL = re.compile(r".*/customers/([0-9a-f]{32})$")


def open_list(page, ui_url):
    page.goto(ui_url + "/customers")
    page.locator("[data-test=customer-table]").wait_for()
    page.locator("[data-test=customer-table] .el-loading-mask").wait_for(state="hidden")


def open_new_form(page, ui_url):
    open_list(page, ui_url)
    page.locator("[data-test=customer-create]").click()
    page.wait_for_url("**/customers/new")
    page.locator("[data-test=customer-legal_name]").wait_for()


def field_error(page, field):
    """The message el-form-item shows under the field driven by data-test=customer-<field>."""
    return page.locator(".el-form-item:has([data-test=customer-%s]) .el-form-item__error" % field)


def add_tag(page, tag):
    page.locator("[data-test=customer-tags]").click()
    page.locator("[data-test=customer-tags] input").press_sequentially(tag)
    page.locator(".el-select-dropdown__item:visible", has_text=tag).click()
    page.locator("[data-test=customer-tags] .el-tag", has_text=tag).wait_for()


def pick_industry(page, field, section, division=None):
    """In the industry cascader driven by data-test=<field>: a section (its radio), or a division of it."""
    page.locator("[data-test=%s]" % field).click()
    menus = page.locator(".el-cascader__dropdown:visible .el-cascader-menu")

    def node(menu, label):
        exact = page.locator(".el-cascader-node__label", has_text=re.compile("^%s$" % re.escape(label)))
        return menu.locator(".el-cascader-node").filter(has=exact)

    if division is None:
        node(menus.nth(0), section).locator(".el-radio").click()
    else:
        node(menus.nth(0), section).click()
        node(menus.nth(1), division).click()
    if page.locator(".el-cascader__dropdown:visible").count():
        page.keyboard.press("Escape")
    page.locator(".el-cascader__dropdown:visible").wait_for(state="hidden")


def pick_option(page, field, label):
    page.locator("[data-test=%s]" % field).click()
    page.locator(".el-select-dropdown__item:visible", has_text=re.compile("^%s$" % re.escape(label))).click()


def customers_named(api, name):
    response = api.get("/customers", params={"q": name, "limit": 50})
    assert response.status_code == 200, response.text
    return [c for c in response.json()["items"] if c["legal_name"] == name]


def rows(page):
    return page.locator("[data-test=customer-row-link]")


def wait_for_total(page, count):
    page.locator("[data-test=customer-total]", has_text=re.compile(r"\b%d\b" % count)).wait_for()
    page.locator("[data-test=customer-table] .el-loading-mask").wait_for(state="hidden")


def test_create_a_customer_then_a_similar_one_warns_and_can_be_created_anyway(admin_page, ui_url, admin_api):
    page = admin_page
    name, tax_id = "%s精密机械有限公司" % cjk(4), uscc()
    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill(name)
    page.locator("[data-test=customer-short_name]").fill(name[:4])
    page.locator("[data-test=customer-tax_id]").fill(tax_id)
    pick_industry(page, "customer-industry_code", "制造业", "通用设备制造业")
    page.locator("[data-test=customer-phone]").fill(mobile())
    add_tag(page, "浏览器测试")
    page.locator("[data-test=address-add]").click()
    pick_levels(page, "[data-test=address-0] [data-test=address-region]", "江苏省", "苏州市")
    shot(page, "customers_form_filled")
    page.locator("[data-test=customer-save]").click()

    page.wait_for_url(CUSTOMER_URL)
    first_id = CUSTOMER_URL.match(page.url).group(1)
    page.get_by_text(name, exact=True).first.wait_for()
    [first] = customers_named(admin_api, name)
    assert first["id"] == first_id
    assert first["tags"] == ["浏览器测试"] and first["industry_code"] == "C34"
    assert (first["addresses"][0]["city_code"], first["addresses"][0]["city_name"]) == ("320500", "苏州市")
    shot(page, "customers_created")

    # The same name again (no tax id): the archive names the first one as similar.
    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill(name)
    page.locator("[data-test=customer-save]").click()
    dialog = page.locator(".el-dialog:has([data-test=duplicate-list])")
    dialog.wait_for()
    expect(dialog.locator("[data-test=duplicate-list]").get_by_text(name)).to_be_visible()
    expect(dialog.locator("[data-test=duplicate-list]")).to_contain_text(tax_id)
    shot(page, "customers_duplicate_warning")
    dialog.locator("[data-test=duplicate-open]").first.click()
    page.wait_for_url("**/customers/%s" % first_id)
    page.get_by_text(name, exact=True).first.wait_for()

    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill(name)
    page.locator("[data-test=customer-short_name]").fill("分厂")
    page.locator("[data-test=customer-save]").click()
    page.locator("[data-test=duplicate-force]").click()
    page.wait_for_url(CUSTOMER_URL)
    second_id = CUSTOMER_URL.match(page.url).group(1)
    assert second_id != first_id
    both = customers_named(admin_api, name)
    assert {c["id"] for c in both} == {first_id, second_id}
    assert [c["short_name"] for c in both if c["id"] == second_id] == ["分厂"]
    shot(page, "customers_created_anyway")


def test_field_errors_from_the_api_show_next_to_the_field_and_a_stale_edit_is_reported(admin_page, ui_url, admin_api):
    page = admin_page
    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill("%s电子有限公司" % cjk(4))
    page.locator("[data-test=customer-tax_id]").fill("91320500ABCDEFGH12")
    page.locator("[data-test=customer-phone]").fill("12345")
    page.locator("[data-test=customer-save]").click()
    field_error(page, "tax_id").wait_for()
    assert "统一社会信用代码" in field_error(page, "tax_id").inner_text()  # the server's message, in Chinese
    assert "电话号码" in field_error(page, "phone").inner_text()
    assert page.url.endswith("/customers/new")
    shot(page, "customers_field_errors")

    created = admin_api.post("/customers", {"legal_name": "%s模具有限公司" % cjk(4), "short_name": "旧简称"}).json()
    page.goto(ui_url + "/customers/%s/edit" % created["id"])
    page.locator("[data-test=customer-short_name]").wait_for()
    page.wait_for_function("document.querySelector('[data-test=customer-short_name]').value === '旧简称'")
    # Someone else saves first: this form's version is stale now.
    changed = admin_api.patch("/customers/%s" % created["id"], {"notes": "电话确认过", "version": created["version"]})
    assert changed.status_code == 200, changed.text
    page.locator("[data-test=customer-short_name]").fill("新简称")
    page.locator("[data-test=customer-save]").click()
    page.locator("[data-test=customer-stale]").wait_for()
    shot(page, "customers_stale_edit")
    page.locator("[data-test=customer-stale-reload]").click()
    page.locator("[data-test=customer-stale]").wait_for(state="hidden")
    page.wait_for_function("document.querySelector('[data-test=customer-notes]').value === '电话确认过'")
    page.locator("[data-test=customer-short_name]").fill("新简称")
    page.locator("[data-test=customer-save]").click()
    page.wait_for_url("**/customers/%s" % created["id"])
    after = admin_api.get("/customers/%s" % created["id"]).json()
    assert after["short_name"] == "新简称" and after["notes"] == "电话确认过"
    assert after["version"] == created["version"] + 2


def test_search_and_a_filter_narrow_the_list_and_a_saved_view_brings_them_back(admin_page, ui_url, admin_api):
    page = admin_page
    prefix = cjk(5)
    tag = "展会%s" % cjk(2)
    for suffix, tags in (("轴承有限公司", [tag]), ("齿轮有限公司", [])):
        response = admin_api.post("/customers", {"legal_name": prefix + suffix, "tags": tags, "industry": "机械"})
        assert response.status_code == 201, response.text

    open_list(page, ui_url)
    page.locator("[data-test=customer-search]").fill(prefix)
    page.locator("[data-test=customer-search]").press("Enter")
    expect(rows(page)).to_have_text([prefix + "齿轮有限公司", prefix + "轴承有限公司"])
    wait_for_total(page, 2)

    page.locator("[data-test=filter-tag]").fill(tag)
    page.locator("[data-test=filter-apply]").click()
    expect(rows(page)).to_have_text([prefix + "轴承有限公司"])
    wait_for_total(page, 1)
    shot(page, "customers_filtered")

    # Sort by name (server side), then save the filters and sort as a view.
    page.locator("[data-test=customer-table] th:has-text('企业全称')").click()
    wait_for_total(page, 1)
    view_name = "展会客户%s" % cjk(2)
    page.locator("[data-test=view-save]").click()
    page.locator("[data-test=view-name]").fill(view_name)
    page.locator("[data-test=view-save-submit]").click()
    page.locator("[data-test=view-name]").wait_for(state="hidden")
    views = admin_api.get("/views").json()["items"]
    [saved] = [v for v in views if v["name"] == view_name]
    assert saved["filters"] == {"q": prefix, "tag": tag, "sort": "legal_name"}

    page.locator("[data-test=filter-reset]").click()
    page.locator("[data-test=customer-total]", has_text=re.compile(r"\b1\b")).wait_for(state="detached")
    assert page.locator("[data-test=customer-search]").input_value() == ""

    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-item]", has_text=view_name).click()
    expect(rows(page)).to_have_text([prefix + "轴承有限公司"])
    wait_for_total(page, 1)
    assert page.locator("[data-test=customer-search]").input_value() == prefix
    assert page.locator("[data-test=filter-tag]").input_value() == tag
    shot(page, "customers_view_applied")

    # Export the list as it is filtered now.
    with page.expect_download() as download_info:
        page.locator("[data-test=customer-export]").click()
        page.locator("[data-test=export-csv]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = open(download.path(), encoding="utf-8-sig").read()
    assert prefix + "轴承有限公司" in content and prefix + "齿轮有限公司" not in content

    # Delete the view again.
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-item]", has_text=view_name).locator("[data-test=view-delete]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator(".el-message", has_text="已删除").wait_for()
    assert not [v for v in admin_api.get("/views").json()["items"] if v["name"] == view_name]
    shot(page, "customers_view_deleted")


def pick_owner(page, select, name):
    """Search a colleague by name in an owner picker and take them: once the search's answer is
    drawn (the options listed before it, every colleague, are gone but "no owner" and the one
    chosen now; a click while they are redrawn can land on none), then the picker shows them."""
    page.locator(select).click()
    page.locator(select + " input").fill(name)
    others = page.locator(".el-select-dropdown__item:visible:not([data-test=owner-option-none]):not(.is-selected)")
    expect(others.filter(has_not_text=name)).to_have_count(0)
    others.filter(has_text=name).first.click()
    expect(page.locator(select)).to_contain_text(name)


def test_a_sales_user_assigns_a_customer_to_a_colleague_and_filters_by_them(page, ui_url, admin_api, make_user):
    _, _, colleague_id = make_user(roles=("sales",))
    colleague = admin_api.get("/users/%s" % colleague_id).json()
    display_name = "王%s" % cjk(2)
    response = admin_api.patch("/users/%s" % colleague_id, {"display_name": display_name, "version": colleague["version"]})
    assert response.status_code == 200, response.text
    username, password, _ = make_user(roles=("sales",))
    sign_in(page, ui_url, username, password)

    name = "%s机电有限公司" % cjk(4)
    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill(name)
    pick_owner(page, "[data-test=customer-owner_id]", display_name)
    expect(page.locator("[data-test=customer-owner_id]")).to_contain_text(display_name)
    shot(page, "customers_owner_colleague")
    page.locator("[data-test=customer-save]").click()
    page.wait_for_url(CUSTOMER_URL)
    customer_id = CUSTOMER_URL.match(page.url).group(1)
    assert admin_api.get("/customers/%s" % customer_id).json()["owner_id"] == colleague_id
    expect(page.locator("[data-test=customer-owner]")).to_have_text(display_name)

    open_list(page, ui_url)
    pick_owner(page, "[data-test=filter-owner]", display_name)
    expect(rows(page)).to_have_text([name], timeout=30000)  # a loaded machine answers a filter slowly
    wait_for_total(page, 1)
    expect(page.locator("[data-test=customer-table] .el-table__body")).to_contain_text(display_name)
    shot(page, "customers_filtered_by_owner")


def test_a_viewer_sees_the_list_but_is_not_offered_create_edit_or_delete(page, ui_url, admin_api, make_user):
    name = "%s纺织有限公司" % cjk(4)
    response = admin_api.post("/customers", {"legal_name": name, "site_id": ui_site(admin_api)})
    assert response.status_code == 201, response.text
    username, password, _ = make_user(roles=("viewer",))
    sign_in(page, ui_url, username, password)
    page.locator("[data-test=menu-customers]").click()
    page.wait_for_url("**/customers")
    expect(rows(page).filter(has_text=name)).to_have_count(1)
    assert page.locator("[data-test=customer-create]").count() == 0
    assert page.locator("[data-test=customer-edit]").count() == 0
    assert page.locator("[data-test=customer-delete]").count() == 0
    shot(page, "customers_viewer")
    # The form itself is closed to them too.
    page.goto(ui_url + "/customers/new")
    page.wait_for_url(re.compile(r".*/$"))


def test_two_filters_show_a_lower_bound_until_the_last_page_makes_the_total_exact(admin_page, ui_url, admin_api):
    """A list of two filters has no kept count: the first page says "21+", the last one "21"."""
    page = admin_page
    tag = "双筛选%s" % cjk(2)
    for number in range(21):
        response = admin_api.post("/customers", {"legal_name": "%s阀门厂%02d" % (cjk(3), number), "tags": [tag],
                                                 "industry_code": "C34"})
        assert response.status_code == 201, response.text
    open_list(page, ui_url)
    page.locator("[data-test=filter-tag]").fill(tag)
    pick_industry(page, "filter-industry", "制造业")
    page.locator("[data-test=filter-apply]").click()
    page.locator("[data-test=customer-total]", has_text="共 21+ 条").wait_for()
    expect(rows(page)).to_have_count(20)
    page.locator("[data-test=page-next]").click()
    page.locator("[data-test=customer-total]", has_text=re.compile(r"^共 21 条$")).wait_for()
    expect(rows(page)).to_have_count(1)


def test_the_a_to_z_jump_lists_names_by_pinyin_from_the_chosen_letter(page, ui_url, admin_api, make_user):
    """In a site of its own: 安徽… before 北京… before 重庆…, and B starts the list at 北京."""
    site = create_site(admin_api, "AZ")
    names = ["安徽江淮汽车", "北京精密", "重庆长安汽车配件厂", "西安重工", "Zenith Motors"]
    for name in reversed(names):
        response = admin_api.post("/customers", {"legal_name": name, "site_id": site["id"]})
        assert response.status_code == 201, response.text
    username, password, _ = make_user(roles=("sales",), sites=[site["id"]])
    sign_in(page, ui_url, username, password)
    open_list(page, ui_url)
    page.locator("[data-test=letter]", has_text=re.compile("^B$")).click()
    expect(rows(page)).to_have_text(names[1:])
    expect(page.locator("[data-test=customer-table] th.ascending")).to_have_count(1)
    shot(page, "customers_letter_jump")
    page.locator("[data-test=letter]", has_text=re.compile("^X$")).click()
    expect(rows(page)).to_have_text(names[3:])
    page.locator("[data-test=letter-clear]").click()
    expect(rows(page)).to_have_text(names)


def test_the_form_takes_industry_size_and_source_from_the_catalogues(admin_page, ui_url, admin_api):
    """Industry from the GB/T 4754 cascader, company size and source channel from the API's
    catalogues (a channel of one's own typed in); the size is derived until one is chosen; the
    list and the 360 page show the industry by its name."""
    page = admin_page
    name = "%s汽车配件有限公司" % cjk(4)
    open_new_form(page, ui_url)
    page.locator("[data-test=customer-legal_name]").fill(name)
    pick_industry(page, "customer-industry_code", "制造业", "汽车制造业")
    expect(page.locator("[data-test=customer-industry_code] input")).to_have_value("制造业 / 汽车制造业")
    page.locator("[data-test=customer-employees] input").fill("350")
    page.locator("[data-test=customer-annual_revenue] input").fill("50000000")
    pick_option(page, "customer-source_channel", "展会")
    shot(page, "customers_form_catalogues")
    page.locator("[data-test=customer-save]").click()
    page.wait_for_url(CUSTOMER_URL)
    [created] = customers_named(admin_api, name)
    assert (created["industry_code"], created["employees"], created["source_channel"]) == ("C36", 350, "exhibition")
    assert (created["company_size"], created["company_size_derived"]) == ("medium", True)
    expect(page.locator("[data-test=customer-industry]")).to_have_text("汽车制造业")

    page.goto(ui_url + "/customers/%s/edit" % created["id"])
    page.locator("[data-test=customer-company_size-derived]").wait_for()
    expect(page.locator("[data-test=customer-company_size]")).to_contain_text("中型")
    pick_option(page, "customer-company_size", "大型")
    page.locator("[data-test=customer-source_channel]").click()
    page.locator("[data-test=customer-source_channel] input").fill("老客户的朋友")
    page.keyboard.press("Enter")
    page.locator("[data-test=customer-save]").click()
    page.wait_for_url(CUSTOMER_URL)
    page.locator("[data-test=customer-industry]").wait_for()
    [changed] = customers_named(admin_api, name)
    assert (changed["company_size"], changed["company_size_derived"], changed["source_channel"]) == (
        "large", False, "老客户的朋友")

    open_list(page, ui_url)
    page.locator("[data-test=customer-search]").fill(name)
    page.locator("[data-test=filter-apply]").click()
    wait_for_total(page, 1)
    expect(page.locator("[data-test=customer-table] .el-table__row").first).to_contain_text("汽车制造业")
    shot(page, "customers_industry_column")
