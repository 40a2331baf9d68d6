"""The inbox and webhook routes call the right RPC, validate input and keep every answer field."""
import pytest

from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

NOTE = {"id": "n1", "kind": "followup_due", "title": "Follow-up due: Acme", "body": "Hello\n",
        "link": "/customers/c1", "event_id": "e1", "event_type": "customers.followup_due", "site_id": "s1",
        "read": False, "read_at": None, "created_at": "2026-01-01T08:00:00+00:00"}
PREFS = {"user_id": "u1", "email_kinds": ["followup_due"], "sms_kinds": [], "sms_number": None,
         "kinds": ["followup_due", "tier_changed"], "version": 2}
HOOK = {"id": "w1", "url": "https://erp.example.com/hook", "event_types": ["customers.*"], "site_id": None,
        "description": None, "active": True, "consecutive_exhausted": 0, "created_by": "u1",
        "created_at": "2026-01-01T08:00:00+00:00", "updated_at": "2026-01-01T08:00:00+00:00", "disabled_at": None,
        "version": 1}
DELIVERY = {"id": "d1", "webhook_id": "w1", "event_id": "e1", "event_type": "customers.customer_created",
            "status": "succeeded", "attempts": [{"number": 1, "at": "2026-01-01T08:00:00+00:00", "status_code": 200,
                                                 "latency_ms": 12, "error": None, "success": True}],
            "next_attempt_at": None, "redelivery_of": None, "created_at": "2026-01-01T08:00:00+00:00",
            "completed_at": "2026-01-01T08:00:01+00:00"}
FAILED = {"id": "m1", "to": "a@b.test", "subject": "S", "kind": "tier_changed", "site_id": "s1", "event_id": "e1",
          "attempts": 6, "last_error": "SMTPServerDisconnected: x",
          "errors": [{"at": "2026-01-01T08:00:00+00:00", "error": "SMTPServerDisconnected: x"}],
          "created_at": "2026-01-01T08:00:00+00:00", "failed_at": "2026-01-01T10:00:00+00:00"}


def page(item, **extra):
    return dict({"items": [item], "next_cursor": "c2", "total": 7, "total_is_lower_bound": False}, **extra)


def test_inbox_routes(client, fake_rpc, auth):
    fake_rpc.replies["list_notifications"] = page(NOTE, unread=3)
    response = client.get("/api/v1/notifications?unread=true&limit=5", headers=auth)
    assert response.status_code == 200 and response.get_json() == page(NOTE, unread=3)
    assert fake_rpc.last["method"] == "list_notifications" and fake_rpc.last["service"] == "notifications"
    assert fake_rpc.last["args"] == ({"unread": True},) and fake_rpc.last["kwargs"] == {"limit": 5, "cursor": None}

    fake_rpc.replies["mark_read"] = dict(NOTE, read=True, read_at="2026-01-02T08:00:00+00:00")
    response = client.post("/api/v1/notifications/n1/read", headers=auth)
    assert response.status_code == 200 and response.get_json()["read"] is True
    assert fake_rpc.last["args"] == ("n1",)

    fake_rpc.replies["mark_all_read"] = {"updated": 4}
    assert client.post("/api/v1/notifications/read-all", headers=auth).get_json() == {"updated": 4}


def test_preferences_routes(client, fake_rpc, auth):
    fake_rpc.replies["get_preferences"] = PREFS
    assert client.get("/api/v1/notifications/preferences", headers=auth).get_json() == PREFS
    fake_rpc.replies["set_preferences"] = PREFS
    body = {"email_kinds": ["followup_due"], "version": 1}
    assert client.put("/api/v1/notifications/preferences", json=body, headers=auth).status_code == 200
    assert fake_rpc.last["args"] == (body,)
    bad = client.put("/api/v1/notifications/preferences", json={"email_kinds": ["spam"]}, headers=auth)
    assert bad.status_code == 422 and "email_kinds" in bad.get_json()["error"]["fields"]
    fake_rpc.replies["set_preferences"] = Conflict("Stale.", code="stale_version")
    assert client.put("/api/v1/notifications/preferences", json=body, headers=auth).status_code == 409


def test_failed_emails_for_admins(client, fake_rpc, auth):
    fake_rpc.replies["list_failed_emails"] = page(FAILED)
    assert client.get("/api/v1/notifications/failed-emails", headers=auth).get_json() == page(FAILED)
    fake_rpc.replies["list_failed_emails"] = Forbidden()
    assert client.get("/api/v1/notifications/failed-emails", headers=auth).status_code == 403


