"""Sales targets, scorecards and leaderboards, the expected-orders card and a customer's forecast and
recommended products, in Chromium: a manager sets and splits a target, a salesperson sees only their
own, and the pages show what the API answers."""
import datetime
import re

from tests.e2e.browser.conftest import shot, sign_in
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, order


def today(days=0):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def pick_person(page, select, name):
    """Search a colleague by name in a person picker at ``select`` and take them."""
    page.locator(select).click()
    page.locator(select + " input").fill(name)
    page.locator(".el-select-dropdown__item:visible", has_text=name).first.click()


def site_with_staff(admin_api, make_user, label, sellers=1):
    """A site of the test's own (no other test's targets or records in it), its manager and salespeople:
    (site, (manager name, password, id), [(seller name, password, id), ...])."""
    site = create_site(admin_api, label)
    manager = make_user(roles=("manager",), sites=[site["id"]])
    staff = [make_user(roles=("sales",), sites=[site["id"]]) for _ in range(sellers)]
    return site, manager, staff


def test_a_manager_sets_a_site_target_splits_it_to_a_salesperson_and_sees_the_bars(page, ui_url, admin_api, make_user,
                                                                                   api_for):
    site, (manager, password, _), [(seller, _, seller_id)] = site_with_staff(admin_api, make_user, "TGT")
    customer = create_customer(admin_api, force=True, site_id=site["id"], owner_id=seller_id)
    add_part(admin_api, customer["id"], "orders", order(amount=30000.0, order_date=today()))

    sign_in(page, ui_url, manager, password)
    page.goto(ui_url + "/targets")
    page.locator("[data-test=targets-table]").wait_for()
    assert page.locator("[data-test=targets-site]").count() == 0  # one site: nothing to choose
    page.locator("[data-test=target-create]").click()
    page.locator("[data-test=target-value] input").fill("100000")
    page.locator("[data-test=target-save]").click()

    holder = page.locator("[data-test=target-holder]", has_text=site["name"])
    holder.wait_for()
    manager_api = api_for(ui_url, manager, password)
    [target] = manager_api.get("/targets", params={"site_id": site["id"]}).json()["items"]
    assert (target["holder_kind"], target["measure"], target["value"]) == ("site", "order_amount", 100000.0)
    assert target["attainment"]["actual"] == 30000.0
    bar = page.locator("[data-test=target-bar-%s]" % target["id"])
    assert "30%" in bar.inner_text()
    assert "30,000" in page.locator("[data-test=target-row-%s]" % target["id"]).locator(
        "xpath=ancestor::tr").inner_text()

    page.locator("[data-test=target-split-%s]" % target["id"]).click()
    page.locator("[data-test=split-unassigned]", has_text="100,000").wait_for()
    pick_person(page, "[data-test=split-user]", seller)
    page.locator("[data-test=split-value] input").fill("40000")
    page.locator("[data-test=split-add]").click()
    page.locator("[data-test=split-parts] [data-test^=split-part-]", has_text=seller).wait_for()
    page.locator("[data-test=split-unassigned]", has_text="60,000").wait_for()
    shot(page, "targets_split")
    page.locator("[data-test=split-close]").click()

    whole = manager_api.get("/targets/%s" % target["id"]).json()
    [part] = whole["children"]
    assert (part["holder_kind"], part["holder_id"], part["value"], whole["unassigned"]) == (
        "user", seller_id, 40000.0, 60000.0)
    assert part["attainment"]["actual"] == 30000.0
    page.locator("[data-test=target-holder]", has_text=seller).wait_for()
    assert "75%" in page.locator("[data-test=target-bar-%s]" % part["id"]).inner_text()
    shot(page, "targets_bars")


