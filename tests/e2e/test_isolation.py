"""Site isolation: for every list, read, export, report and search endpoint, a user of site B sees
nothing of site A (issue: identity and access, "records outside your sites answer 404").

Site A is seeded once with one of everything a user can read, every name and text carrying the
run's marker; site B gets a customer of its own (sharing a contact phone with site A's, so an
unscoped duplicate or phone search would pair them). Two readers of site B look: an admin limited
to site B (every permission but ``sites:all``) and a sales user. A response they get may be a
refusal (403, 404) or data, but never any of site A's markers or ids. Controls run the same
requests as site A's admin, who must see site A's data there, so no probe passes by looking at
nothing.

Every GET path of the OpenAPI document is either probed here or named in ``NOT_SITE_DATA``; a new
path that is neither fails ``test_every_get_path_is_probed_or_allowed``.
"""
import datetime
import io
import types
import uuid

import openpyxl
import pytest

from tests.notifications.receiver import WebhookReceiver
from tests.support.api import eventually
from tests.support.customers import PASSWORD, add_part, create_site, mobile, signed_in, unique, uscc

MARK = "zq%s" % uuid.uuid4().hex[:8]
ORDER_AMOUNT = "987654.32"
PAYMENT_AMOUNT = "13579.24"
OPPORTUNITY_AMOUNT = "54321.98"
B_ORDER_AMOUNT = 1200.0
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
B_READERS = ("site_b_admin", "site_b_sales")
TARGET_PERIOD = "2030"

# GET paths that hold no site data, each with the reason.
NOT_SITE_DATA = {
    "/healthz": "the gateway process is up",
    "/readyz": "each service's version and database state",
    "/api/v1/me": "the caller's own account",
    "/api/v1/roles": "the built-in roles and the permission catalogue",
    "/api/v1/catalogues": "the names of the code catalogues",
    "/api/v1/catalogues/{name}": "codes and their labels: enumerations, national classifications, regions",
    "/api/v1/notifications/preferences": "the caller's own delivery preferences",
    "/api/v1/imports/fields": "the fields an import may fill: the same for every site",
    "/api/v1/imports/template": "an empty file of an entity's headers",
    "/s/{token}": "the public survey page: the single-use token is the credential, not a site",
    "/u/{token}": "the public unsubscribe page: the signed link is the credential, not a site",
    "/api/v1/automation-templates": "ready-made rules, the same for every site",
    "/api/v1/campaign-occasions": "China's public holidays",
    "/api/v1/report-subscriptions": "the caller's own subscriptions",
}


class Probe:
    """One GET request of a list, search, export or report: ``params(a)`` builds its query from
    site A's ids; ``control`` says whether site A's admin must find site A data in the answer."""

    def __init__(self, name, route, params=None, control=True):
        self.name, self.route, self.params, self.control = name, route, params, control

    def query(self, a):
        return self.params(a) if self.params else {}


