"""Shared helpers for the notifications unit tests: events as services publish them, users."""
import pytest

from services.accounts import events as accounts_events
from services.common.envelope import make_event

MANAGER = ["customers:read", "customers:write", "reports:read", "feedback:write"]
SALES = ["customers:read", "customers:write", "contacts:read"]


def user_event(user_id, sites, permissions, event_type="user_created", language="en", email=None, at=None,
               status="active"):
    data = {"user_id": user_id, "username": user_id, "sites": sites, "roles": ["sales"],
            "email": email if email is not None else "%s@factory.test" % user_id, "display_name": user_id.title(),
            "language": language, "status": status, "permissions": permissions}
    if event_type == "user_updated":
        data["changed_fields"] = ["email"]
    event = accounts_events.event(event_type, data, sites[0] if sites else None, "admin")
    if at:
        event["occurred_at"] = at
    return event


def permissions_event(user_id, permissions, at=None):
    data = {"user_id": user_id, "roles": ["sales"], "grants": [], "revocations": [], "effective": permissions,
            "email": "%s@factory.test" % user_id, "display_name": user_id.title(), "language": "en",
            "status": "active", "permissions": permissions}
    event = accounts_events.event("permissions_changed", data, None, "admin")
    if at:
        event["occurred_at"] = at
    return event


def customers_event(name, site_id="s1", **data):
    return make_event("customers.%s" % name, data, site_id=site_id, actor="service:customers")


# The sites these tests name, as the replica of accounts' sites holds them (active).
@pytest.fixture
def db(db_factory):
    from services.notifications import store
    from tests.support.sites import known_sites

    database = db_factory("notifications")
    store.ensure_indexes(database)
    known_sites(database, "s1", "s2", "s3")
    return database
