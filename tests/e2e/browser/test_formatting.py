"""Amounts and dates as each language writes them: where the UI shortens an amount (the dashboard's
sales total) zh-CN shows 万 / 亿 and en K / M / B; full amounts keep every digit; dates read
2026/03/01 in zh-CN and Mar 1, 2026 in en, in tables and date pickers alike."""
import datetime
import decimal
import re

from tests.e2e.browser.conftest import shot, ui_site
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, order, unique

BIG_ORDER = 23450000.0


def shortened(amount, steps):
    """``amount`` as Intl's compact notation writes it: the largest step it reaches, two decimals at most."""
    for size, suffix in steps:
        if amount >= size:
            value = (decimal.Decimal(amount) / size).quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP)
            return "%s%s" % (format(value.normalize(), "f"), suffix)
    raise AssertionError("%s is not large enough to be shortened" % amount)


def full_amount(text):
    """The number of a full money text such as ¥23,450,000.00."""
    return decimal.Decimal(re.search(r"[\d,]+\.\d\d", text).group(0).replace(",", ""))


def test_a_large_amount_is_shortened_in_the_locales_units_and_dates_read_as_the_locale_writes_them(
        admin_page, admin_api, ui_url):
    page = admin_page
    day = datetime.date.today() - datetime.timedelta(days=40)
    customer = create_customer(admin_api, force=True, site_id=ui_site(admin_api))
    number = unique("SO-")
    add_part(admin_api, customer["id"], "orders", order(number, BIG_ORDER, day.isoformat()))
    eventually(lambda: admin_api.get("/reports/sales", params={"since": day.isoformat()}).json(),
               lambda report: customer["id"] in [c["customer_id"] for c in report["by_customer"]], timeout=30)

    page.goto(ui_url + "/")
    total = page.locator("[data-test=sales-total]")
    total.wait_for()
    amount = full_amount(total.get_attribute("title"))
    assert total.get_attribute("title").startswith("¥") and amount >= decimal.Decimal(BIG_ORDER)
    assert "¥" + shortened(amount, ((10 ** 8, "亿"), (10 ** 4, "万"))) in total.inner_text()
    shot(page, "formatting_dashboard_chinese")

    page.goto("%s/customers/%s" % (ui_url, customer["id"]))
    page.locator("[data-test=figure-orders-12m]", has_text="¥23,450,000.00").wait_for()
    page.locator("[data-test=tab-orders]").click()
    row = page.locator("[data-test=order-table] tr", has=page.locator("[data-test=order-row]", has_text=number))
    row.wait_for()
    assert day.strftime("%Y/%m/%d") in row.inner_text()
    assert "¥23,450,000.00" in row.inner_text()
    row.locator("[data-test=order-edit]").click()
    picked = page.locator(".el-dialog .el-date-editor input").first  # the order date, the dialog's first picker
    assert picked.input_value() == day.strftime("%Y/%m/%d")
    shot(page, "formatting_orders_chinese")
    page.keyboard.press("Escape")

    page.locator("[data-test=locale-button]").click()
    page.locator("[data-test=locale-en]").click()
    english_day = "%s %d, %d" % (day.strftime("%b"), day.day, day.year)
    page.locator("[data-test=order-table] tr", has_text=english_day).wait_for()
    page.goto(ui_url + "/")
    total.wait_for()
    amount = full_amount(total.get_attribute("title"))
    assert "CN¥" + shortened(amount, ((10 ** 9, "B"), (10 ** 6, "M"), (10 ** 3, "K"))) in total.inner_text()
    shot(page, "formatting_dashboard_english")