LISTS = (
    Probe("audit", "/audit", lambda a: {"limit": 500}),
    Probe("audit-site-a", "/audit", lambda a: {"site_id": a.site}),
    Probe("audit-entity", "/audit", lambda a: {"entity_id": a.customer}),
    Probe("audit-actor", "/audit", lambda a: {"actor": a.admin}),
    Probe("customers", "/customers", lambda a: {"limit": 500}),
    Probe("customers-q-mark", "/customers", lambda a: {"q": MARK}),
    Probe("customers-q-tax-id", "/customers", lambda a: {"q": a.tax_id}),
    Probe("customers-q-shared-phone", "/customers", lambda a: {"q": a.phone}),
    Probe("customers-site-a", "/customers", lambda a: {"site_id": a.site}),
    Probe("customers-owner", "/customers", lambda a: {"owner_id": a.admin}),
    Probe("customers-parent", "/customers", lambda a: {"parent_id": a.customer}),
    Probe("customers-tag", "/customers", lambda a: {"tag": MARK}),
    Probe("customers-deleted", "/customers", lambda a: {"deleted": "true", "limit": 500}),
    Probe("duplicates", "/customers/duplicates", lambda a: {"limit": 500}),
    Probe("export-csv", "/customers/export", lambda a: {"format": "csv"}),
    Probe("export-csv-q-mark", "/customers/export", lambda a: {"format": "csv", "q": MARK}),
    Probe("export-csv-site-a", "/customers/export", lambda a: {"format": "csv", "site_id": a.site}),
    Probe("export-xlsx", "/customers/export", lambda a: {"format": "xlsx"}),
    Probe("export-xlsx-site-a", "/customers/export", lambda a: {"format": "xlsx", "site_id": a.site}),
    Probe("review-due", "/customers/review-due", lambda a: {"limit": 500}),
    Probe("feedback", "/feedback", lambda a: {"limit": 500}),
    Probe("feedback-site-a", "/feedback", lambda a: {"site_id": a.site}),
    Probe("feedback-customer", "/feedback", lambda a: {"customer_id": a.customer}),
    Probe("feedback-assignee", "/feedback", lambda a: {"assignee_id": a.admin}),
    Probe("feedback-category", "/feedback", lambda a: {"category": a.category}),
    Probe("merges", "/merges", lambda a: {"limit": 500}),
    Probe("notifications", "/notifications", lambda a: {"limit": 500}),
    # Nothing of site A is seeded here: the SMTP server of the test run accepts every message.
    Probe("failed-emails", "/notifications/failed-emails", lambda a: {"limit": 500}, control=False),
    Probe("report-churn", "/reports/churn-risk"),
    Probe("report-churn-site-a", "/reports/churn-risk", lambda a: {"site_id": a.site}),
    Probe("report-funnel", "/reports/funnel"),
    Probe("report-funnel-site-a", "/reports/funnel", lambda a: {"site_id": a.site}),
    Probe("report-sales", "/reports/sales"),
    Probe("report-sales-site-a", "/reports/sales", lambda a: {"site_id": a.site}),
    Probe("report-satisfaction", "/reports/satisfaction"),
    Probe("report-satisfaction-site-a", "/reports/satisfaction", lambda a: {"site_id": a.site}),
    # Counts only, no names: test_tier_report_counts_only_own_customers checks the numbers.
    Probe("report-tiers", "/reports/tiers", control=False),
    Probe("report-tiers-site-a", "/reports/tiers", lambda a: {"site_id": a.site}, control=False),
    Probe("sites", "/sites"),
    Probe("surveys", "/surveys", lambda a: {"limit": 500}),
    Probe("users", "/users", lambda a: {"limit": 500}),
    Probe("users-site-a", "/users", lambda a: {"site_id": a.site}),
    Probe("users-q", "/users", lambda a: {"q": a.username}),
    Probe("directory", "/users/directory", lambda a: {"limit": 200}),
    Probe("directory-site-a", "/users/directory", lambda a: {"site_id": a.site}),
    Probe("directory-ids", "/users/directory", lambda a: {"ids": a.admin}),
    Probe("directory-q", "/users/directory", lambda a: {"q": a.username}),
    Probe("views", "/views"),
    Probe("webhooks", "/webhooks", lambda a: {"limit": 500}),
    Probe("import-mappings", "/import-mappings"),
    Probe("automations", "/automations", lambda a: {"limit": 500}),
    Probe("campaigns", "/campaigns", lambda a: {"limit": 500}),
    Probe("report-automations", "/reports/automations"),
    Probe("report-automations-site-a", "/reports/automations", lambda a: {"site_id": a.site}),
    Probe("report-campaigns", "/reports/campaigns"),
    Probe("report-campaigns-site-a", "/reports/campaigns", lambda a: {"site_id": a.site}),
    Probe("import-mappings-site-a", "/import-mappings", lambda a: {"site_id": a.site}),
    Probe("teams", "/teams"),
    Probe("teams-site-a", "/teams", lambda a: {"site_id": a.site}),
    Probe("targets", "/targets", lambda a: {"period": TARGET_PERIOD}),
    Probe("targets-site-a", "/targets", lambda a: {"site_id": a.site, "period": TARGET_PERIOD}),
    Probe("scorecards", "/scorecards"),
    Probe("scorecards-site-a", "/scorecards", lambda a: {"site_id": a.site}),
    Probe("scorecards-user-a", "/scorecards", lambda a: {"user_id": a.admin}),
    Probe("scorecards-export", "/scorecards/export"),
    Probe("scorecards-export-site-a", "/scorecards/export", lambda a: {"site_id": a.site}),
    Probe("leaderboards", "/leaderboards"),
    Probe("leaderboards-site-a", "/leaderboards", lambda a: {"site_id": a.site, "measure": "new_customers"}),
    Probe("pipeline", "/forecasts/pipeline"),
    Probe("pipeline-site-a", "/forecasts/pipeline", lambda a: {"site_id": a.site}),
    Probe("expected-orders", "/forecasts/expected-orders", lambda a: {"overdue_days": 0, "limit": 500}),
    Probe("expected-orders-site-a", "/forecasts/expected-orders", lambda a: {"site_id": a.site}),
)

