"""Customer care campaigns through the gateway, on the real broker, database servers and SMTP server:
a campaign to 1 000 contacts sends each exactly once across a restart of its service, opted-out
contacts are skipped, the unsubscribe link works and cannot be forged (issue: automation rules,
campaigns and scheduled reports)."""
import datetime
import io
import re
import types
import uuid
import zoneinfo

import openpyxl
import pytest
import requests

from tests.e2e.test_identity import create_user, signed_in
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site
from tests.support.servers import service_database

MESSAGES = {"zh-CN": {"subject": "{{customer.legal_name}} 新年问候",
                      "body": "{{contact.name}}，您好！{{owner.name}} 敬上"},
            "en": {"subject": "Greetings to {{customer.legal_name}}", "body": "Dear {{contact.name}}, {{owner.name}}"}}
LINK = re.compile(r"http://crm\.test(/u/[A-Za-z0-9.]+)")


@pytest.fixture(scope="module")
def crew(stack, admin_api):
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {name: create_user(admin_api, [site["id"]], [role]) for name, site, role in (
        ("manager_a", site_a, "manager"), ("sales_a", site_a, "sales"), ("manager_b", site_b, "manager"))}
    return types.SimpleNamespace(site_a=site_a, site_b=site_b, users=users,
                                 **{name: signed_in(stack, user) for name, user in users.items()})


def import_workbook(api, site_id, rows):
    """Customers and their contacts in one workbook import: ``rows`` of (name, contact, email)."""
    book = openpyxl.Workbook()
    book.active.title = "Accounts"
    book.active.append(["Account Name", "Billing Country"])
    contacts = book.create_sheet("Contacts")
    contacts.append(["Account Name", "First Name", "Last Name", "Email"])
    for name, contact, email in rows:
        book.active.append([name, "China"])
        contacts.append([name, contact, "", email])
    content = io.BytesIO()
    book.save(content)
    response = api.post("/imports", files={"file": ("care.xlsx", content.getvalue())},
                        data={"site_id": site_id, "entity": "workbook"})
    assert response.status_code == 202, response.text
    return eventually(lambda: api.get("/imports/%s" % response.json()["id"]).json(),
                      lambda job: job.get("status") in ("completed", "failed"), timeout=300)


def campaign_of(api, campaign_id):
    """The campaign; an empty answer while the notifications service is restarting (503)."""
    response = api.get("/campaigns/%s" % campaign_id)
    if response.status_code == 503:
        return {"counts": {}, "status": None}
    assert response.status_code == 200, response.text
    return response.json()


def create_campaign(api, site_id, expected=201, **body):
    response = api.post("/campaigns", dict({"site_id": site_id, "name": "Care %s" % uuid.uuid4().hex[:6],
                                            "messages": MESSAGES}, **body))
    assert response.status_code == expected, response.text
    return response.json()


def test_a_campaign_to_1000_contacts_sends_each_once_across_a_restart(crew, stack, admin_api):
    plant = create_site(admin_api, "C")
    manager = signed_in(stack, create_user(admin_api, [plant["id"]], ["manager"]))
    tag = uuid.uuid4().hex[:8]
    rows = [("Care %s Gear %04d" % (tag, n), "Contact%04d" % n, "c%04d.%s@care.test" % (n, tag)) for n in range(1000)]
    job = import_workbook(manager, plant["id"], rows)
    assert job["status"] == "completed" and job["failed"] == 0, job
    campaign = create_campaign(manager, plant["id"], per_minute=6000)
    assert campaign["status"] == "draft" and campaign["counts"] == {"queued": 0, "sent": 0, "failed": 0, "skipped": 0}
    assert manager.get("/campaigns/%s/audience" % campaign["id"]).json() == {
        "customers": 1000, "total_is_lower_bound": False}
    scheduled = manager.post("/campaigns/%s/schedule" % campaign["id"], {})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
    eventually(lambda: campaign_of(manager, campaign["id"])["counts"].get("sent", 0), lambda sent: sent >= 100,
               timeout=60)
    stack.kill("notifications")
    stack.start("notifications")
    done = eventually(lambda: campaign_of(manager, campaign["id"]), lambda c: c["status"] == "sent", timeout=120)
    assert done["counts"] == {"queued": 0, "sent": 1000, "failed": 0, "skipped": 0}, done
    assert done["audience_done"] is True and done["finished_at"]
    mails = list(service_database(stack.env, "notifications").emails.find(
        {"kind": "campaign", "to": {"$regex": "@care\\.test$"}, "subject": {"$regex": tag}}, {"to": 1}))
    addresses = [mail["to"] for mail in mails if tag in mail["to"]]
    assert len(addresses) == 1000 and len(set(addresses)) == 1000
    # the outbox drained before the next tests, whose own mail would wait behind these
    eventually(lambda: service_database(stack.env, "notifications").emails.count_documents(
        {"kind": "campaign", "status": "pending"}), lambda pending: pending == 0, timeout=180)
    sent = manager.get("/campaigns/%s/recipients" % campaign["id"], params={"status": "sent", "limit": 5}).json()
    assert len(sent["items"]) == 5 and all(item["sent_at"] and item["address"].endswith("@care.test")
                                           for item in sent["items"])


