"""The main pages in zh-CN: nothing the server says reaches the page in English."""
import re

from tests.e2e.browser.conftest import shot, ui_site
from tests.support.customers import cjk

CJK = re.compile(r"[\u4e00-\u9fff]")
# Keys under which the server answers texts it wrote (errors, field messages, reasons, explanations).
SERVER_TEXT_KEYS = ("message", "reasons", "reason", "explanation", "fields")
PAGES = ("/", "/customers", "/import", "/duplicates", "/review", "/feedback", "/surveys", "/notifications",
         "/settings", "/admin/users", "/admin/sites", "/admin/audit", "/admin/webhooks")


def server_texts(value, key=None):
    """The texts under ``SERVER_TEXT_KEYS`` anywhere in a JSON answer."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from server_texts(item, name if name in SERVER_TEXT_KEYS else key)
    elif isinstance(value, list):
        for item in value:
            yield from server_texts(item, key)
    elif isinstance(value, str) and key:
        yield value


def english(texts):
    """The texts with a run of English words and no Chinese (names and codes are not sentences)."""
    return [text for text in texts if not CJK.search(text) and re.search(r"[A-Za-z]{3,}[ ,:;.]+[A-Za-z]{3,}", text)]


def test_the_main_pages_in_chinese_show_no_english_text_from_the_server(admin_page, ui_url, admin_api):
    page = admin_page
    answers = []

    def keep(response):
        if "/api/v1/" in response.url and "json" in (response.headers.get("content-type") or ""):
            try:
                answers.append((response.url, response.json()))
            except Exception:  # a body already gone (a navigation away): nothing to read
                pass

    page.on("response", keep)
    customer = admin_api.post("/customers", {"legal_name": "%s语言检查有限公司" % cjk(4),
                                             "site_id": ui_site(admin_api)}).json()
    for path in PAGES + ("/customers/%s" % customer["id"],):
        page.goto(ui_url + path)
        page.locator(".el-loading-mask").first.wait_for(state="hidden")
        page.wait_for_load_state("networkidle")
    page.locator("[data-test=tier-badge]").click()
    page.locator("[data-test=tier-reason]").first.wait_for()
    assert page.locator("[data-test=tier-reason]").first.inner_text() == "新客户：尚无订单。"
    shot(page, "languages_customer360_zh")
    page.keyboard.press("Escape")

    # a field the server refuses: its message next to the field, in Chinese
    page.goto(ui_url + "/customers/%s/edit" % customer["id"])
    page.locator("[data-test=customer-website]").fill("not a url")
    page.locator("[data-test=customer-save]").click()
    message = page.locator(".el-form-item:has([data-test=customer-website]) .el-form-item__error")
    message.wait_for()
    assert CJK.search(message.inner_text()) and "valid" not in message.inner_text()
    shot(page, "languages_field_error_zh")

    # the audit trail shows values as they were stored (a tier's reasons among them), like typed text
    texts = [(url, text) for url, answer in answers if "/api/v1/audit" not in url for text in server_texts(answer)]
    assert texts, "the walk read no server texts"
    assert [(url, text) for url, text in texts if english([text])] == []