# Reads by id: each path parameter is filled with site A's record of that kind.
READS = (
    "/customers/{customer_id}",
    "/customers/{customer_id}/contacts",
    "/customers/{customer_id}/followups",
    "/customers/{customer_id}/forecast",
    "/customers/{customer_id}/interactions",
    "/customers/{customer_id}/opportunities",
    "/customers/{customer_id}/orders",
    "/customers/{customer_id}/overview",
    "/customers/{customer_id}/payments",
    "/customers/{customer_id}/recommendations",
    "/customers/{customer_id}/service-records",
    "/customers/{customer_id}/tier-history",
    "/customers/settings/{site_id}",
    "/feedback/settings/{site_id}",
    "/feedback/{feedback_id}",
    "/imports/{import_id}",
    "/imports/{import_id}/errors",
    "/imports/{import_id}/warnings",
    "/surveys/{survey_id}",
    "/surveys/{survey_id}/results",
    "/users/{user_id}",
    "/users/{user_id}/logins",
    "/users/{user_id}/permissions",
    "/webhooks/{webhook_id}",
    "/webhooks/{webhook_id}/deliveries",
    "/automations/{rule_id}",
    "/automations/{rule_id}/runs",
    "/campaigns/{campaign_id}",
    "/campaigns/{campaign_id}/recipients",
    "/campaigns/{campaign_id}/audience",
    "/teams/{team_id}",
    "/targets/{target_id}",
)

# Site B's own records: what they show must not pull in anything of site A.
OWN = (
    "/customers/{customer_id}",
    "/customers/{customer_id}/contacts",
    "/customers/{customer_id}/orders",
    "/customers/{customer_id}/overview",
    "/customers/{customer_id}/tier-history",
    "/customers/{customer_id}/forecast",
    "/customers/{customer_id}/recommendations",
    "/customers/settings/{site_id}",
    "/feedback/settings/{site_id}",
    "/feedback/{feedback_id}",
    "/webhooks/{webhook_id}",
    "/webhooks/{webhook_id}/deliveries",
)
ID_OF_PARAMETER = {"customer_id": "customer", "feedback_id": "feedback", "import_id": "import_job",
                   "site_id": "site", "survey_id": "survey", "user_id": "admin", "webhook_id": "webhook",
                   "rule_id": "rule", "campaign_id": "campaign", "team_id": "team", "target_id": "target"}


def api_route(route):
    return "/api/v1" + route


