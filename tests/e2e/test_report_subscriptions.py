"""Scheduled reports through the gateway: a subscription, the report mailed as an XLSX attachment when
its time comes (the clock moved), computed with the subscriber's permissions (issue: automation rules,
campaigns and scheduled reports)."""
import datetime
import io
import zoneinfo

import openpyxl

from tests.e2e.test_identity import create_user, signed_in
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, order
from tests.support.servers import service_database

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_weekly_sales_report_arrives_as_a_workbook_in_the_subscribers_language(stack, admin_api, smtp_server):
    site = create_site(admin_api, "R")
    manager_user = create_user(admin_api, [site["id"]], ["manager"], language="zh-CN")
    manager = signed_in(stack, manager_user)
    customer = create_customer(manager, site_id=site["id"])
    add_part(manager, customer["id"], "orders", order(
        amount=4200.0, order_date=(datetime.date.today() - datetime.timedelta(days=2)).isoformat()))
    made = manager.post("/report-subscriptions", {"report": "sales", "frequency": "weekly", "site_id": site["id"]})
    assert made.status_code == 201, made.text
    subscription = made.json()
    first = datetime.datetime.fromisoformat(subscription["next_send_at"].replace("Z", "+00:00")).astimezone(SHANGHAI)
    assert (first.weekday(), first.hour, first.minute) == (0, 8, 0)

    service_database(stack.env, "notifications").report_subscriptions.update_one(
        {"_id": subscription["id"]}, {"$set": {"next_send_at": datetime.datetime.now(datetime.timezone.utc)}})
    [mail] = eventually(lambda: smtp_server.to(manager_user["email"]), lambda found: len(found) == 1, timeout=30)
    assert "销售" in mail["Subject"]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename().startswith("sales-") and attachment.get_filename().endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "summary" in book.sheetnames and book["summary"].max_row >= 1
    listed = eventually(lambda: manager.get("/report-subscriptions").json()["items"],
                        lambda items: items and items[0]["last_sent_at"])
    assert listed[0]["error"] is None and listed[0]["next_send_at"] > listed[0]["last_sent_at"]

    sales = signed_in(stack, create_user(admin_api, [site["id"]], ["sales"]))
    assert sales.post("/report-subscriptions", {"report": "sales", "frequency": "weekly"}).status_code == 403
    other = signed_in(stack, create_user(admin_api, [site["id"]], ["manager"]))
    assert other.delete("/report-subscriptions/%s" % subscription["id"]).status_code == 404
    assert other.get("/report-subscriptions").json()["items"] == []
    assert manager.post("/report-subscriptions", {"report": "nothing", "frequency": "weekly"}).status_code == 422
    assert manager.delete("/report-subscriptions/%s" % subscription["id"]).status_code == 204
    assert manager.get("/report-subscriptions").json()["items"] == []
