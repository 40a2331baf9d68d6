"""Which user changes end access tokens, and what accounts records and announces for them."""
import datetime

import pytest

from services.accounts import token_revocations
from services.accounts.keys import ACCESS_TOKEN_SECONDS
from services.common.clock import parse_time


@pytest.mark.parametrize("fields, reason", [
    ({"status"}, "status_changed"),
    ({"sites", "display_name"}, "sites_changed"),
    ({"roles", "permissions"}, "permissions_changed"),
    ({"grants"}, "permissions_changed"),
    ({"revocations"}, "permissions_changed"),
    ({"password_hash"}, "password_changed"),
    ({"must_change_password"}, "password_change_required"),
    ({"display_name", "email", "phone", "position", "language"}, None),
    (set(), None),
])
def test_reason_for(fields, reason):
    assert token_revocations.reason_for(fields) == reason


def test_a_user_wide_revocation_names_the_version_after_the_write():
    now = datetime.datetime(2027, 3, 1, 8, 0, tzinfo=datetime.timezone.utc)
    user = {"_id": "u1", "sites": ["s1", "s2"], "version": 6}
    fields, emitted = token_revocations.user_wide(user, 6, "sites_changed", "admin1", now=now)
    assert fields == {"tokens_min_version": 7, "tokens_revoked_at": now}
    [event] = emitted
    assert event["type"] == "accounts.tokens_revoked" and event["site_id"] == "s1" and event["actor"] == "admin1"
    assert event["data"] == {"user_id": "u1", "session_id": None, "min_version": 7, "reason": "sites_changed",
                             "expires_at": "2027-03-01T08:16:00Z"}
    assert parse_time(event["data"]["expires_at"]) - now > datetime.timedelta(seconds=ACCESS_TOKEN_SECONDS + 10)


def test_a_change_that_ends_nothing_adds_nothing():
    assert token_revocations.user_wide({"_id": "u1", "sites": [], "version": 2}, 2, None, "admin1") == ({}, [])
