"""Site settings change only with ``settings:write`` on the caller's own site (F11; issue item 3).

Attacks through the gateway on the real stack: a service engineer (``feedback:write``) rewriting
the site's SLA hours, a user holding ``customers:write`` and ``reports:read`` (what customer
settings used to need) rewriting tier thresholds, and a manager of one site writing another's.
Controls show the same requests succeed for a manager of the site, and reads work for readers.
"""
import types

import pytest

from tests.support.customers import create_site, create_user, signed_in


@pytest.fixture(scope="module")
def plant(stack, admin_api):
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")

    def member(roles, grants=()):
        user = create_user(admin_api, [site_a["id"]], roles)
        if grants:
            current = admin_api.get("/users/%s/permissions" % user["id"]).json()
            changed = admin_api.put("/users/%s/permissions" % user["id"], {
                "roles": roles, "grants": list(grants), "revocations": [], "version": current["version"]})
            assert changed.status_code == 200, changed.text
        return signed_in(stack, user)

    return types.SimpleNamespace(
        a=site_a["id"], b=site_b["id"], admin=admin_api, manager=member(["manager"]),
        engineer=member(["service"]), viewer=member(["viewer"]),
        upkeep=member(["sales"], grants=["reports:read"]))


def refused_for_want_of_settings_write(response):
    assert response.status_code == 403, response.text
    assert response.json()["error"]["permission"] == "settings:write"


def test_a_feedback_writer_cannot_stretch_the_sites_sla(plant):
    before = plant.engineer.get("/feedback/settings/%s" % plant.a)
    assert before.status_code == 200, before.text
    attack = plant.engineer.put("/feedback/settings/%s" % plant.a, {
        "version": before.json()["version"], "sla_hours": {"critical": 8760}, "categories": ["other"]})
    refused_for_want_of_settings_write(attack)
    assert plant.engineer.get("/feedback/settings/%s" % plant.a).json() == before.json()

    control = plant.manager.put("/feedback/settings/%s" % plant.a, {
        "version": before.json()["version"], "sla_hours": {"critical": 2}})
    assert control.status_code == 200, control.text
    assert control.json()["sla_hours"]["critical"] == 2
    assert control.json()["version"] == before.json()["version"] + 1


def test_a_manager_cannot_change_another_sites_feedback_settings(plant):
    other = plant.admin.get("/feedback/settings/%s" % plant.b).json()
    attack = plant.manager.put("/feedback/settings/%s" % plant.b, {"version": other["version"],
                                                                   "sla_hours": {"critical": 8760}})
    assert attack.status_code == 404, attack.text
    assert plant.admin.get("/feedback/settings/%s" % plant.b).json() == other


def test_customer_settings_are_exposed_to_readers_of_the_site(plant):
    shown = plant.viewer.get("/customers/settings/%s" % plant.a)
    assert shown.status_code == 200, shown.text
    settings = shown.json()
    assert settings["site_id"] == plant.a
    assert set(settings) >= {"tier_thresholds", "followup_days", "review_days", "version"}
    assert plant.viewer.get("/customers/settings/%s" % plant.b).status_code == 404
    assert plant.engineer.put("/customers/settings/%s" % plant.a,
                              {"version": settings["version"], "review_days": 7}).status_code == 403


def test_customer_write_and_reports_read_no_longer_change_tier_thresholds(plant):
    before = plant.upkeep.get("/customers/settings/%s" % plant.a)
    assert before.status_code == 200, before.text
    attack = plant.upkeep.put("/customers/settings/%s" % plant.a, {
        "version": before.json()["version"], "tier_thresholds": {"key_amount": 1.0, "key_orders": 1}})
    refused_for_want_of_settings_write(attack)
    assert plant.upkeep.get("/customers/settings/%s" % plant.a).json() == before.json()


def test_a_manager_changes_the_customer_settings_of_its_own_site_only(plant):
    before = plant.manager.get("/customers/settings/%s" % plant.a).json()
    saved = plant.manager.put("/customers/settings/%s" % plant.a, {
        "version": before["version"], "followup_days": {"key": 14}, "review_days": 45})
    assert saved.status_code == 200, saved.text
    assert saved.json()["followup_days"]["key"] == 14 and saved.json()["review_days"] == 45
    assert saved.json()["version"] == before["version"] + 1
    stale = plant.manager.put("/customers/settings/%s" % plant.a, {"version": before["version"], "review_days": 30})
    assert stale.status_code == 409, stale.text
    other = plant.admin.get("/customers/settings/%s" % plant.b).json()
    attack = plant.manager.put("/customers/settings/%s" % plant.b, {"version": other["version"], "review_days": 1})
    assert attack.status_code == 404, attack.text
    assert plant.admin.get("/customers/settings/%s" % plant.b).json() == other


@pytest.mark.parametrize("body, field", [
    ({"review_days": 30}, "version"),
    ({"version": 0, "review_days": 0}, "review_days"),
    ({"version": 0, "tier_thresholds": {"vip_amount": "lots"}}, "tier_thresholds"),
    ({"version": 0, "followup_days": {"vip": 7, "weekly": 1}}, "followup_days"),
])
def test_bad_customer_settings_are_a_422_naming_the_field(plant, body, field):
    response = plant.manager.put("/customers/settings/%s" % plant.a, body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]


def test_thresholds_that_do_not_rise_from_key_to_vip_are_refused(plant):
    current = plant.manager.get("/customers/settings/%s" % plant.a).json()
    response = plant.manager.put("/customers/settings/%s" % plant.a, {
        "version": current["version"], "tier_thresholds": {"key_amount": current["tier_thresholds"]["vip_amount"] * 2}})
    assert response.status_code == 422, response.text
    assert "tier_thresholds" in response.json()["error"]["fields"]
