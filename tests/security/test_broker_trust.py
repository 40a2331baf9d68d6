"""Broker trust (issue item 16, review F21): a party with broker access publishes events straight to
the service exchanges with kombu, and binds a queue of its own as an integrator would.

Forged events (unsigned, or with a made-up signature) are refused before any handler runs: no
audit entry, no redirected mail, no phishing reset mail. The same events signed with the
deployment's key are acted on, so each refusal is the signature's doing. A queue bound to
``accounts.events`` / ``feedback.events`` never sees a reset link, a survey link or a contact's
e-mail in clear, while the mail itself still goes out.
"""
import contextlib
import datetime
import json
import os
import re
import subprocess
import tempfile
import uuid

import pytest
from amqp import Message
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Queue
from prometheus_client.parser import text_string_to_metric_families

from deploy import broker_definitions, processes
from services.accounts import events as accounts_events
from services.common import signing
from services.common.clock import isoformat, utcnow
from services.common.envelope import make_event
from services.customers import events as customers_events
from tests.support import servers
from tests.support.api import eventually
from tests.support.customers import create_site, create_user, unique

BAD_SIGNATURE = "sha256=" + "0" * 64
PHISHING = "http://crm-login.evil.test/reset-password?token=give-me-your-password"


def publish(test_env, event):
    """Publish ``event`` as is to its service's exchange, as any broker client can."""
    exchange = Exchange("%s.events" % event["type"].split(".", 1)[0], type="topic", durable=True)
    with Connection(test_env["AMQP_URI"]) as connection:
        connection.Producer(serializer="json").publish(event, exchange=exchange, routing_key=event["type"],
                                                        retry=True)


def rejected(stack, service):
    """How many events the ``service`` process refused so far (its metrics; the label of their type
    is ``unverified``, as a forger would choose the claimed one)."""
    total = 0.0
    for family in text_string_to_metric_families(stack.metrics(service)):
        for sample in family.samples:
            if sample.name == "crm_events_handled_total" and sample.labels.get("outcome") == "rejected":
                assert sample.labels["event_type"] == "unverified"
                total += sample.value
    return total


def publish_refused(stack, test_env, service, forged):
    """Publish each forged event and wait until ``service`` has refused them all."""
    before = rejected(stack, service)
    for event in forged:
        publish(test_env, event)
    eventually(lambda: rejected(stack, service), lambda count: count >= before + len(forged), timeout=30)


