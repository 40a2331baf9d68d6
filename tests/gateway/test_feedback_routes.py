"""The feedback and survey routes: the RPC each calls, the public page, and the OpenAPI document."""
from services.common.errors import BadRequest, Conflict, NotFound, Unavailable, ValidationFailed

ITEM = {"id": "f1", "site_id": "s1", "customer_id": "c1", "contact_id": None, "channel": "phone",
        "type": "complaint", "category": "quality", "severity": "high", "rating": 2, "nps": None, "subject": None,
        "text": "Leaks.", "order_id": None, "service_record_id": None, "status": "open", "assignee_id": None,
        "due_at": "2026-11-21T08:00:00Z", "overdue": False, "sla_breached_at": None, "sla_met": None,
        "responses": [{"id": "r1", "kind": "note", "text": "Seen.", "author_id": "u1", "at": "2026-11-20T08:00:00Z"}],
        "history": [{"from": None, "to": "open", "at": "2026-11-20T08:00:00Z", "by": "u1", "note": None}],
        "resolution_summary": None, "resolved_at": None, "resolved_by": None, "first_resolved_at": None,
        "closed_at": None, "customer_confirmation": None, "reopened_count": 0, "source": None, "created_by": "u1",
        "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T08:00:00Z",
        "status_changed_at": "2026-11-20T08:00:00Z", "version": 1}
SURVEY = {"title": "Q4", "intro": None, "language": "en", "recipient": "Li", "expires_at": "2026-12-20T08:00:00Z",
          "questions": [{"id": "q1", "kind": "rating", "text": "Satisfied?", "required": True},
                        {"id": "q2", "kind": "choice", "text": "Best?", "required": False,
                         "options": ["quality", "price"]}]}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_create_list_and_update_feedback(client, fake_rpc, auth):
    fake_rpc.replies.update(create_feedback=ITEM, list_feedback={"items": [ITEM], "next_cursor": None, "total": 1},
                            update_feedback=ITEM)
    body = {"customer_id": "c1", "channel": "phone", "type": "complaint", "category": "quality", "text": "Leaks.",
            "due_at": "2026-11-21T08:00:00+08:00"}
    created = client.post("/api/v1/feedback", json=body, headers=auth)
    assert created.status_code == 201 and created.get_json() == ITEM
    assert fake_rpc.last["args"] == (dict(body, due_at="2026-11-21T08:00:00+08:00"),)
    listed = client.get("/api/v1/feedback?status=open&overdue=true&sort=-due_at&limit=5", headers=auth)
    assert listed.status_code == 200
    assert fake_rpc.last["args"] == ({"status": "open", "overdue": True, "sort": "-due_at"},)
    assert fake_rpc.last["kwargs"] == {"limit": 5, "cursor": None}
    client.patch("/api/v1/feedback/f1", json={"version": 1, "assignee_id": "u2"}, headers=auth)
    assert fake_rpc.last["args"] == ("f1", {"version": 1, "assignee_id": "u2"})


def test_bad_feedback_input_is_422_before_any_rpc(client, fake_rpc, auth):
    response = client.post("/api/v1/feedback", json={"customer_id": "c1", "channel": "fax", "type": "complaint",
                                                     "category": "quality", "text": "x" * 4001, "rating": 6},
                           headers=auth)
    assert response.status_code == 422
    assert {"channel", "text", "rating"} <= set(response.get_json()["error"]["fields"])
    assert fake_rpc.calls == []
    assert client.get("/api/v1/feedback?overdue=maybe", headers=auth).status_code == 422


