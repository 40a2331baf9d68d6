"""Browser tests: the web UI in real headless Chromium (Debian's package), driven by Playwright.

The gateway of the session's stack serves the built UI (ui/dist, or CRM_UI_DIR). `make test`
installs Chromium and builds the UI first. Each test saves a screenshot under tests/e2e/artifacts/.
"""
import os
import pathlib
import re
import uuid

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.support.api import Api

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
ROOT = pathlib.Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"

pytestmark = pytest.mark.stack


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    assert os.path.exists(CHROMIUM), "Chromium is missing at %s: `make test` installs it (apt-get install chromium)" % CHROMIUM
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Chinese-speaking tablet-to-desktop browser: the UI's default language follows it."""
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900},
            "accept_downloads": True}


@pytest.fixture(scope="session")
def ui_url(stack):
    """The gateway's base URL, once it serves the built UI."""
    ui_dir = os.environ.get("CRM_UI_DIR") or str(ROOT / "ui" / "dist")
    assert os.path.isfile(os.path.join(ui_dir, "index.html")), "The UI is not built: run `make test` (npm ci && npm run build in ui/)"
    return stack.url


@pytest.fixture(autouse=True)
def _page_timeouts(request):
    """Generous waits: the stack shares two cores with the browser."""
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        page.set_default_timeout(15000)
        page.set_default_navigation_timeout(20000)


def shot(page, name):
    """Save a full-page screenshot as tests/e2e/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / ("%s.png" % re.sub(r"[^A-Za-z0-9_.-]+", "_", name))
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base_url, identifier, password):
    """Sign in through the login form and wait for the signed-in shell."""
    page.goto(base_url + "/login")
    page.locator("[data-test=login-identifier]").fill(identifier)
    page.locator("[data-test=login-password]").fill(password)
    page.locator("[data-test=login-submit]").click()
    page.locator("[data-test=user-menu]").wait_for()
    return page


@pytest.fixture
def admin_page(page, ui_url, admin_api):
    """A page signed in as the bootstrapped admin. The language switch is the user's language
    setting: a test that switches the admin to English has it put back to Chinese after."""
    yield sign_in(page, ui_url, "admin", ADMIN_PASSWORD)
    me = admin_api.get("/me").json()
    if me["language"] != "zh-CN":
        restored = admin_api.patch("/users/%s" % me["id"], {"language": "zh-CN", "version": me["version"]})
        assert restored.status_code == 200, restored.text


def ui_site(admin_api):
    """The id of the factory site the browser tests' users work at (created once)."""
    found = [s for s in admin_api.get("/sites", params={"limit": 500}).json()["items"] if s["code"] == "UI-PLANT"]
    if found:
        return found[0]["id"]
    response = admin_api.post("/sites", {"code": "UI-PLANT", "name": "UI Plant", "timezone": "Asia/Shanghai"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def make_user(admin_api):
    """Create an active user through the API: make_user(roles=[...], sites=[...]) → (username, password, id)."""
    def make(roles=("sales",), sites=None, permissions_grants=None):
        name = "ui_%s" % uuid.uuid4().hex[:8]
        password = "Harbour-lantern-%s" % uuid.uuid4().hex[:6]
        if sites is None:
            sites = [ui_site(admin_api)]
        body = {"username": name, "email": "%s@factory.test" % name, "display_name": name, "password": password,
                "roles": list(roles), "sites": sites}
        response = admin_api.post("/users", body)
        assert response.status_code == 201, response.text
        return name, password, response.json()["id"]
    return make


@pytest.fixture
def api_for():
    """An API client signed in as the given user."""
    def make(base_url, identifier, password):
        return Api(base_url).login(identifier, password)
    return make


def pick_levels(page, field, *labels):
    """In a cascader whose every level may be chosen (``checkStrictly``), at ``field`` (a selector):
    each level's label in turn, the last one taken by its radio."""
    page.locator(field).click()
    menus = page.locator(".el-cascader__dropdown:visible .el-cascader-menu")
    for level, label in enumerate(labels):
        exact = page.locator(".el-cascader-node__label", has_text=re.compile("^%s$" % re.escape(label)))
        node = menus.nth(level).locator(".el-cascader-node").filter(has=exact)
        if level == len(labels) - 1:
            node.locator(".el-radio").click()
        else:
            node.click()
    page.locator(field).click()  # closes it, as a second click does
    page.locator(".el-cascader__dropdown:visible").wait_for(state="hidden")