def filled(route, ids):
    """``route`` with each path parameter replaced by the id of that kind in ``ids``."""
    return route.format(**{name: getattr(ids, kind) for name, kind in ID_OF_PARAMETER.items()
                           if "{%s}" % name in route})


# Seeding

def created(response, status=201):
    assert response.status_code == status, response.text
    return response.json()


def member(stack, admin_api, label, site_ids, roles, revoke=()):
    """A signed-in user of ``site_ids`` holding ``roles`` less the ``revoke``d permissions."""
    username = "%s.%s" % (label, unique())
    user = created(admin_api.post("/users", {
        "username": username, "email": "%s@factory.test" % username, "password": PASSWORD,
        "display_name": username.title(), "sites": site_ids, "roles": roles}))
    if revoke:
        created(admin_api.put("/users/%s/permissions" % user["id"], {"grants": [], "revocations": list(revoke)}), 200)
    return signed_in(stack, user)


def user_id(api):
    return api.session["user"]["id"]


def days_from_today(days):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def seed_customer(api, a):
    """Site A's main customer with one of each part; its large order lifts the tier (a notification)."""
    customer = created(api.post("/customers", {
        "legal_name": "%s Alpha Machinery Co" % MARK, "tax_id": a.tax_id, "site_id": a.site, "tags": [MARK],
        "industry": "machinery", "notes": "Notes %s" % MARK,
        "addresses": [{"type": "billing", "street": "%s Road 1" % MARK, "city": "Suzhou"}]}))
    a.customer = customer["id"]
    parts = {
        "contacts": {"name": "%s Contact" % MARK, "phone": a.phone, "email": "%s@buyer.example" % MARK},
        "orders": {"number": "SO-%s" % MARK, "order_date": days_from_today(-10),
                   "lines": [{"product": "P-%s" % MARK, "quantity": 3, "amount": float(ORDER_AMOUNT)}]},
        "payments": {"payment_date": days_from_today(-5), "amount": float(PAYMENT_AMOUNT),
                     "order_number": "SO-%s" % MARK},
        "service-records": {"service_date": days_from_today(-3), "issue": "Spindle noise %s" % MARK},
        "interactions": {"kind": "visit", "occurred_at": "%sT09:00:00+08:00" % days_from_today(-2),
                         "summary": "Visit %s" % MARK},
        "opportunities": {"title": "Line upgrade %s" % MARK, "stage": "proposal",
                          "expected_amount": float(OPPORTUNITY_AMOUNT)},
        "followups": {"title": "Call back %s" % MARK, "due_date": days_from_today(7)},
    }
    part_ids = {part: add_part(api, a.customer, part, body)["id"] for part, body in parts.items()}
    a.contact = part_ids["contacts"]
    a.ids += list(part_ids.values())


def seed_forecast(api, a):
    """A customer of site A ordering every 30 days: its next order is expected in 20 days."""
    regular = created(api.post("/customers", {"legal_name": "%s Zeta Regulars" % MARK, "site_id": a.site}))
    for days in (70, 40, 10):
        add_part(api, regular["id"], "orders", {"number": "SO-Z%d-%s" % (days, MARK), "order_date": days_from_today(
            -days), "lines": [{"product": "P-%s" % MARK, "quantity": 2, "amount": 4321.0}]})
    a.ids.append(regular["id"])


def seed_feedback(api, a):
    """A low-rated complaint in site A's own category (a churn-risk signal), assigned and answered."""
    settings = created(api.get("/feedback/settings/%s" % a.site), 200)
    created(api.put("/feedback/settings/%s" % a.site, {"version": settings["version"],
                                                        "categories": ["quality", a.category]}), 200)
    item = created(api.post("/feedback", {
        "customer_id": a.customer, "channel": "phone", "type": "complaint", "category": a.category,
        "severity": "high", "rating": 1, "subject": "Subject %s" % MARK, "text": "Complaint %s" % MARK}))
    a.feedback = item["id"]
    item = created(api.patch("/feedback/%s" % a.feedback, {"version": item["version"], "assignee_id": a.admin}), 200)
    created(api.post("/feedback/%s/responses" % a.feedback, {"kind": "note", "text": "Note %s" % MARK}))


