"""``python -m deploy.check``: a system seeded through the gateway is clean; references planted
straight into the databases are each reported, and an unreachable database is exit status 2.

The module runs a stack of its own (its own databases and broker vhost): what other modules leave
in the shared stack's databases must not show up here.
"""
import json
import os
import subprocess
import sys

import pytest

from deploy import check
from services.common import config
from tests.conftest import ADMIN_PASSWORD, RUN_ID
from tests.support import servers
from tests.support.api import Api, eventually
from tests.support.customers import add_part, create_customer, create_site, create_user, order, signed_in
from tests.support.servers import service_database
from tests.support.stack import ROOT, Stack

PREFIX = "check_%s" % RUN_ID
HIDDEN_FIELDS = ("_outbox", "_pending", "_outbox_claim")


@pytest.fixture(scope="module")
def system(test_env, tmp_path_factory):
    """The four services and the gateway on databases (``PREFIX``) and a broker vhost of their own."""
    vhost = "crm_check_%s" % RUN_ID
    servers.add_vhost(vhost)
    env = dict(test_env, CRM_DB_PREFIX=PREFIX, AMQP_URI=servers.amqp_uri_for(vhost),
               CRM_VAR_DIR=str(tmp_path_factory.mktemp("check-var")))
    own = Stack(env, tmp_path_factory.mktemp("check-logs"))
    try:
        own.start_all()
        yield own
    finally:
        own.stop_all()
        servers.delete_vhost(vhost)


@pytest.fixture(scope="module")
def databases(system):
    return {service: service_database(system.env, service)
            for service in ("accounts", "customers", "feedback", "notifications")}


@pytest.fixture
def own_prefix(monkeypatch):
    """``check.check()`` in this process reads the databases of this module's stack."""
    monkeypatch.setenv("CRM_DB_PREFIX", PREFIX)
    assert config.database_name("customers") == "%s_customers" % PREFIX


@pytest.fixture(scope="module")
def seeded(system):
    """Sites A (in use) and C (disabled, with a customer), a manager, a sales user and a service
    engineer in A; a customer with contacts, an order and a follow-up; feedback assigned to the
    engineer (who is told in the inbox); a survey sent to the contacts."""
    admin = Api(system.url)
    eventually(lambda: admin.post("/auth/login", {"identifier": "admin", "password": ADMIN_PASSWORD}),
               lambda r: r.status_code == 200, timeout=30)
    admin.login("admin", ADMIN_PASSWORD)
    site_a, site_c = create_site(admin, "A"), create_site(admin, "C")
    manager = signed_in(system, create_user(admin, [site_a["id"]], ["manager"]))
    sales = create_user(admin, [site_a["id"]], ["sales"])
    engineer = create_user(admin, [site_a["id"]], ["service"])

    customer = create_customer(manager, site_id=site_a["id"])
    contacts = [add_part(manager, customer["id"], "contacts", {"name": name, "email": "%s@buyer.example" % name})
                for name in ("li", "wang")]
    add_part(manager, customer["id"], "orders", order())
    followup = add_part(manager, customer["id"], "followups", {"title": "Call back", "due_date": "2030-01-15",
                                                               "assignee_id": sales["id"]})
    item = manager.post("/feedback", {"customer_id": customer["id"], "contact_id": contacts[0]["id"],
                                      "channel": "phone", "type": "complaint", "category": "quality",
                                      "severity": "high", "text": "Seals leak."})
    assert item.status_code == 201, item.text
    assigned = manager.patch("/feedback/%s" % item.json()["id"], {"version": item.json()["version"],
                                                                    "assignee_id": engineer["id"]})
    assert assigned.status_code == 200, assigned.text
    survey = manager.post("/surveys", {"title": "Delivery", "language": "en", "site_id": site_a["id"],
                                       "questions": [{"kind": "rating", "text": "How satisfied are you?"}]})
    assert survey.status_code == 201, survey.text
    sent = manager.post("/surveys/%s/send" % survey.json()["id"],
                        {"customer_id": customer["id"], "contact_ids": [c["id"] for c in contacts]})
    assert sent.status_code == 201, sent.text

    inbox = signed_in(system, engineer)
    eventually(lambda: inbox.get("/notifications").json(), lambda page: page["items"], timeout=30)

    create_customer(admin, site_id=site_c["id"])
    disabled = admin.patch("/sites/%s" % site_c["id"], {"status": "disabled", "version": site_c["version"]})
    assert disabled.status_code == 200, disabled.text
    return {"customer": customer, "contacts": contacts, "followup": followup, "feedback": assigned.json(),
            "manager": manager.session["user"], "sales": sales, "engineer": engineer}


