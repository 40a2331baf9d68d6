"""The main pages in zh-CN: nothing the server says reaches the page in English, neither a text it
wrote nor a code of its enumerations shown unlabelled."""
import re

from tests.e2e.browser.conftest import shot, ui_site
from tests.support.customers import cjk

CJK = re.compile(r"[\u4e00-\u9fff]")
# Keys under which the server answers texts it wrote (errors, field messages, reasons, explanations).
SERVER_TEXT_KEYS = ("message", "reasons", "reason", "explanation", "fields")
PAGES = ("/", "/customers", "/import", "/duplicates", "/review", "/feedback", "/surveys", "/notifications",
         "/settings", "/admin/users", "/admin/sites", "/admin/audit", "/admin/webhooks")
# Where the pages show a code's label (tags, table cells, descriptions, radio buttons), leaving out
# the customers' own tags (typed text); the audit trail's actions and record types are no catalogue yet.
LABELLED = ".el-tag, .el-table .cell, .el-descriptions__content, .el-radio-button__inner"
SHOWN = "els => els.filter(e => !e.closest('.tags') && !e.querySelector('.tags')).map(e => e.innerText.trim())"
UNCHECKED = ("/admin/audit",)


def server_texts(value, key=None, coded=False):
    """``(text, coded)`` of the texts under ``SERVER_TEXT_KEYS`` anywhere in a JSON answer; ``coded``:
    answered with its code beside it (``<key>_details``, ``message_code``), so a text the server wrote,
    not a code it stores under such a key (a duplicate's ``reason``)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in SERVER_TEXT_KEYS:
                beside = {"message": "message_code", "fields": "field_details"}.get(name, "%s_details" % name)
                yield from server_texts(item, name, beside in value)
            else:
                yield from server_texts(item, key, coded)
    elif isinstance(value, list):
        for item in value:
            yield from server_texts(item, key, coded)
    elif isinstance(value, str) and key:
        yield value, coded


def english(text, coded=False):
    """Whether a text with no Chinese is a run of English words, or a server text is one word as a
    code is written (``imported``, ``in_progress``: a name is capitalised, a code's text is not the code)."""
    return not CJK.search(text) and bool(re.search(r"[A-Za-z]{3,}[ ,:;.]+[A-Za-z]{3,}", text)
                                         or coded and re.fullmatch(r"[a-z][a-z_]{2,}", text.strip()))


def catalogue_codes(api):
    """The codes of the enumerations the catalogues serve that read as English words."""
    names = set(api.get("/catalogues").json()["names"]) - {"industries", "regions"}
    return {entry["code"] for name in names for entry in api.get("/catalogues/%s" % name).json()["entries"]
            if re.fullmatch(r"[a-z][a-z_]{2,}", entry["code"])}


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
    codes = catalogue_codes(admin_api)
    assert {"in_progress", "shipped", "vip", "general", "workbook", "running", "finance"} <= codes
    customer = admin_api.post("/customers", {"legal_name": "%s语言检查有限公司" % cjk(4),
                                             "site_id": ui_site(admin_api)}).json()
    unlabelled, checked = [], 0
    for path in PAGES + ("/customers/%s" % customer["id"],):
        page.goto(ui_url + path)
        page.locator(".el-loading-mask").first.wait_for(state="hidden")
        page.wait_for_load_state("networkidle")
        if path not in UNCHECKED:
            shown = page.eval_on_selector_all(LABELLED, SHOWN)
            checked += len(shown)
            unlabelled += [(path, text) for text in shown if text in codes]
    assert checked > 50 and unlabelled == []
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
    texts = [(url, text, coded) for url, answer in answers if "/api/v1/audit" not in url
             for text, coded in server_texts(answer)]
    assert texts and any(coded for _, _, coded in texts), "the walk read no server texts"
    assert [(url, text) for url, text, coded in texts if english(text, coded)] == []