def seed_survey(api, a):
    survey = created(api.post("/surveys", {"title": "Survey %s" % MARK, "language": "en", "site_id": a.site,
                                           "questions": [{"kind": "rating", "text": "Rate us %s" % MARK}]}))
    a.survey = survey["id"]
    created(api.post("/surveys/%s/send" % a.survey, {"customer_id": a.customer, "contact_ids": [a.contact]}))


def seed_import(api, a):
    """An import job with one good row and one rejected row."""
    content = "legal_name,tax_id\n%s Imported Works,%s\n%s Broken Row,NOT-A-TAX-ID\n" % (MARK, uscc(), MARK)
    job = created(api.post("/customers/import", files={"file": ("%s.csv" % MARK, content.encode("utf-8"))},
                           data={"dry_run": "false", "site_id": a.site}), 202)
    a.import_job = job["id"]
    eventually(lambda: api.get("/imports/%s" % job["id"]).json(),
               lambda current: current.get("status") in ("completed", "failed"), timeout=30)
    a.ids.append(created(api.post("/import-mappings", {
        "name": "Mapping %s" % MARK, "entity": "customers", "site_id": a.site,
        "mapping": {"Company %s" % MARK: "legal_name"}}))["id"])


def seed_upkeep(api, a):
    """A plant under the main customer, a duplicate pair left for review, and a merge of two others."""
    plant = created(api.post("/customers", {"legal_name": "%s Kappa Plant" % MARK, "site_id": a.site,
                                            "parent_id": a.customer}))
    gamma = created(api.post("/customers", {"legal_name": "%s Gamma Electronics Co., Ltd." % MARK,
                                            "site_id": a.site}))
    twin = created(api.post("/customers", {"legal_name": "%s Gamma Electronics" % MARK, "site_id": a.site},
                            params={"force": "true"}))
    survivor = created(api.post("/customers", {"legal_name": "%s Delta Holdings" % MARK, "site_id": a.site}))
    merged = created(api.post("/customers", {"legal_name": "%s Epsilon Trading" % MARK, "site_id": a.site}))
    a.merge = created(api.post("/customers/%s/merge" % survivor["id"], {"merged_ids": [merged["id"]]}), 200)["id"]
    a.ids += [plant["id"], gamma["id"], twin["id"], survivor["id"], merged["id"], a.merge]


def seed_automation(api, a):
    """A rule that tags site A's customers as they are made, and a campaign to site A's tagged customers."""
    a.rule = created(api.post("/automations", {
        "site_id": a.site, "name": "Rule %s" % MARK, "trigger": {"event_type": "customers.customer_created"},
        "conditions": [{"field": "event.legal_name", "op": "contains", "value": MARK}],
        "actions": [{"kind": "notify", "recipients": "managers", "title": "New %s" % MARK}]}))["id"]
    a.campaign = created(api.post("/campaigns", {
        "site_id": a.site, "name": "Campaign %s" % MARK, "segment": {"filters": {"tag": MARK}},
        "messages": {"en": {"subject": "Hello %s" % MARK, "body": "Dear {{contact.name}}"}}}))["id"]
    created(api.post("/campaigns/%s/schedule" % a.campaign, {}), 200)