def test_a_salesperson_sees_only_their_own_targets(page, ui_url, admin_api, make_user):
    site, _, [(seller, password, seller_id), (other, _, other_id)] = site_with_staff(
        admin_api, make_user, "OWN", sellers=2)
    period = "%d-%02d" % (datetime.date.today().year, datetime.date.today().month)
    created = admin_api.post("/targets", {"site_id": site["id"], "period": period, "measure": "new_customers",
                                          "value": 10, "holder_kind": "site", "holder_id": None})
    assert created.status_code == 201, created.text
    for user_id in (seller_id, other_id):
        part = admin_api.post("/targets", {"site_id": site["id"], "period": period, "measure": "new_customers",
                                           "value": 5, "holder_kind": "user", "holder_id": user_id,
                                           "parent_id": created.json()["id"]})
        assert part.status_code == 201, part.text

    sign_in(page, ui_url, seller, password)
    page.goto(ui_url + "/targets")
    page.locator("[data-test=targets-own-only]").wait_for()
    page.locator("[data-test=period-kind]").click()
    page.locator("[data-test=period-kind-month]").click()
    page.locator("[data-test=target-holder]", has_text=seller).wait_for()
    assert page.locator("[data-test=target-holder]").all_inner_texts() == [seller]
    assert page.locator("[data-test=target-create]").count() == 0
    assert page.locator("[data-test^=target-split-]").count() == 0
    shot(page, "targets_own")


def test_the_scorecard_shows_the_measures_and_a_manager_ranks_and_exports(page, ui_url, admin_api, make_user, api_for):
    site, (manager, manager_password, _), [(seller, password, seller_id)] = site_with_staff(
        admin_api, make_user, "CARD")
    seller_api = api_for(ui_url, seller, password)
    customer = create_customer(admin_api, force=True, site_id=site["id"], owner_id=seller_id)
    add_part(seller_api, customer["id"], "interactions", {"kind": "visit", "summary": "Plant tour and price talk",
                                                              "occurred_at": now()})
    add_part(admin_api, customer["id"], "orders", order(amount=12000.0, order_date=today()))

    sign_in(page, ui_url, seller, password)
    page.goto(ui_url + "/scorecards")
    page.locator("[data-test=scorecard-holder]", has_text=seller).wait_for()
    assert page.locator("[data-test=measure-new_customers] [data-test=measure-value]").inner_text() == "1"
    assert page.locator("[data-test=measure-interactions] [data-test=measure-value]").inner_text() == "1"
    assert "1" in page.locator("[data-test=measure-interactions] [data-test=interactions-visit]").inner_text()
    assert "12,000" in page.locator("[data-test=measure-order_amount] [data-test=measure-value]").inner_text()
    assert page.locator("[data-test=measure-order_amount] .label").inner_text() == "订单金额"
    assert page.locator("[data-test=scorecards-export]").count() == 0
    assert page.locator("[data-test=tab-leaderboard]").count() == 0  # a ranking of the site's staff is the manager's
    shot(page, "scorecard_own")

    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-en]").click()
    page.locator("[data-test=measure-order_amount] .label", has_text="Order amount").wait_for()

    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    sign_in(page, ui_url, manager, manager_password)
    page.goto(ui_url + "/scorecards")
    page.locator("[data-test=tab-leaderboard]").click()
    page.locator("[data-test=leaderboard-measure]").click()
    page.locator("[data-test=leaderboard-measure-new_customers]").click()
    row = page.locator("[data-test=leaderboard] tr", has=page.locator("[data-test=leaderboard-user-%s]" % seller_id))
    row.wait_for()
    assert row.locator("[data-test=leaderboard-rank]").inner_text() == "1"
    assert row.locator("[data-test=leaderboard-value]").inner_text() == "1"
    shot(page, "leaderboard")

    with page.expect_download() as download_info:
        page.locator("[data-test=scorecards-export]").click()
    assert re.search(r"\.xlsx$", download_info.value.suggested_filename)


def customer_with_a_cadence(admin_api, site_id, **fields):
    """A customer that ordered a gearbox every 30 days, the last 25 days ago: its next order is expected in
    about 5 days."""
    customer = create_customer(admin_api, force=True, site_id=site_id, industry="machinery", **fields)
    for days in (115, 85, 55, 25):
        add_part(admin_api, customer["id"], "orders", order(amount=20000.0, order_date=today(-days), product="Gearbox"))
    return customer


