"""The event surface: every service's catalogue, and how webhook patterns select from it.

``SOURCES`` are the services whose exchanges notifications consumes, to route events to people
and to fan them out to webhooks. Each one's catalogue is ``CATALOGUE`` in its contract module.
"""
import fnmatch
import re

from services.accounts import contract as accounts
from services.common.envelope import ENVELOPE_FIELDS
from services.customers import contract as customers
from services.feedback import contract as feedback
from services.notifications import contract as notifications

CONTRACTS = {"accounts": accounts, "customers": customers, "feedback": feedback, "notifications": notifications}
SOURCES = ("accounts", "customers", "feedback")
PUBLISHERS = SOURCES + ("notifications",)
# Never sent to webhooks: they are about a live password-reset or survey link and its address; an
# import's batch of audit entries goes to hooks as the ``customers.audit`` events it stands for.
PRIVATE_TYPES = ("accounts.password_reset_requested", "feedback.survey_sent", "customers.audit_entries")
# The envelope keys a webhook delivery carries: never ``sealed`` or the broker ``signature``.
WEBHOOK_ENVELOPE = ENVELOPE_FIELDS

PATTERN = re.compile(r"^(\*|[a-z_]+\.[a-z_*]+)$")


def catalogue_of(service):
    """``{event_type: fields}`` of ``service``'s catalogue, or None for a service that publishes none."""
    contract = CONTRACTS.get(service)
    return dict(contract.CATALOGUE.types) if contract else None


def catalogues(services=PUBLISHERS):
    """``{event_type: fields}`` of every published catalogue among ``services``."""
    found = {}
    for service in services:
        found.update(catalogue_of(service) or {})
    return found


def subscribable_types():
    """Every event type a webhook can receive: those of the sources' catalogues but the private ones."""
    return set(catalogues(SOURCES)) - set(PRIVATE_TYPES)


def matches(pattern, event_type):
    """Whether a webhook pattern (``customers.customer_created``, ``customers.*`` or ``*``) selects it."""
    return fnmatch.fnmatchcase(event_type, pattern)


def pattern_problem(pattern):
    """Why ``pattern`` cannot be subscribed to, or None."""
    if not isinstance(pattern, str) or not PATTERN.match(pattern):
        return "%r is not an event type or a pattern like customers.*" % (pattern,)
    if not any(matches(pattern, event_type) for event_type in subscribable_types()):
        return "%s matches no event type." % pattern
    return None