def seed_site_a(stack, admin_api, phone):
    """Site A and everything in it; the answer names every id and marker of site A."""
    site = create_site(admin_api, "A%s" % MARK)
    admin = member(stack, admin_api, "a-admin.%s" % MARK, [site["id"]], ["admin"], revoke=["sites:all"])
    a = types.SimpleNamespace(site=site["id"], admin=user_id(admin), username=admin.session["user"]["username"],
                              tax_id=uscc(), phone=phone, category="cat_%s" % MARK, ids=[], api=admin)
    a.webhook = created(admin.post("/webhooks", {
        "url": "http://127.0.0.1:9/%s" % MARK, "event_types": ["customers.*"], "site_id": a.site,
        "description": "Hook %s" % MARK}))["id"]
    seed_automation(admin, a)
    a.team = created(admin.post("/teams", {"site_id": a.site, "name": "Team %s" % MARK, "member_ids": [a.admin],
                                           "leader_id": a.admin}))["id"]
    a.target = created(admin.post("/targets", {"site_id": a.site, "period": TARGET_PERIOD, "measure": "new_customers",
                                               "value": 5, "holder_kind": "user", "holder_id": a.admin}))["id"]
    seed_customer(admin, a)
    seed_forecast(admin, a)
    seed_feedback(admin, a)
    seed_survey(admin, a)
    a.ids.append(created(admin.post("/views", {"name": "View %s" % MARK, "shared": True, "site_id": a.site,
                                               "filters": {"tag": MARK}}))["id"])
    seed_import(admin, a)
    seed_upkeep(admin, a)
    return a


def seed_cross_site_plant(admin_api, a, b):
    """A plant of site A that headquarters put under site B's customer, with an order of its own."""
    plant = created(admin_api.post("/customers", {"legal_name": "%s Lambda Plant" % MARK, "site_id": a.site,
                                                  "parent_id": b.customer}))
    add_part(a.api, plant["id"], "orders", {"number": "SO-L-%s" % MARK, "order_date": days_from_today(-4),
                                            "lines": [{"product": "P-%s" % MARK, "quantity": 1, "amount": 2468.0}]})
    a.ids.append(plant["id"])


def seed_regional_export(stack, admin_api, a):
    """A sales user of site A and of a third site exports site A's customers by name (audited)."""
    other = create_site(admin_api, "C")
    regional = member(stack, admin_api, "a-regional.%s" % MARK, [a.site, other["id"]], ["sales"])
    a.ids.append(user_id(regional))
    assert regional.get("/customers/export", params={"q": MARK}).status_code == 200
    return user_id(regional)


def seed_site_b(stack, admin_api, phone, hook_url):
    """Site B with its admin (all but ``sites:all``), a sales user, a customer of its own and a
    webhook for every event of site B, made before site A's data so it would hear of it."""
    site = create_site(admin_api, "B")
    admin = member(stack, admin_api, "b-admin", [site["id"]], ["admin"], revoke=["sites:all"])
    sales = member(stack, admin_api, "b-sales", [site["id"]], ["sales"])
    webhook = created(admin.post("/webhooks", {"url": hook_url, "event_types": ["*"], "site_id": site["id"]}))
    customer = created(admin.post("/customers", {"legal_name": "Bravo Works %s" % unique(), "tax_id": uscc()}))
    add_part(admin, customer["id"], "contacts", {"name": "Bravo Buyer", "phone": phone})
    add_part(admin, customer["id"], "orders", {"number": unique("SO-B-"), "order_date": days_from_today(-20),
                                               "lines": [{"product": "Bolt", "quantity": 1,
                                                          "amount": B_ORDER_AMOUNT}]})
    item = created(admin.post("/feedback", {"customer_id": customer["id"], "channel": "email", "type": "question",
                                            "category": "quality", "text": "When is the delivery?"}))
    b = types.SimpleNamespace(site=site["id"], customer=customer["id"], feedback=item["id"],
                              webhook=webhook["id"])
    return b, {"site_b_admin": admin, "site_b_sales": sales}


def age_verification(test_env, customer_ids):
    """Make customers due for their periodic review (no API sets the verification date back)."""
    from tests.support.servers import service_database

    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    service_database(test_env, "customers").customers.update_many(
        {"_id": {"$in": customer_ids}}, {"$set": {"last_verified_at": stale}})


