"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document, against the real
running system: every generated request, as an admin and as a viewer, must get an answer the
document describes (status, content type, body schema) and never a 5xx.

Two kinds of run, each as both users: one operation at a time, and stateful sequences that follow
the document's links (a created record, or a list's first item, becomes the next call's path
parameter), so the fuzzing reaches real records and their parts, not only unknown ids. Whether a
stateful step follows a link or generates its own path parameter is schemathesis' own random
choice (not seeded), so how many of its steps reach a record varies from run to run; a walk of
every link a read leads to, from the lists down, shows that the links do lead to the records.

The document is built from the gateway's code at collection time (the system starts later, in a
fixture); a test checks that the running gateway serves the very same document.
"""
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.core.transforms import resolve_pointer

from gateway.app import create_app
from tests.support.customers import add_part, create_customer, order

EXAMPLES_PER_OPERATION = 5
SCENARIOS = 40
STEPS_PER_SCENARIO = 8
# Per member; the suites go on, each with its own seed, until they are sent. With 1 500 each (and
# the records the viewer's test makes first) the viewer's links reach real records, and the suite
# keeps its time budget (the runs one operation at a time send about 6 000 more each).
STATEFUL_REQUESTS = 1500
MAX_SUITES = 20
MINIMUM_REQUESTS = 5000
REQUEST_TIMEOUT = 20
SEED = 20261008
VIEWER_RECORDS = 6  # customers, each with a contact and an order, the members' links can read
# Reads about one record the walk of the links reaches as each member, at least: a viewer reads the
# seeded records of its site (customers, feedback, a survey), their parts and the site's settings;
# an admin also the site's users.
CUSTOMER_READS = ["", "/contacts", "/followups", "/forecast", "/interactions", "/opportunities", "/orders",
                  "/overview", "/payments", "/recommendations", "/service-records", "/tier-history"]
SITE_READS = {"/api/v1/customers/{customer_id}" + part for part in CUSTOMER_READS} | {
    "/api/v1/customers/settings/{site_id}", "/api/v1/feedback/settings/{site_id}", "/api/v1/feedback/{feedback_id}",
    "/api/v1/surveys/{survey_id}", "/api/v1/surveys/{survey_id}/results"}
WALKED_READS = {"viewer": SITE_READS, "admin": SITE_READS | {
    "/api/v1/users/{user_id}", "/api/v1/users/{user_id}/logins", "/api/v1/users/{user_id}/permissions"}}
UNKNOWN_USER = "0" * 24

requests_sent = {"admin": 0, "viewer": 0}
stateful_sent = {"admin": 0, "viewer": 0}


def openapi_document():
    return create_app({"TESTING": True}).test_client().get("/api/v1/openapi.json").get_json()


DOCUMENT = openapi_document()
# A request too large for the server is refused too: 413 (body), 414 (request line), 431 (headers).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431", "5xx"]


def loaded(generation):
    """The document as schemathesis fuzzes it. POST /auth/login is left out: failed logins count
    against the account and the caller's address, which would slow or refuse the sign-ins of the
    rest of the test run; its bad input is covered by test_bad_input.py. Nothing else can end the
    fuzzing user's session: logout and refresh need a refresh token it never sees, changing its
    password needs the current one, and the stateful runs never aim a user change at the two
    fuzzing users (``spare_the_fuzzing_users``)."""
    config = schemathesis.config.SchemathesisConfig.from_dict({
        "seed": SEED, "generation": generation,
        "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}})
    return schemathesis.openapi.from_dict(DOCUMENT, config=config).exclude(method="POST", path="/api/v1/auth/login")


schema = loaded({})
# The stateful runs send the member's token on every step, so they leave the Authorization header
# out of the generated (and mutated) data; the runs above try it missing and malformed.
stateful_schema = loaded({"with-security-parameters": False})

# positive_data_acceptance is the one default check left out: it wants a 2xx for every request
# the document allows, but some rules are beyond JSON Schema and answer a documented 422 naming
# the field: an opaque list cursor, a reference that must exist (customer_id, site, role), a
# time zone name, "until" not before "since".
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]
fuzzing = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))
# Failures are recorded as they are seen, not raised: a sequence replayed against the live system
# meets other records and takes other links, which Hypothesis reports as a flaky strategy (it then
# ends that suite, and the next one starts with another seed).
workflows = settings(max_examples=SCENARIOS, stateful_step_count=STEPS_PER_SCENARIO, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])


def bearer(member):
    return {"Authorization": "Bearer %s" % member.api.token}


def call_as(member, case, stack):
    requests_sent[member.role] += 1
    case.call_and_validate(base_url=stack.url, headers=bearer(member), timeout=REQUEST_TIMEOUT,
                           excluded_checks=EXCLUDED_CHECKS)


def workflow_of(member, stack, protected, failures):
    """The state machine of the document's links, calling as ``member``; what the checks find goes
    to ``failures``."""

    class Workflow(stateful_schema.as_state_machine()):
        def before_call(self, case):
            spare_the_fuzzing_users(case, protected)

        def get_call_kwargs(self, case):
            return {"base_url": stack.url, "headers": bearer(member), "timeout": REQUEST_TIMEOUT}

        def after_call(self, response, case):
            requests_sent[member.role] += 1
            stateful_sent[member.role] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, additional_checks=additional_checks,
                                       excluded_checks=EXCLUDED_CHECKS, headers=kwargs.get("headers"),
                                       transport_kwargs=kwargs)
            except (AssertionError, ExceptionGroup) as exc:
                failures.append("%s %s -> %d\n%s" % (case.method, case.path, response.status_code, str(exc)[:1500]))

    return Workflow


def run_workflows(member, stack, protected):
    """Stateful suites as ``member`` until STATEFUL_REQUESTS are sent; no check may have failed."""
    failures = []
    machine = workflow_of(member, stack, protected, failures)
    for suite in range(MAX_SUITES):
        try:
            hypothesis.seed(SEED + suite)(machine).run(settings=workflows)
        except Flaky:
            pass  # the live system answered a replayed step differently: this suite ends here
        if stateful_sent[member.role] >= STATEFUL_REQUESTS:
            break
    assert not failures, "%d failed checks:\n\n%s" % (len(failures), "\n\n".join(failures[:5]))
    assert stateful_sent[member.role] >= STATEFUL_REQUESTS, stateful_sent


def linked_reads(response):
    """``(operation path, {parameter: value})`` of each read a response's links lead to, with
    every parameter found in the response's body."""
    for link in (response.get("links") or {}).values():
        path, method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
        if method == "get":
            yield path.replace("~1", "/").replace("~0", "~"), link["parameters"]


