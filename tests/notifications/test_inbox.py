"""The inbox over the store: only your own items, the unread filter, pages, preferences and versions."""
import pytest

from services.common.auth import Caller
from services.common.envelope import make_event
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.notifications import inbox

ANN = Caller("ann", ["s1"], [])
BOB = Caller("bob", ["s1"], [])


def add(db, user_id, n):
    event = make_event("customers.followup_due", {}, site_id="s1")
    inbox.add(db, "%s-%d" % (user_id, n), user_id, "followup_due", "Title %d" % n, "Body\n", None, event)


def test_pages_of_your_own_items_newest_first_with_an_unread_filter(db):
    for n in range(5):
        add(db, "ann", n)
    add(db, "bob", 0)
    first = inbox.list_mine(db, ANN, {}, 2, None)
    assert first["total"] == 3 and first["total_is_lower_bound"] and first["unread"] == 5
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = inbox.list_mine(db, ANN, {}, 3, first["next_cursor"])
    assert rest["total"] == 5 and not rest["total_is_lower_bound"]
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert sorted(ids) == ["ann-%d" % n for n in range(5)] and rest["next_cursor"] is None

    inbox.mark_read(db, ANN, "ann-1")
    unread = inbox.list_mine(db, ANN, {"unread": True}, None, None)
    assert unread["total"] == 4 and "ann-1" not in [item["id"] for item in unread["items"]]
    with pytest.raises(NotFound):
        inbox.mark_read(db, BOB, "ann-2")
    assert inbox.mark_all_read(db, ANN) == {"updated": 4}
    assert inbox.list_mine(db, BOB, {"unread": True}, None, None)["total"] == 1
    with pytest.raises(ValidationFailed):
        inbox.list_mine(db, ANN, {"unread": "perhaps"}, None, None)


def test_preferences_default_to_mail_for_every_kind_and_check_versions(db):
    defaults = inbox.get_preferences(db, ANN)
    assert defaults["email_kinds"] == list(inbox.KINDS) and defaults["sms_kinds"] == [] and defaults["version"] == 0
    saved = inbox.set_preferences(db, ANN, {"email_kinds": ["tier_changed"], "sms_kinds": ["sla_breached"],
                                            "sms_number": "+8613800000000", "version": 0})
    assert saved["version"] == 1 and saved["sms_kinds"] == ["sla_breached"]
    with pytest.raises(Conflict):
        inbox.set_preferences(db, ANN, {"email_kinds": [], "version": 0})
    assert inbox.set_preferences(db, ANN, {"email_kinds": []})["version"] == 2
    with pytest.raises(ValidationFailed) as no_number:
        inbox.set_preferences(db, ANN, {"email_kinds": [], "sms_kinds": ["sla_breached"]})
    assert "sms_number" in no_number.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        inbox.set_preferences(db, ANN, {"email_kinds": ["password_changed"]})
    assert "email_kinds" in unknown.value.fields