def settled(admin_api, a, regional_id):
    """Wait until what events carry has landed: notifications, churn risk, deliveries, audit."""
    api = a.api
    eventually(lambda: api.get("/notifications").json(), lambda page: page["items"], timeout=30)
    eventually(lambda: api.get("/reports/churn-risk").json(),
               lambda report: any(item["customer_id"] == a.customer for item in report["items"]), timeout=30)
    eventually(lambda: api.get("/webhooks/%s/deliveries" % a.webhook, params={"limit": 500}).json(),
               lambda page: "customers.customer_merged" in {d["event_type"] for d in page["items"]}, timeout=30)
    eventually(lambda: admin_api.get("/audit", params={"actor": regional_id, "action": "exported"}).json(),
               lambda page: page["items"], timeout=30)
    eventually(lambda: api.get("/audit", params={"entity_id": a.customer}).json(),
               lambda page: page["items"], timeout=30)
    eventually(lambda: api.get("/campaigns/%s" % a.campaign).json(), lambda c: c["status"] == "sent", timeout=60)
    eventually(lambda: api.get("/automations/%s/runs" % a.rule).json(), lambda page: page["items"], timeout=30)


def delivered(api, webhook_id, receiver):
    """The bodies a webhook has delivered once none of its deliveries is pending."""
    eventually(lambda: api.get("/webhooks/%s/deliveries" % webhook_id, params={"status": "pending"}).json(),
               lambda page: not page["items"], timeout=30)
    return [request["body"].decode("utf-8").lower() for request in list(receiver.requests)]


def secrets_of(a):
    """Every id and marker of site A that a response may not contain."""
    scalar = [a.site, a.admin, a.customer, a.feedback, a.survey, a.webhook, a.import_job, a.tax_id, a.rule,
              a.campaign, a.team, a.target]
    return [MARK, ORDER_AMOUNT, PAYMENT_AMOUNT, OPPORTUNITY_AMOUNT] + scalar + a.ids


@pytest.fixture(scope="module")
def receiver():
    """Where site B's webhook delivers."""
    with WebhookReceiver() as server:
        yield server


@pytest.fixture(scope="module")
def world(stack, admin_api, test_env, receiver):
    shared_phone = mobile()
    b, readers = seed_site_b(stack, admin_api, shared_phone, receiver.url)
    a = seed_site_a(stack, admin_api, shared_phone)
    seed_cross_site_plant(admin_api, a, b)
    regional_id = seed_regional_export(stack, admin_api, a)
    age_verification(test_env, [a.customer, b.customer])
    settled(admin_api, a, regional_id)
    b.delivered = delivered(readers["site_b_admin"], b.webhook, receiver)
    readers["site_a_admin"] = a.api
    return types.SimpleNamespace(a=a, b=b, readers=readers, secrets=[s.lower() for s in secrets_of(a)])


# Looking