def test_an_opted_out_contact_is_skipped_by_every_later_campaign(crew, stack, smtp_server):
    tag = uuid.uuid4().hex[:8]
    segment = {"filters": {"tag": "care-%s" % tag}}
    people = []
    for n in range(3):
        customer = create_customer(crew.sales_a, tags=["care-%s" % tag])
        address = "p%d.%s@care.test" % (n, tag)
        people.append((customer, add_part(crew.sales_a, customer["id"], "contacts", {
            "name": "Person %d" % n, "email": address, "primary": True}), address))
    bare = create_customer(crew.sales_a, tags=["care-%s" % tag])
    first = create_campaign(crew.manager_a, crew.site_a["id"], segment=segment, per_minute=600)
    crew.manager_a.post("/campaigns/%s/schedule" % first["id"], {})
    done = eventually(lambda: campaign_of(crew.manager_a, first["id"]), lambda c: c["status"] == "sent", timeout=60)
    assert done["counts"] == {"queued": 0, "sent": 3, "failed": 0, "skipped": 1}
    assert done["skipped"] == {"no_address": 1}
    skipped = crew.manager_a.get("/campaigns/%s/recipients" % first["id"], params={"status": "skipped"}).json()
    assert [(item["customer_id"], item["reason"]) for item in skipped["items"]] == [(bare["id"], "no_address")]

    [mail] = eventually(lambda: smtp_server.to(people[0][2]), lambda found: len(found) == 1, timeout=90)
    body = mail.get_body(("plain",)).get_content()
    assert "Person 0" in body and people[0][0]["legal_name"] in mail["Subject"]
    path = LINK.search(body).group(1)
    page = requests.get(stack.url + path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "unsubscribe-confirm" in page.text and "Person 0" in page.text
    assert requests.get(stack.url + path).json() == {"name": "Person 0", "opted_out": False}
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert requests.post(stack.url + forged).status_code == 404
    confirmed = requests.post(stack.url + path, headers={"Accept": "text/html"})
    assert confirmed.status_code == 200 and "unsubscribe-done" in confirmed.text
    assert requests.get(stack.url + path).json()["opted_out"] is True

    # the same address in another contact record is respected too
    again = create_customer(crew.sales_a, tags=["care-%s" % tag])
    add_part(crew.sales_a, again["id"], "contacts", {"name": "Same person", "email": people[0][2].upper()})
    second = create_campaign(crew.manager_a, crew.site_a["id"], segment=segment, per_minute=600)
    crew.manager_a.post("/campaigns/%s/schedule" % second["id"], {})
    done = eventually(lambda: campaign_of(crew.manager_a, second["id"]), lambda c: c["status"] == "sent", timeout=60)
    assert done["counts"]["sent"] == 2 and done["skipped"] == {"no_address": 1, "opted_out": 2}, done
    assert len(smtp_server.to(people[0][2])) == 1


def test_who_may_see_and_run_campaigns_and_what_a_running_one_refuses(crew, stack):
    campaign = create_campaign(crew.manager_a, crew.site_a["id"], segment={"filters": {"tag": "nobody-at-all"}})
    assert crew.sales_a.get("/campaigns").status_code == 403
    assert crew.manager_b.get("/campaigns/%s" % campaign["id"]).status_code == 404
    assert crew.manager_b.post("/campaigns/%s/schedule" % campaign["id"], {}).status_code == 404
    assert campaign["id"] not in [c["id"] for c in crew.manager_b.get("/campaigns").json()["items"]]
    outside = crew.manager_a.post("/campaigns", {"site_id": crew.site_b["id"], "name": "x", "messages": MESSAGES})
    assert outside.status_code == 404
    no_subject = crew.manager_a.post("/campaigns", {"site_id": crew.site_a["id"], "name": "x",
                                                    "messages": {"en": {"body": "hi"}}})
    assert no_subject.status_code == 422 and "messages" in no_subject.json()["error"]["fields"]
    assert crew.manager_a.post("/campaigns", {"site_id": crew.site_a["id"], "name": "x", "messages": {}}
                               ).status_code == 422
    assert crew.manager_a.post("/campaigns/%s/schedule" % campaign["id"], {}).status_code == 200
    assert crew.manager_a.patch("/campaigns/%s" % campaign["id"], {"name": "late", "version": campaign["version"]}
                                ).status_code == 409
    assert crew.manager_a.post("/campaigns/%s/schedule" % campaign["id"], {}).status_code == 409
    assert crew.manager_a.delete("/campaigns/%s" % campaign["id"]).status_code in (204, 409)
    # the directory of recipients learns of a new user from accounts' events, a moment later
    eventually(lambda: crew.manager_a.post("/campaigns/%s/test" % campaign["id"]).json(), lambda answer: answer == {
        "sent": True})
    assert requests.get(stack.url + "/u/nothing.at.all").status_code == 404


def test_a_holiday_campaign_goes_out_at_nine_on_the_holidays_first_day(crew):
    soon = crew.manager_a.get("/campaign-occasions")
    assert soon.status_code == 200, soon.text
    days = {item["occasion"]: item["date"] for item in soon.json()["items"]}
    assert {"spring_festival", "mid_autumn", "dragon_boat"} <= set(days)
    campaign = create_campaign(crew.manager_a, crew.site_a["id"], occasion="spring_festival",
                               segment={"filters": {"tag": "nobody-at-all"}})
    scheduled = crew.manager_a.post("/campaigns/%s/schedule" % campaign["id"], {}).json()
    at = datetime.datetime.fromisoformat(scheduled["send_at"].replace("Z", "+00:00")).astimezone(
        zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert (at.date().isoformat(), at.hour, at.minute) == (days["spring_festival"], 9, 0)
    assert scheduled["status"] == "scheduled" and scheduled["occasion"] == "spring_festival"
    assert crew.manager_a.post("/campaigns/%s/cancel" % campaign["id"]).json()["status"] == "cancelled"


def test_a_text_message_campaign_is_tried_on_one_s_own_number(crew):
    campaign = crew.manager_a.post("/campaigns", {"site_id": crew.site_a["id"], "name": "Texts", "channel": "sms",
                                                  "messages": {"zh-CN": {"body": "{{contact.name}}，节日快乐"}}})
    assert campaign.status_code == 201, campaign.text
    path = "/campaigns/%s/test" % campaign.json()["id"]
    refused = crew.manager_a.post(path)
    assert refused.status_code == 422 and "sms_number" in refused.json()["error"]["fields"], refused.text
    preferences = crew.manager_a.get("/notifications/preferences").json()
    saved = crew.manager_a.put("/notifications/preferences", {
        "email_kinds": preferences["email_kinds"], "sms_kinds": [], "sms_number": "+8613912345678",
        "version": preferences["version"]})
    assert saved.status_code == 200, saved.text
    assert crew.manager_a.post(path).json() == {"sent": True}
