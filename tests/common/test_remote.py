"""The one RPC client: a proxy is kept between calls, a call without an answer or on a broken
broker is Unavailable (503) and drops its proxy, and a service calls another as its caller."""
import pytest
from nameko.exceptions import RpcTimeout, UnknownService

from services.common import logs, remote
from services.common.errors import Unavailable


class FakeProxy:
    """Stands in for a started proxy: answers ``outcome``, or raises it."""

    def __init__(self, outcome):
        self.outcome = outcome
        self.calls = []
        self.stopped = False

    def call(self, service, method, args, kwargs, context, timeout):
        self.calls.append((service, method, args, kwargs, context, timeout))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    def usable(self):
        return True

    def stop(self):
        self.stopped = True


def client_of(proxy, monkeypatch):
    monkeypatch.setattr(remote, "_Entry", lambda amqp_uri, timeout: proxy)
    return remote.Client("amqp://broker.test/", timeout=5, size=2)


def test_a_call_carries_its_context_and_timeout_and_keeps_its_proxy(monkeypatch):
    proxy = FakeProxy({"id": "u1"})
    client = client_of(proxy, monkeypatch)
    assert client.call("accounts", "get_user", "u1", context={"authorization": "t"}, fields=["id"]) == {"id": "u1"}
    assert client.call("accounts", "me", timeout=1) == {"id": "u1"}
    assert proxy.calls == [("accounts", "get_user", ("u1",), {"fields": ["id"]}, {"authorization": "t"}, 5),
                           ("accounts", "me", (), {}, {}, 1)]
    assert list(client._pool().queue) == [proxy] and not proxy.stopped


@pytest.mark.parametrize("error, message", [
    (RpcTimeout(5), "The feedback service did not answer in time."),
    (UnknownService("feedback"), "The feedback service is unavailable."),
    (ConnectionResetError("reset"), "The message broker is unavailable."),
])
def test_no_answer_is_unavailable_and_drops_the_proxy(monkeypatch, error, message):
    proxy = FakeProxy(error)
    client = client_of(proxy, monkeypatch)
    with pytest.raises(Unavailable) as raised:
        client.call("feedback", "get_feedback", "f1")
    assert raised.value.message == message and raised.value.extra == {"service": "feedback"}
    assert proxy.stopped and list(client._pool().queue) == []


def test_an_answered_error_keeps_the_proxy(monkeypatch):
    proxy = FakeProxy(KeyError("x"))
    client = client_of(proxy, monkeypatch)
    with pytest.raises(KeyError):
        client.call("customers", "get_customer", "c1")
    assert list(client._pool().queue) == [proxy] and not proxy.stopped


def test_an_unreachable_broker_is_unavailable(monkeypatch):
    def refuse(amqp_uri, timeout):
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(remote, "_Entry", refuse)
    with pytest.raises(Unavailable) as raised:
        remote.Client("amqp://broker.test/", timeout=5, size=2).call("accounts", "me")
    assert raised.value.message == "The message broker is unavailable."


def test_a_service_calls_another_as_its_caller_within_rpc_timeout(monkeypatch):
    calls = []

    class Recorder:
        def call(self, service, method, *args, context=None, timeout=None, **kwargs):
            calls.append((service, method, args, kwargs, context, timeout))
            return {"items": []}

    monkeypatch.setattr(remote, "shared_client", Recorder)
    monkeypatch.setenv("RPC_TIMEOUT", "7")
    logs.bind_request_id("r1")
    try:
        assert remote.call("accounts", "site_directory", ["s1"], token="tok") == {"items": []}
    finally:
        logs.bind_request_id(None)
    assert remote.call("feedback", "open_feedback_count", "c1", timeout=2) == {"items": []}
    assert calls == [("accounts", "site_directory", (["s1"],), {}, {"authorization": "tok", "request_id": "r1"}, 7.0),
                     ("feedback", "open_feedback_count", ("c1",), {}, {}, 2)]


def test_one_shared_client_per_broker(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://one.test/")
    first = remote.shared_client()
    assert remote.shared_client() is first and first.amqp_uri == "amqp://one.test/"
    monkeypatch.setenv("AMQP_URI", "amqp://two.test/")
    assert remote.shared_client() is not first
