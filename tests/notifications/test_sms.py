"""The SMS provider interface."""
import pytest

from services.notifications import sms


class Recorder(sms.SmsProvider):
    def __init__(self):
        self.sent = []

    def send(self, number, text):
        self.sent.append((number, text))


class Broken(sms.SmsProvider):
    def send(self, number, text):
        raise ConnectionError("gateway down")


def test_the_logging_provider_is_the_default(monkeypatch):
    monkeypatch.setattr(sms, "_provider", None)
    monkeypatch.delenv("NOTIFICATIONS_SMS_PROVIDER", raising=False)
    assert isinstance(sms.provider(), sms.LoggingProvider)
    assert sms.send("+8613800000000", "hello")
    assert sms.provider().sent == [("+8613800000000", "hello")]


def test_a_provider_is_loaded_by_dotted_name(monkeypatch):
    monkeypatch.setattr(sms, "_provider", None)
    monkeypatch.setenv("NOTIFICATIONS_SMS_PROVIDER", "tests.notifications.test_sms:Recorder")
    assert isinstance(sms.provider(), Recorder)
    with pytest.raises(ValueError):
        sms.load("not-a-spec")


def test_a_failing_provider_is_logged_not_raised(monkeypatch):
    monkeypatch.setattr(sms, "_provider", Broken())
    assert sms.send("+8613800000000", "hello") is False
