"""Text messages through a pluggable provider.

A provider is any class with ``send(number, text)`` that raises on failure. The built-in
``LoggingProvider`` only logs, and never the number or the text in clear.
``NOTIFICATIONS_SMS_PROVIDER=package.module:Class`` loads another one (constructed without
arguments; read its own settings from the environment).
"""
import logging
import pkgutil

from services.common import config

log = logging.getLogger(__name__)


class SmsProvider:
    """The interface: send ``text`` to ``number`` (E.164, e.g. +8613800000000) or raise."""

    def send(self, number, text):
        raise NotImplementedError


def masked(number):
    """``number`` showing only its first three characters (+ and the country code's start) and last four."""
    if not number:
        return None
    return number[:3] + "*" * max(len(number) - 7, 0) + number[-4:]


class LoggingProvider(SmsProvider):
    """Logs that a message would be sent, instead of sending it (development and tests)."""

    def __init__(self):
        self.sent = []

    def send(self, number, text):
        self.sent.append((number, text))
        log.info("SMS to %s (%d characters) not sent: no provider configured", masked(number), len(text))


def load(spec):
    """The provider named by ``spec``: ``logging`` or ``package.module:Class``."""
    if spec == "logging":
        return LoggingProvider()
    if ":" not in spec:
        raise ValueError("NOTIFICATIONS_SMS_PROVIDER must be 'logging' or 'package.module:Class', not %r" % spec)
    return pkgutil.resolve_name(spec)()


_provider = None


def provider():
    """The configured provider, loaded once per process."""
    global _provider
    if _provider is None:
        _provider = load(config.get("NOTIFICATIONS_SMS_PROVIDER"))
    return _provider


def send(number, text):
    """Send, logging (not raising) a provider failure: a text is a courtesy copy of an inbox item."""
    try:
        provider().send(number, text)
        return True
    except Exception:
        log.exception("SMS to %s failed", masked(number))
        return False