def test_webhook_routes(client, fake_rpc, auth):
    fake_rpc.replies["create_webhook"] = dict(HOOK, secret="whsec_x")
    body = {"url": "https://erp.example.com/hook", "event_types": ["customers.*"]}
    response = client.post("/api/v1/webhooks", json=body, headers=auth)
    assert response.status_code == 201 and response.get_json() == dict(HOOK, secret="whsec_x")
    assert fake_rpc.last["args"] == (body,)

    fake_rpc.replies["list_webhooks"] = page(HOOK)
    assert client.get("/api/v1/webhooks", headers=auth).get_json() == page(HOOK)
    fake_rpc.replies["get_webhook"] = HOOK
    assert client.get("/api/v1/webhooks/w1", headers=auth).get_json() == HOOK
    assert client.delete("/api/v1/webhooks/w1", headers=auth).status_code == 204
    assert fake_rpc.last["method"] == "delete_webhook" and fake_rpc.last["args"] == ("w1",)

    fake_rpc.replies["list_deliveries"] = page(DELIVERY)
    response = client.get("/api/v1/webhooks/w1/deliveries?status=succeeded", headers=auth)
    assert response.get_json() == page(DELIVERY)
    assert fake_rpc.last["args"] == ("w1", {"status": "succeeded"})

    fake_rpc.replies["redeliver"] = dict(DELIVERY, id="d2", status="pending", attempts=[], redelivery_of="d1")
    response = client.post("/api/v1/deliveries/d1/redeliver", headers=auth)
    assert response.status_code == 202 and response.get_json()["redelivery_of"] == "d1"


@pytest.mark.parametrize("body, field", [
    ({"url": "not a url", "event_types": ["customers.*"]}, "url"),
    ({"url": "ftp://erp.example.com/", "event_types": ["customers.*"]}, "url"),
    ({"url": "https://erp.example.com/", "event_types": []}, "event_types"),
    ({"url": "https://erp.example.com/", "event_types": ["customers.*"], "secret": "mine"}, "secret"),
])
def test_bad_webhook_input_is_422(client, fake_rpc, auth, body, field):
    response = client.post("/api/v1/webhooks", json=body, headers=auth)
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    assert fake_rpc.calls == []


def test_routes_need_a_token_and_map_errors(client, fake_rpc, auth):
    for method, path in (("get", "/api/v1/notifications"), ("get", "/api/v1/webhooks"),
                         ("post", "/api/v1/deliveries/d1/redeliver")):
        assert getattr(client, method)(path).status_code == 401
    fake_rpc.replies["redeliver"] = NotFound()
    assert client.post("/api/v1/deliveries/d1/redeliver", headers=auth).status_code == 404
    bad = client.get("/api/v1/webhooks/w1/deliveries?status=lost", headers=auth)
    assert bad.status_code == 422


def test_openapi_documents_the_routes_with_bearer_security(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for method, path in (("get", "/api/v1/notifications"), ("post", "/api/v1/notifications/{notification_id}/read"),
                         ("post", "/api/v1/notifications/read-all"), ("put", "/api/v1/notifications/preferences"),
                         ("get", "/api/v1/notifications/failed-emails"), ("post", "/api/v1/webhooks"),
                         ("delete", "/api/v1/webhooks/{webhook_id}"),
                         ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
                         ("post", "/api/v1/deliveries/{delivery_id}/redeliver")):
        assert document["paths"][path][method]["security"] == [{"bearerAuth": []}], (method, path)


def test_the_webhook_patch_route_validates_then_calls_update_webhook(client, fake_rpc, auth):
    answer = {"id": "w1", "url": "https://erp.example.com/hook", "event_types": ["feedback.*"], "site_id": "s2",
              "description": "ERP", "active": True, "consecutive_exhausted": 0, "created_by": "u1",
              "created_at": "2026-01-01T08:00:00+00:00", "updated_at": "2026-01-02T08:00:00+00:00",
              "disabled_at": None, "version": 2}
    fake_rpc.replies["update_webhook"] = answer
    body = {"version": 1, "site_id": "s2", "event_types": ["feedback.*"], "active": True}
    response = client.patch("/api/v1/webhooks/w1", json=body, headers=auth)
    assert response.status_code == 200 and response.get_json() == answer
    assert fake_rpc.last["method"] == "update_webhook" and fake_rpc.last["args"] == ("w1", body)

    calls = len(fake_rpc.calls)
    bad = client.patch("/api/v1/webhooks/w1", json={"active": "yes", "colour": "red"}, headers=auth)
    assert bad.status_code == 422 and {"version", "active", "colour"} <= set(bad.get_json()["error"]["fields"])
    assert len(fake_rpc.calls) == calls

    fake_rpc.replies["update_webhook"] = ValidationFailed(
        "This site is disabled.", {"site_id": ["This site is disabled."]}, code="site_disabled")
    closed = client.patch("/api/v1/webhooks/w1", json={"version": 1, "description": "x"}, headers=auth)
    assert closed.status_code == 422
    assert closed.get_json()["error"]["code"] == "site_disabled" and "site_id" in closed.get_json()["error"]["fields"]
