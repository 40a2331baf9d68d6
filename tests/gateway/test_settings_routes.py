"""The customer settings routes of the gateway: reached before any customer route, validated,
forwarded to the customers service."""
import pytest


def test_customer_settings_are_read_and_written_through_the_customers_service(client, fake_rpc, auth):
    fake_rpc.replies["get_settings"] = {"site_id": "s1", "review_days": 90, "version": 0}
    shown = client.get("/api/v1/customers/settings/s1", headers=auth)
    assert shown.status_code == 200 and shown.get_json()["review_days"] == 90
    assert (fake_rpc.last["service"], fake_rpc.last["method"], fake_rpc.last["args"]) == (
        "customers", "get_settings", ("s1",))
    body = {"version": 0, "followup_days": {"key": 14}, "tier_thresholds": {"key_orders": 6}}
    assert client.put("/api/v1/customers/settings/s1", json=body, headers=auth).status_code == 200
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("update_settings", ("s1", body))


@pytest.mark.parametrize("site_id", ["overview", "restore", "contacts", "tier-history"])
def test_a_site_id_that_names_a_customer_subpath_still_reaches_the_settings(client, fake_rpc, auth, site_id):
    client.get("/api/v1/customers/settings/%s" % site_id, headers=auth)
    assert (fake_rpc.last["method"], fake_rpc.last["args"]) == ("get_settings", (site_id,))


@pytest.mark.parametrize("body, field", [
    ({"review_days": 30}, "version"),
    ({"version": 0}, "_body"),
    ({"version": 0, "review_days": 0}, "review_days"),
    ({"version": 0, "review_days": 3.5}, "review_days"),
    ({"version": 0, "followup_days": {"monthly": 30}}, "followup_days"),
    ({"version": 0, "tier_thresholds": {"vip_amount": -1}}, "tier_thresholds"),
    ({"version": 0, "colour": "red"}, "colour"),
])
def test_bad_customer_settings_are_422_naming_the_field(client, fake_rpc, auth, body, field):
    response = client.put("/api/v1/customers/settings/s1", json=body, headers=auth)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert fake_rpc.calls == []


def test_the_settings_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/customers/settings/{site_id}"])
    for area in ("feedback", "customers"):
        put = paths["/api/v1/%s/settings/{site_id}" % area]["put"]
        assert "settings:write" in put["summary"] + put.get("description", "")