def body_text(response):
    """The answer as text: the cells of an XLSX workbook, else the body decoded."""
    if response.headers.get("Content-Type", "").startswith(XLSX_TYPE):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(" ".join(str(value) for value in row if value is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return response.content.decode("utf-8", "replace")


def leaked(world, response):
    """Site A's secrets found in the answer, each with the text around its first occurrence."""
    text = body_text(response).lower()
    found = {}
    for secret in world.secrets:
        at = text.find(secret)
        if at >= 0:
            found[secret] = text[max(0, at - 150):at + len(secret) + 50]
    return found


def names_site_a(world, params):
    """Whether a query names one of site A's ids or markers (then a refusal is as good as data)."""
    return any(str(value).lower() in world.secrets for value in params.values())


# The tests

def test_every_get_path_is_probed_or_allowed(stack):
    """A new GET path must be probed here or allowed in NOT_SITE_DATA, with its reason."""
    spec = stack.get("/api/v1/openapi.json")
    assert spec.status_code == 200, spec.text
    get_paths = {path for path, operations in spec.json()["paths"].items() if "get" in operations}
    probed = {api_route(route) for route in [p.route for p in LISTS] + list(READS) + list(OWN)}
    assert not get_paths - probed - set(NOT_SITE_DATA), "GET paths neither probed nor allowed"
    assert not (probed | set(NOT_SITE_DATA)) - get_paths, "probed or allowed paths the API no longer has"
    assert not probed & set(NOT_SITE_DATA), "paths both probed and allowed"


@pytest.mark.parametrize("reader", B_READERS)
@pytest.mark.parametrize("probe", LISTS, ids=[p.name for p in LISTS])
def test_lists_searches_exports_and_reports_show_nothing_of_site_a(world, probe, reader):
    params = probe.query(world.a)
    response = world.readers[reader].get(probe.route, params=params)
    assert response.status_code in (200, 403, 404), response.text
    if reader == "site_b_admin" and not names_site_a(world, params):
        assert response.status_code == 200, response.text
    if response.status_code == 200:
        assert leaked(world, response) == {}


@pytest.mark.parametrize("probe", [p for p in LISTS if p.control], ids=[p.name for p in LISTS if p.control])
def test_control_site_a_admin_finds_site_a_data(world, probe):
    response = world.readers["site_a_admin"].get(probe.route, params=probe.query(world.a))
    assert response.status_code == 200, response.text
    assert leaked(world, response), "the probe saw nothing of site A even from site A"


@pytest.mark.parametrize("reader", B_READERS)
@pytest.mark.parametrize("route", READS)
def test_reads_of_site_a_records_are_404(world, route, reader):
    response = world.readers[reader].get(filled(route, world.a))
    expected = (404,) if reader == "site_b_admin" else (403, 404)
    assert response.status_code in expected, response.text
    assert leaked(world, response) == {}


@pytest.mark.parametrize("route", READS)
def test_control_site_a_admin_reads_site_a_records(world, route):
    response = world.readers["site_a_admin"].get(filled(route, world.a))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("reader", B_READERS)
@pytest.mark.parametrize("route", OWN)
def test_site_b_records_show_nothing_of_site_a(world, route, reader):
    response = world.readers[reader].get(filled(route, world.b))
    assert response.status_code in (200, 403), response.text
    if reader == "site_b_admin":
        assert response.status_code == 200, response.text
    assert leaked(world, response) == {}


@pytest.mark.parametrize("reader", ("site_b_admin", "site_a_admin"))
def test_tier_report_counts_only_own_customers(world, reader):
    api = world.readers[reader]
    report = created(api.get("/reports/tiers"), 200)
    customers = created(api.get("/customers", params={"limit": 1}), 200)
    assert sum(report["distribution"].values()) == customers["total"]
    if reader == "site_b_admin":
        assert report["moves"] == [], report
    else:
        assert report["moves"], report


def test_site_b_webhook_is_sent_nothing_of_site_a(world):
    """The delivery log lists event ids only; what a site B integration receives is in the bodies
    (taken once site A was seeded, before the probes' own exports add audit events of site B)."""
    bodies = world.b.delivered
    assert any(world.b.customer in body for body in bodies)
    assert [body for body in bodies if any(secret in body for secret in world.secrets)] == []


@pytest.mark.parametrize("reader", B_READERS)
def test_a_site_b_group_rolls_up_only_site_b_accounts(world, reader):
    """Site A's plant under site B's customer is neither a child nor part of its order totals."""
    api = world.readers[reader]
    view = created(api.get("/customers/%s/overview" % world.b.customer), 200)
    assert view["children"] == []
    assert (view["orders_12m"]["accounts"], view["orders_12m"]["amount"]) == (1, B_ORDER_AMOUNT)
    below = created(api.get("/customers", params={"parent_id": world.b.customer}), 200)
    assert below["items"] == []
