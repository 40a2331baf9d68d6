"""The documented event surface (docs/asyncapi.yaml; docs/events.md has tests/test_event_catalogue.py),
the templates, and the exchange-wide handlers."""
import os

import yaml

from deploy.processes import SERVICES
from services.notifications import asyncapi, catalogue, subscription, templates
from services.notifications.service import NotificationsService

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGENERATE = "regenerate it: python -m services.notifications.asyncapi > docs/asyncapi.yaml"


def asyncapi_document():
    with open(os.path.join(ROOT, "docs", "asyncapi.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_every_catalogue_event_is_in_the_asyncapi_document_with_its_fields():
    document = asyncapi_document()
    code = catalogue.catalogues(tuple(SERVICES))
    assert document["asyncapi"].startswith("2.6")
    assert set(document["channels"]) == set(code), REGENERATE
    for event_type, fields in code.items():
        channel = document["channels"][event_type]
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert exchange["name"] == "%s.events" % event_type.split(".")[0] and exchange["type"] == "topic"
        ref = channel["subscribe"]["message"]["$ref"]
        message = document["components"]["messages"][ref.rsplit("/", 1)[1]]
        envelope_ref, specific = message["payload"]["allOf"]
        assert envelope_ref == {"$ref": "#/components/schemas/Envelope"}
        data = specific["properties"]["data"]
        assert sorted(data["properties"]) == sorted(fields), (event_type, REGENERATE)
        assert sorted(data["required"]) == sorted(fields)
    assert document == yaml.safe_load(yaml.safe_dump(asyncapi.document())), REGENERATE


def test_one_exchange_handler_per_source_with_a_wildcard_binding():
    for source in catalogue.SOURCES:
        method = getattr(NotificationsService, subscription.handler_name(source))
        [handler] = method.nameko_entrypoints
        assert handler.source_service == source and handler.event_type == "%s.#" % source
        assert method.__name__ == subscription.handler_name(source)


def test_webhook_patterns_select_event_types():
    assert catalogue.matches("customers.*", "customers.customer_created")
    assert not catalogue.matches("customers.*", "feedback.survey_sent")
    assert catalogue.matches("*", "feedback.survey_sent")
    assert catalogue.pattern_problem("customers.*") is None
    assert catalogue.pattern_problem("feedback.sla_breached") is None
    assert catalogue.pattern_problem("customers.no_such_event")
    assert catalogue.pattern_problem("notifications.*"), "notifications' own events are not fanned out"
    assert catalogue.pattern_problem("customers.audit_entries"), "an import's batch goes out as its audit events"
    assert catalogue.pattern_problem("customers.customer_*") is None
    assert catalogue.pattern_problem("cust*")


def test_every_kind_has_a_template_in_both_languages():
    from services.notifications import contract, routing

    kinds = templates.kinds()
    needed = {routing.kind_of(t) for t in list(routing.TO_USERS) + list(routing.MAIL_ONLY)} | set(contract.KINDS)
    assert needed <= kinds
    for language in templates.LANGUAGES:
        assert set(os.listdir(os.path.join(ROOT, "services", "notifications", "templates", language))) == {
            "%s.txt" % kind for kind in kinds}


def test_templates_render_in_the_users_language():
    data = {"legal_name": "Acme", "due_date": "2026-03-01", "reason": None}
    subject, body = templates.render("followup_due", "en-GB", name="Ann", data=data, link="http://x/c")
    assert subject == "Follow-up due: Acme" and body.startswith("Hello Ann,") and "http://x/c" in body
    subject, body = templates.render("followup_due", "zh-CN", name="安", data=data, link="http://x/c")
    assert subject == "回访到期：Acme" and "2026-03-01" in body
    assert templates.language_of(None) == templates.language_of("fr") == "zh-CN"