def test_an_illegal_transition_is_409_naming_the_allowed_ones(client, fake_rpc, auth):
    fake_rpc.replies["update_feedback"] = Conflict("Feedback cannot go from open to closed; allowed: assigned.",
                                                   code="illegal_transition", extra={"allowed": ["assigned"]})
    response = client.patch("/api/v1/feedback/f1", json={"version": 1, "status": "closed"}, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["allowed"] == ["assigned"]


def test_customers_down_is_503(client, fake_rpc, auth):
    fake_rpc.replies["create_feedback"] = Unavailable("The customers service is unavailable.",
                                                      extra={"service": "customers"})
    response = client.post("/api/v1/feedback", json={"customer_id": "c1", "channel": "phone", "type": "complaint",
                                                     "category": "quality", "text": "Leaks."}, headers=auth)
    assert response.status_code == 503 and response.get_json()["error"]["service"] == "customers"


def test_responses_surveys_and_the_report(client, fake_rpc, auth):
    client.post("/api/v1/feedback/f1/responses", json={"kind": "reply", "text": "On it."}, headers=auth)
    assert fake_rpc.last["method"] == "add_response"
    assert fake_rpc.last["args"] == ("f1", {"kind": "reply", "text": "On it."})
    client.post("/api/v1/surveys/sv1/send", json={"customer_id": "c1", "contact_ids": ["p1", "p2"]}, headers=auth)
    assert fake_rpc.last["args"] == ("sv1", {"customer_id": "c1", "contact_ids": ["p1", "p2"]})
    client.get("/api/v1/reports/satisfaction?site_id=s1&since=2026-01-01T00:00:00Z", headers=auth)
    assert fake_rpc.last["args"] == ({"site_id": "s1", "since": "2026-01-01T00:00:00+00:00"},)
    client.put("/api/v1/feedback/settings/s1", json={"version": 0, "sla_hours": {"critical": 2}}, headers=auth)
    assert fake_rpc.last["args"] == ("s1", {"version": 0, "sla_hours": {"critical": 2}})


def test_the_public_survey_needs_no_token_and_answers_json_or_html(client, fake_rpc):
    fake_rpc.replies["survey_for_token"] = SURVEY
    shown = client.get("/s/tok", headers={"Accept": "application/json"})
    assert shown.status_code == 200 and shown.get_json() == SURVEY
    assert fake_rpc.last["args"] == ("tok",) and "authorization" not in fake_rpc.last["context"]
    page = client.get("/s/tok", headers=HTML)
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'name="q1" value="5"' in text and 'value="price"' in text and "<script" not in text and "http" not in text


def test_answers_by_json_and_by_form(client, fake_rpc):
    fake_rpc.replies["answer_survey"] = {"status": "received", "message": "Thank you for your feedback!"}
    answered = client.post("/s/tok", json={"answers": {"q1": 4}})
    assert answered.status_code == 200 and answered.get_json()["status"] == "received"
    assert fake_rpc.last["args"] == ("tok", {"q1": 4})
    thanks = client.post("/s/tok", data={"q1": "4", "q2": "price"})
    assert thanks.status_code == 200 and "Thank you for your feedback!" in thanks.get_data(as_text=True)
    assert fake_rpc.last["args"] == ("tok", {"q1": "4", "q2": "price"})
    assert client.post("/s/tok", json={"q1": 4}).status_code == 422


def test_a_missing_answer_is_422_naming_it(client, fake_rpc):
    fake_rpc.replies.update(answer_survey=ValidationFailed("Please answer: q1.", {"q1": ["An answer is required."]}),
                            survey_for_token=SURVEY)
    as_json = client.post("/s/tok", json={"answers": {}})
    assert as_json.status_code == 422 and as_json.get_json()["error"]["fields"] == {"q1": ["An answer is required."]}
    as_page = client.post("/s/tok", data={"q2": "price"})
    assert as_page.status_code == 422
    text = as_page.get_data(as_text=True)
    assert "An answer is required." in text and 'value="price" checked' in text


def test_used_expired_and_unknown_links(client, fake_rpc):
    for error, status in ((BadRequest("Already answered.", code="survey_link_used"), 410),
                          (BadRequest("Expired.", code="survey_link_expired"), 410),
                          (NotFound("Not valid.", code="survey_link_invalid"), 404)):
        fake_rpc.replies.update(answer_survey=error, survey_for_token=error)
        as_json = client.post("/s/tok", json={"answers": {"q1": 4}})
        assert as_json.status_code == status and as_json.get_json()["error"]["code"] == error.code
        as_page = client.get("/s/tok", headers=HTML)
        assert as_page.status_code == status and error.message in as_page.get_data(as_text=True)
    fake_rpc.replies["survey_for_token"] = Unavailable()
    assert client.get("/s/tok", headers=HTML).status_code == 503


def test_the_openapi_document_lists_public_and_protected_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for method in ("get", "post"):
        operation = document["paths"]["/s/{token}"][method]
        assert "security" not in operation and {"404", "410", "503"} <= set(operation["responses"])
    assert set(document["paths"]["/s/{token}"]["post"]["requestBody"]["content"]) == {
        "application/json", "application/x-www-form-urlencoded"}
    protected = [("/api/v1/feedback", "get"), ("/api/v1/feedback", "post"), ("/api/v1/feedback/{feedback_id}", "get"),
                 ("/api/v1/feedback/{feedback_id}", "patch"), ("/api/v1/feedback/{feedback_id}/responses", "post"),
                 ("/api/v1/surveys", "get"), ("/api/v1/surveys", "post"), ("/api/v1/surveys/{survey_id}/send", "post"),
                 ("/api/v1/reports/satisfaction", "get")]
    for path, method in protected:
        assert document["paths"][path][method]["security"] == [{"bearerAuth": []}], (path, method)