def run_check(system, *args):
    """``python -m deploy.check`` as an operator runs it, against this module's databases."""
    return subprocess.run([sys.executable, "-m", "deploy.check", *args], cwd=ROOT, env=system.env,
                          capture_output=True, text=True, timeout=120)


def test_a_seeded_system_with_a_disabled_site_is_clean(system, seeded, own_prefix):
    done = check.checked()
    assert done.report() == []
    for collection in ("accounts.users", "customers.customers", "customers.contacts", "customers.orders",
                       "customers.followups", "feedback.feedback", "feedback.survey_links", "notifications.inbox"):
        assert done.read[collection] > 0, collection
    answer = run_check(system, "--json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == {"findings": [], "clean": True}
    text = run_check(system)
    assert text.returncode == 0 and "clean: no dangling reference" in text.stdout


def copy_of(collection, document_id, **changes):
    """A new document like ``document_id`` of ``collection`` (its events not copied) with ``changes``."""
    document = {k: v for k, v in collection.find_one({"_id": document_id}).items() if k not in HIDDEN_FIELDS}
    document.update(changes)
    collection.insert_one(document)
    return document["_id"]


@pytest.fixture
def planted(seeded, databases):
    """Dangling references written straight into the databases (removed afterwards), and an inbox
    item of a deleted site, which may outlive its site and is not one."""
    customers, feedback, inbox = databases["customers"], databases["feedback"], databases["notifications"].inbox
    customer_id, feedback_id = seeded["customer"]["id"], seeded["feedback"]["id"]
    databases["accounts"].sites.insert_one({"_id": "gone-" + RUN_ID, "code": "GONE", "code_key": "deleted:gone",
                                            "name": "Closed plant", "status": "deleted", "version": 3})
    ids = {
        "site": copy_of(customers.customers, customer_id, _id="planted-site", site_id="no-such-site"),
        "deleted_site": copy_of(customers.customers, customer_id, _id="planted-gone", site_id="gone-" + RUN_ID),
        "contact": copy_of(customers.contacts, seeded["contacts"][0]["id"], _id="planted-contact",
                           customer_id="no-such-customer"),
        "owner": copy_of(customers.customers, customer_id, _id="planted-owner", owner_id="no-such-user"),
        "feedback": copy_of(feedback.feedback, feedback_id, _id="planted-feedback", customer_id="gone-customer"),
        "feedback_contact": copy_of(feedback.feedback, feedback_id, _id="planted-feedback-contact",
                                    contact_id="gone-contact"),
        "inbox": copy_of(inbox, inbox.find_one()["_id"], _id="planted-inbox", site_id="no-such-site"),
        "inbox_of_deleted_site": copy_of(inbox, inbox.find_one()["_id"], _id="planted-inbox-gone",
                                         site_id="gone-" + RUN_ID),
        # An erased customer of the deleted site, its contact and its anonymised feedback: kept on
        # purpose, never moved, so not dangling.
        "erased": copy_of(customers.customers, customer_id, _id="planted-erased", site_id="gone-" + RUN_ID,
                          erased=True, owner_id=None),
    }
    ids["erased_contact"] = copy_of(customers.contacts, seeded["contacts"][0]["id"], _id="planted-erased-contact",
                                    customer_id=ids["erased"], site_id="gone-" + RUN_ID)
    ids["erased_feedback"] = copy_of(feedback.feedback, feedback_id, _id="planted-erased-feedback",
                                     customer_id=ids["erased"], site_id="gone-" + RUN_ID, customer_erased=True,
                                     contact_id=None, status="closed")
    yield ids
    customers.customers.delete_many({"_id": {"$in": [ids["site"], ids["deleted_site"], ids["owner"], ids["erased"]]}})
    customers.contacts.delete_many({"_id": {"$in": [ids["contact"], ids["erased_contact"]]}})
    feedback.feedback.delete_many({"_id": {"$in": [ids["feedback"], ids["feedback_contact"], ids["erased_feedback"]]}})
    inbox.delete_many({"_id": {"$in": [ids["inbox"], ids["inbox_of_deleted_site"]]}})
    databases["accounts"].sites.delete_one({"_id": "gone-" + RUN_ID})


def test_each_planted_dangling_reference_is_reported(system, planted, own_prefix):
    expected = {
        ("unknown_site", "customers", "customers", "site_id"): {planted["site"], planted["deleted_site"]},
        ("missing_customer", "customers", "contacts", "customer_id"): {planted["contact"]},
        ("unknown_user", "customers", "customers", "owner_id"): {planted["owner"]},
        ("missing_customer", "feedback", "feedback", "customer_id"): {planted["feedback"]},
        ("missing_contact", "feedback", "feedback", "contact_id"): {planted["feedback_contact"]},
        ("unknown_site", "notifications", "inbox", "site_id"): {planted["inbox"]},
    }
    found = {(f.kind, f.service, f.collection, f.field): (f.count, set(f.examples)) for f in check.check()}
    assert found == {key: (len(ids), ids) for key, ids in expected.items()}

    answer = run_check(system, "--json")
    assert answer.returncode == 1, answer.stderr
    report = json.loads(answer.stdout)
    assert report["clean"] is False
    assert {(f["kind"], f["service"], f["collection"], f["field"]): set(f["examples"])
            for f in report["findings"]} == expected
    text = run_check(system)
    assert text.returncode == 1
    assert "missing_customer" in text.stdout and "planted-contact" in text.stdout


@pytest.fixture
def departed(seeded, databases):
    """Users changed straight in accounts, as an old dump restored there would leave them: the sales
    user disabled, the engineer moved to a site that does not exist, the manager without
    ``customers:read``. No event announces it, so no service hands their records back."""
    users = databases["accounts"].users
    people = {role: seeded[role]["id"] for role in ("sales", "engineer", "manager")}
    before = {user["_id"]: user for user in users.find({"_id": {"$in": list(people.values())}},
                                                       {"status": 1, "sites": 1, "permissions": 1})}
    users.update_one({"_id": people["sales"]}, {"$set": {"status": "disabled"}})
    users.update_one({"_id": people["engineer"]}, {"$set": {"sites": ["no-such-site"]}})
    users.update_one({"_id": people["manager"]}, {"$pull": {"permissions": "customers:read"}})
    yield people
    for user_id, fields in before.items():
        users.update_one({"_id": user_id}, {"$set": {k: v for k, v in fields.items() if k != "_id"}})


def test_owners_and_assignees_who_left_are_reported(seeded, departed, own_prefix):
    found = {(f.kind, f.service, f.collection, f.field): f.examples for f in check.check()}
    assert found == {
        ("inactive_user", "customers", "followups", "assignee_id"): [seeded["followup"]["id"]],
        ("user_outside_site", "feedback", "feedback", "assignee_id"): [seeded["feedback"]["id"]],
        ("unknown_site", "accounts", "users", "sites"): [departed["engineer"]],
        ("user_lacks_permission", "customers", "customers", "owner_id"): [seeded["customer"]["id"]],
    }


def test_an_unreachable_database_is_exit_status_2_with_a_clear_message(test_env):
    nowhere = "mongodb://127.0.0.1:%d/" % servers.free_port()
    env = dict(os.environ, MONGO_URI=nowhere, **{config.mongo_uri_variable(service): nowhere
                                                  for service in config.SERVICE_NAMES})
    answer = subprocess.run([sys.executable, "-m", "deploy.check", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2
    assert "cannot read the accounts database" in answer.stderr and "does not answer" in answer.stderr
    assert "Traceback" not in answer.stderr and answer.stdout == ""