def test_the_360_page_shows_the_next_order_and_a_recommended_product(page, ui_url, admin_api, make_user, api_for):
    site, (manager, password, _), _ = site_with_staff(admin_api, make_user, "REC", sellers=0)
    customer = customer_with_a_cadence(admin_api, site["id"])
    for _ in range(2):  # customers of the same industry buy a pump with their gearbox
        peer = create_customer(admin_api, force=True, site_id=site["id"], industry="machinery")
        both = order(amount=35000.0, order_date=today(-40), product="Gearbox")
        both["lines"].append({"product": "Hydraulic pump", "quantity": 2, "amount": 8000.0})
        add_part(admin_api, peer["id"], "orders", both)
    manager_api = api_for(ui_url, manager, password)
    forecast = manager_api.get("/customers/%s/forecast" % customer["id"]).json()
    assert forecast["next_order"]["expected_date"] > today()
    recommended = eventually(lambda: manager_api.get("/customers/%s/recommendations" % customer["id"]).json(),
                             lambda found: [i for i in found["items"] if i["product"] == "Hydraulic pump"])

    sign_in(page, ui_url, manager, password)
    page.goto("%s/customers/%s" % (ui_url, customer["id"]))
    page.locator("[data-test=figure-expected-order]").wait_for()
    page.locator("[data-test=tab-forecast]").click()
    page.locator("[data-test=forecast-date]").wait_for()
    assert page.locator("[data-test=forecast-date]").inner_text().strip()
    assert "20,000" in page.locator("[data-test=forecast-amount]").inner_text()
    item = page.locator("[data-test=recommendation]", has_text="Hydraulic pump")
    item.wait_for()
    reason = item.locator("[data-test=recommendation-reason]").inner_text()
    kind = next(i for i in recommended["items"] if i["product"] == "Hydraulic pump")["reason"]["kind"]
    assert ("Gearbox" in reason) if kind == "bought_together" else ("2 个" in reason), reason
    shot(page, "customer360_forecast")


def test_the_dashboard_lists_an_expected_order_and_the_list_shows_the_forecast(page, ui_url, admin_api, make_user):
    site, (manager, password, _), _ = site_with_staff(admin_api, make_user, "EXP", sellers=0)
    customer = customer_with_a_cadence(admin_api, site["id"])

    sign_in(page, ui_url, manager, password)
    link = page.locator("[data-test=card-expected-orders] [data-test=expected-customer]",
                        has_text=customer["legal_name"])
    link.wait_for()
    assert link.get_attribute("href") == "/customers/%s" % customer["id"]
    row = page.locator("[data-test=card-expected-orders] tr", has=page.locator(
        "[data-test=expected-customer]", has_text=customer["legal_name"]))
    assert "天后" in row.locator("[data-test=expected-when]").inner_text()
    assert "20,000" in row.locator("[data-test=expected-amount]").inner_text()
    link.scroll_into_view_if_needed()
    shot(page, "dashboard_expected_orders")

    page.goto(ui_url + "/customers")
    page.locator("[data-test=columns-button]").click()
    page.locator("[data-test=column-forecast]").click()
    cell = page.locator("[data-test=customer-forecast-%s]" % customer["id"])
    cell.wait_for()
    assert cell.inner_text().strip()


def test_the_pipeline_on_the_targets_page_weighs_open_opportunities_by_the_site_s_chances(
        page, ui_url, admin_api, make_user, api_for):
    site, (manager, password, _), [(_, _, seller_id)] = site_with_staff(admin_api, make_user, "PIPE")
    customer = create_customer(admin_api, force=True, site_id=site["id"], owner_id=seller_id)
    add_part(admin_api, customer["id"], "orders", order(amount=30000.0, order_date=today()))
    add_part(admin_api, customer["id"], "opportunities", {"title": "Press line", "stage": "proposal",
                                                          "expected_amount": 10000, "expected_close_date": today()})
    sign_in(page, ui_url, manager, password)
    page.goto(ui_url + "/settings")
    page.locator("#tab-customers").click()
    field = page.locator("[data-test=customer-settings-probability-proposal] input")
    field.wait_for()
    assert field.input_value() == "60"
    field.fill("50")
    page.locator("[data-test=customer-settings-save]").click()
    page.locator(".el-message--success").wait_for()

    page.goto(ui_url + "/targets")
    page.locator("[data-test=pipeline-weighted-proposal]", has_text="5,000").wait_for()
    assert "30,000" in page.locator("[data-test=pipeline-actual]").inner_text()
    assert "—" in page.locator("[data-test=pipeline-target]").inner_text()
    shot(page, "targets_pipeline")
    settings = api_for(ui_url, manager, password).get("/customers/settings/%s" % site["id"]).json()
    assert settings["stage_probabilities"]["proposal"] == 50
