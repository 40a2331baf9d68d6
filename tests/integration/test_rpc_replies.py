"""Replies of the services' RPC entrypoint against the real broker: a result, a domain error, a
result that cannot be sent, arguments that do not fit and a method the service lacks each reach the
caller as such, and the service answers on."""
import datetime

import pytest
from nameko.exceptions import IncorrectSignature, RemoteError

from services.common.entrypoints import rpc
from services.common.errors import NotFound, Unavailable
from services.common.remote import Client


class Replier:
    name = "replies_probe"

    @rpc
    def echo(self, value):
        return {"value": value, "names": ["苏州精工", "Müller GmbH"], "amount": 12.5, "none": None}

    @rpc
    def missing(self, customer_id):
        raise NotFound("No customer %s." % customer_id, fields={"customer_id": ["unknown"]})

    @rpc
    def unsendable(self):
        return {"kept": object()}

    @rpc
    def when(self):
        return {"at": datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.timezone.utc)}


@pytest.fixture
def client(run_service, integration_amqp_uri):
    run_service(Replier)
    return Client(integration_amqp_uri, timeout=30, size=2)


def test_a_result_reaches_the_caller_whole(client):
    assert client.call("replies_probe", "echo", "x" * 5000) == {
        "value": "x" * 5000, "names": ["苏州精工", "Müller GmbH"], "amount": 12.5, "none": None}


def test_a_domain_error_reaches_the_caller_as_its_own_class(client):
    with pytest.raises(NotFound) as refused:
        client.call("replies_probe", "missing", "c-1")
    assert refused.value.message == "No customer c-1."
    assert refused.value.fields == {"customer_id": ["unknown"]}
    assert client.call("replies_probe", "echo", 1)["value"] == 1


def test_a_result_that_cannot_be_sent_is_an_error_and_the_service_answers_on(client):
    with pytest.raises(RemoteError) as failed:
        client.call("replies_probe", "unsendable")
    assert failed.value.exc_type == "UnserializableValueError"
    assert "object object" in failed.value.value
    assert client.call("replies_probe", "echo", 2)["value"] == 2


def test_a_datetime_travels_as_a_datetime(client):
    assert client.call("replies_probe", "when") == {
        "at": datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.timezone.utc)}


def test_arguments_that_do_not_fit_the_method_are_refused_and_it_answers_on(client):
    with pytest.raises(IncorrectSignature) as refused:
        client.call("replies_probe", "echo", 1, 2)
    assert "too many positional arguments" in str(refused.value)
    with pytest.raises(IncorrectSignature):
        client.call("replies_probe", "missing", other="c-1")
    assert client.call("replies_probe", "echo", value=3)["value"] == 3


def test_a_method_the_service_lacks_is_unavailable_and_its_methods_answer_on(client):
    with pytest.raises(Unavailable) as refused:
        client.call("replies_probe", "echo_twice", 1)
    assert refused.value.message == "The replies_probe service cannot answer this yet."
    assert [client.call("replies_probe", method, 4)["value"] for method in ("echo", "echo")] == [4, 4]
    with pytest.raises(NotFound):
        client.call("replies_probe", "missing", "c-2")