def audit_entries(admin_api, entity_id):
    response = admin_api.get("/audit", params={"entity_id": entity_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def forged_audit(entity_id, event_id=None):
    event = accounts_events.event("audit", {"entity_type": "user", "entity_id": entity_id, "action": "deleted",
                                            "changes": {}}, site_id=None, actor="mallory")
    return dict(event, event_id=event_id or event["event_id"])


def test_a_forged_audit_entry_is_refused_and_the_genuine_event_with_its_id_is_still_kept(stack, admin_api,
                                                                                         test_env):
    target = unique("victim-")
    forged = forged_audit(target)
    tampered = dict(signing.sign(forged_audit(target)), actor="someone-else")
    publish_refused(stack, test_env, "accounts", [forged, dict(forged, signature=BAD_SIGNATURE), tampered])
    assert audit_entries(admin_api, target) == []

    genuine = signing.sign(forged_audit(target, event_id=forged["event_id"]))
    publish(test_env, genuine)
    [entry] = eventually(lambda: audit_entries(admin_api, target), bool, timeout=30)
    assert entry["actor"] == "mallory" and entry["action"] == "deleted"


def user_updated(user, email):
    """``accounts.user_updated`` for ``user`` with another address: every field the catalogue has."""
    values = {"user_id": user["id"], "email": email, "changed_fields": ["email"], "status": "active"}
    fields = accounts_events.CATALOGUE.types["accounts.user_updated"]
    data = {field: values[field] if field in values else user.get(field) for field in fields}
    return accounts_events.event("user_updated", data, site_id=user["sites"][0], actor="mallory")


def followup_due(site_id, owner_id, name):
    return customers_events.event("followup_due", {
        "customer_id": uuid.uuid4().hex, "legal_name": name, "owner_id": owner_id, "due_date": "2026-05-01",
        "followup_id": uuid.uuid4().hex, "reason": "VIP cadence 30 days"}, site_id=site_id, actor="service:customers")


def test_a_forged_user_update_does_not_redirect_a_users_mail(stack, admin_api, test_env, smtp_server):
    site = create_site(admin_api, "T")
    owner = create_user(admin_api, [site["id"]], ["sales"])
    thief = "%s@attacker.test" % unique("thief.")
    forged = user_updated(owner, thief)
    publish_refused(stack, test_env, "notifications", [forged, dict(forged, signature=BAD_SIGNATURE)])

    publish(test_env, signing.sign(followup_due(site["id"], owner["id"], "Suzhou Castings")))
    [mail] = eventually(lambda: smtp_server.to(owner["email"]), bool, timeout=40)
    assert "Suzhou Castings" in mail["Subject"]
    assert smtp_server.to(thief) == []


def reset_requested(user, email, url, old_shape=False):
    data = {"user_id": user["id"], "display_name": user["display_name"], "language": "en",
            "expires_at": isoformat(utcnow() + datetime.timedelta(minutes=30))}
    if old_shape:  # the envelope before sealing: address and link in clear
        return make_event("accounts.password_reset_requested", dict(data, email=email, reset_url=url),
                          site_id=user["sites"][0], actor=user["id"])
    return accounts_events.event("password_reset_requested", data, site_id=user["sites"][0], actor=user["id"],
                                 secret={"email": email, "reset_url": url})


def test_a_forged_reset_request_sends_no_phishing_mail(stack, admin_api, test_env, smtp_server):
    site = create_site(admin_api, "R")
    victim = create_user(admin_api, [site["id"]], ["viewer"])
    forged = [reset_requested(victim, victim["email"], PHISHING, old_shape=True),
              dict(reset_requested(victim, victim["email"], PHISHING), signature=BAD_SIGNATURE)]
    publish_refused(stack, test_env, "notifications", forged)
    assert smtp_server.to(victim["email"]) == []

    control = create_user(admin_api, [site["id"]], ["viewer"])
    publish(test_env, signing.sign(reset_requested(control, control["email"], PHISHING)))
    [mail] = eventually(lambda: smtp_server.to(control["email"]), bool, timeout=30)
    assert PHISHING in mail.get_content()
    assert smtp_server.to(victim["email"]) == []


@pytest.fixture
def integrator_queue(test_env):
    """``drain()``: raw bodies of every message on accounts.events and feedback.events since the test began."""
    with Connection(test_env["AMQP_URI"]) as connection:
        queues = []
        for service in ("accounts", "feedback"):
            queue = Queue("integrator.%s" % unique(), Exchange("%s.events" % service, type="topic", durable=True),
                          routing_key="%s.#" % service, exclusive=True, auto_delete=True,
                          channel=connection.default_channel)
            queue.declare()
            queues.append(queue)
        seen = []

        def drain():
            for queue in queues:
                message = queue.get(no_ack=True)
                while message is not None:
                    body = message.body
                    seen.append(body.decode("utf-8") if isinstance(body, bytes) else body)
                    message = queue.get(no_ack=True)
            return seen

        yield drain


def test_an_integrators_queue_sees_no_reset_link_survey_link_or_contact_email(stack, admin_api, smtp_server,
                                                                                integrator_queue):
    site = create_site(admin_api, "I")
    user = create_user(admin_api, [site["id"]], ["viewer"])
    assert admin_api.post("/auth/password-reset", {"email": user["email"]}).status_code == 202
    [reset_mail] = eventually(lambda: smtp_server.to(user["email"]), bool, timeout=30)
    reset_token = re.search(r"reset-password\?token=(\S+)", reset_mail.get_content()).group(1)

    customer = admin_api.post("/customers", {"legal_name": unique("Broker Trust Valves "), "site_id": site["id"]})
    assert customer.status_code == 201, customer.text
    contact_email = "%s@buyer.example" % unique("buyer.")
    contact = admin_api.post("/customers/%s/contacts" % customer.json()["id"], {"name": "Zhou Min",
                                                                                 "email": contact_email})
    assert contact.status_code == 201, contact.text
    survey = admin_api.post("/surveys", {"title": "Broker trust survey", "language": "en", "site_id": site["id"],
                                         "questions": [{"kind": "rating", "text": "How satisfied are you?"}]})
    assert survey.status_code == 201, survey.text
    sent = admin_api.post("/surveys/%s/send" % survey.json()["id"], {"customer_id": customer.json()["id"],
                                                                     "contact_ids": [contact.json()["id"]]})
    assert sent.status_code == 201, sent.text
    [invitation] = eventually(lambda: smtp_server.to(contact_email), bool, timeout=30)
    survey_token = re.search(r"http://crm\.test/s/(\S+)", invitation.get_content()).group(1)

    secret_types = {"accounts.password_reset_requested", "feedback.survey_sent"}

    def carrying_secrets(bodies):
        return [body for body in bodies if json.loads(body)["type"] in secret_types]

    bodies = eventually(integrator_queue, lambda found: len(carrying_secrets(found)) == 2, timeout=30)
    for secret in (reset_token, survey_token, contact_email):
        assert not any(secret in body for body in bodies), secret
    for body in carrying_secrets(bodies):
        assert user["email"] not in body and json.loads(body)["sealed"] and json.loads(body)["signature"]


@pytest.fixture(scope="module")
def broker_users():
    """The users and permissions of deploy/broker_definitions.py, imported into the broker as
    RabbitMQ reads the file (on a vhost and with user names of their own): ``connect(user)``."""
    vhost, run = "crm_perm_%s" % unique(), unique()
    document = broker_definitions.definitions({user: run + "-pw" for user in broker_definitions.permissions()})
    for user in document["users"]:
        user["name"] = "%s_%s" % (run, user["name"])
    for grant in document["permissions"]:
        grant.update(user="%s_%s" % (run, grant["user"]), vhost=vhost)
    document["permissions"].append({"user": "guest", "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"})
    document["vhosts"] = [{"name": vhost}]
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as handle:  # the broker's user reads it
        json.dump(document, handle)
        handle.flush()
        os.chmod(handle.name, 0o644)
        servers.rabbitmqctl("import_definitions", handle.name)
    try:
        with Connection(servers.amqp_uri_for(vhost)) as admin:
            for service in processes.SERVICES:
                Exchange("%s.events" % service, type="topic", durable=True)(admin.default_channel).declare()

        def connect(user):
            return Connection("amqp://%s_%s:%s-pw@localhost:5672/%s" % (run, user, run, vhost))

        def signs_in(user):
            with contextlib.suppress(Exception), connect(user) as connection:
                connection.connect()
                return True
            return False

        eventually(lambda: all(signs_in(user) for user in broker_definitions.permissions()), bool)  # imports are async
        yield connect
    finally:
        for user in document["users"]:
            subprocess.run(["rabbitmqctl", "-q", "delete_user", user["name"]], capture_output=True)
        servers.delete_vhost(vhost)


def refused(connection, action):
    """True when the broker refuses ``action(channel)`` with ACCESS_REFUSED (403)."""
    channel = connection.channel()
    try:
        action(channel)
        channel.basic_qos(0, 1, False)  # a round trip: an asynchronous refusal of a publish arrives by now
    except AccessRefused:
        return True
    finally:
        with contextlib.suppress(Exception):
            channel.close()
    return False


def test_the_integrator_reads_the_event_exchanges_and_cannot_publish_or_reconfigure_them(broker_users):
    with broker_users("integrator") as integrator, broker_users("accounts") as accounts:
        exchange = Exchange("accounts.events", type="topic", durable=True, passive=True)  # declared by accounts
        queue = Queue("integrator.erp", exchange, routing_key="accounts.#", auto_delete=True)
        queue(integrator.default_channel).declare()
        accounts.Producer(serializer="json").publish({"type": "accounts.site_created"}, exchange="accounts.events",
                                                     routing_key="accounts.site_created")
        message = eventually(lambda: queue(integrator.default_channel).get(no_ack=True), bool)
        assert message.payload == {"type": "accounts.site_created"}
        for service in processes.SERVICES:
            assert refused(integrator, lambda ch: ch.basic_publish(
                Message("{}"), exchange="%s.events" % service, routing_key="%s.audit" % service)), service
            assert refused(integrator, lambda ch: ch.exchange_delete("%s.events" % service)), service
        assert refused(integrator, lambda ch: ch.queue_declare("evt-accounts-accounts.audit--accounts.stolen"))


def test_a_service_publishes_only_on_its_own_exchange(broker_users):
    with broker_users("customers") as customers, broker_users("gateway") as gateway:
        assert not refused(customers, lambda ch: ch.basic_publish(
            Message("{}"), exchange="customers.events", routing_key="customers.audit"))
        assert refused(customers, lambda ch: ch.basic_publish(Message("{}"), exchange="accounts.events",
                                                               routing_key="accounts.audit"))
        assert refused(customers, lambda ch: ch.queue_declare("rpc-accounts"))
        assert refused(gateway, lambda ch: ch.basic_publish(Message("{}"), exchange="feedback.events",
                                                             routing_key="feedback.audit"))