def walk_links(member, stack):
    """Read every list of the document as ``member``, then every read its answer's links lead to,
    and theirs in turn (each operation once, each answer checked against the document); the
    operations whose record was read (2xx) and the failed checks. A link's value is found in the
    answer the way schemathesis finds it (``resolve_pointer``)."""
    pending = [path for path, operations in DOCUMENT["paths"].items()
               if "get" in operations and "{" not in path and path.startswith("/api/v1/")]
    pending = [(path, {}) for path in pending]
    seen, reached, failures = set(), set(), []
    while pending:
        path, parameters = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        case = stateful_schema[path]["GET"].Case(path_parameters=parameters or None)
        response = case.call(base_url=stack.url, headers=bearer(member), timeout=REQUEST_TIMEOUT)
        try:
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
        except (AssertionError, ExceptionGroup) as exc:
            failures.append("GET %s -> %d\n%s" % (case.formatted_path, response.status_code, str(exc)[:1500]))
        if response.status_code >= 300:
            continue
        if parameters:
            reached.add(path)
        answer = DOCUMENT["paths"][path]["get"]["responses"].get(str(response.status_code), {})
        for target, expressions in linked_reads(answer):
            values = {name: resolve_pointer(response.json(), expression.split("#", 1)[1])
                      for name, expression in expressions.items()}
            if all(isinstance(value, str) for value in values.values()):
                pending.append((target, values))
    return reached, failures


def seed_the_site(admin):
    """Records of the fuzz site the members' links can reach whatever the fuzzing left there."""
    for _ in range(VIEWER_RECORDS):
        customer = create_customer(admin.api, site_id=admin.site["id"])
        add_part(admin.api, customer["id"], "contacts", {"name": "王芳"})
        add_part(admin.api, customer["id"], "orders", order())


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_the_links_of_every_list_lead_to_its_records_and_their_parts(stack, fuzz_admin, fuzz_viewer, role):
    seed_the_site(fuzz_admin)
    member = {"admin": fuzz_admin, "viewer": fuzz_viewer}[role]
    reached, failures = walk_links(member, stack)
    assert not failures, "%d failed checks:\n\n%s" % (len(failures), "\n\n".join(failures[:5]))
    assert not WALKED_READS[role] - reached, sorted(WALKED_READS[role] - reached)


def spare_the_fuzzing_users(case, protected):
    """A change aimed at one of the fuzzing users (they list each other) goes to an unknown user
    instead: disabling or deleting them would end the run's session, not test the API."""
    if case.method != "GET" and (case.path_parameters or {}).get("user_id") in protected:
        case.path_parameters["user_id"] = UNKNOWN_USER


def test_the_running_gateway_serves_the_fuzzed_document(stack):
    import requests

    assert requests.get(stack.url + "/api/v1/openapi.json", timeout=10).json() == DOCUMENT


def test_the_document_links_records_to_their_operations():
    links = [name for operations in DOCUMENT["paths"].values() for operation in operations.values()
             if isinstance(operation, dict) for response in operation.get("responses", {}).values()
             for name in response.get("links", {})]
    assert len(links) >= 100, len(links)
    created = DOCUMENT["paths"]["/api/v1/customers"]["post"]["responses"]["201"]["links"]
    assert created["get.customers.customer_id"]["parameters"] == {"customer_id": "$response.body#/id"}


@schema.parametrize()
@fuzzing
def test_admin_gets_documented_answers(case, stack, fuzz_admin):
    call_as(fuzz_admin, case, stack)


@schema.parametrize()
@fuzzing
def test_viewer_gets_documented_answers(case, stack, fuzz_viewer):
    call_as(fuzz_viewer, case, stack)


def test_admin_workflows_get_documented_answers(stack, fuzz_admin, fuzz_viewer):
    run_workflows(fuzz_admin, stack, {fuzz_admin.user["id"], fuzz_viewer.user["id"]})


def test_viewer_workflows_get_documented_answers(stack, fuzz_admin, fuzz_viewer):
    """The site holds records of its own first, so the viewer's links have records to reach
    whatever the admin's workflows happened to leave (a viewer writes nothing)."""
    seed_the_site(fuzz_admin)
    run_workflows(fuzz_viewer, stack, {fuzz_admin.user["id"], fuzz_viewer.user["id"]})


def test_enough_requests_were_generated():
    assert requests_sent["admin"] > 0 and requests_sent["viewer"] > 0, requests_sent
    assert sum(requests_sent.values()) >= MINIMUM_REQUESTS, requests_sent
