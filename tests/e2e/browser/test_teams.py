"""Sales teams in Chromium: a site's manager makes a team of two of the site's sales users, sees it
listed with its leader and members, and is told at the field when a name is taken."""
from playwright.sync_api import expect

from tests.e2e.browser.conftest import shot, sign_in, ui_site
from tests.support.customers import cjk


def open_teams(page, ui_url):
    page.goto(ui_url + "/admin/teams")
    page.locator("[data-test=teams-table] .el-loading-mask").wait_for(state="hidden")


def fill_team(page, name, members=(), leader=None):
    page.locator("[data-test=team-create]").click()
    page.locator("[data-test=team-name]").fill(name)
    if members:
        page.locator("[data-test=team-members]").click()
        for username in members:
            page.locator("[data-test=team-member-%s]" % username).click()
        page.keyboard.press("Escape")
    if leader:
        page.locator("[data-test=team-leader]").click()
        page.locator("[data-test=team-leader-option-%s]" % leader).click()
    page.locator("[data-test=team-save]").click()


def test_a_manager_creates_a_team_and_sees_it_listed_with_its_leader_and_members(page, ui_url, admin_api, make_user):
    site_id = ui_site(admin_api)
    manager, password, _ = make_user(roles=("manager",), sites=[site_id])
    ann, _, ann_id = make_user(roles=("sales",), sites=[site_id])
    bo, _, bo_id = make_user(roles=("sales",), sites=[site_id])
    sign_in(page, ui_url, manager, password)
    expect(page.locator(".el-menu-item", has_text="销售团队")).to_be_visible()
    open_teams(page, ui_url)
    expect(page.locator("[data-test=teams-site]")).to_contain_text("UI Plant")

    name = "华东%s组" % cjk(2)
    fill_team(page, name, members=(ann, bo), leader=ann)
    page.locator(".el-message--success").first.wait_for()
    expect(page.locator("[data-test=team-row-%s]" % name)).to_be_visible()
    expect(page.locator("[data-test=team-leader-%s]" % name)).to_have_text(ann)
    members = page.locator("[data-test=team-members-%s]" % name)
    expect(members).to_contain_text(ann)
    expect(members).to_contain_text(bo)
    page.locator("[data-test=teams-table] .el-loading-mask").wait_for(state="hidden")
    shot(page, "teams_listed")

    [team] = [t for t in admin_api.get("/teams", params={"site_id": site_id}).json()["items"] if t["name"] == name]
    assert (team["member_ids"], team["leader_id"]) == ([ann_id, bo_id], ann_id)

    # The same name again, whatever its case, is refused at the name field.
    fill_team(page, name)
    name_item = page.locator(".el-form-item", has=page.locator("[data-test=team-name]"))
    expect(name_item.locator(".el-form-item__error")).to_have_text("已被占用。")
    shot(page, "teams_name_taken")
