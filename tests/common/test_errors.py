from flask import Flask
from nameko.exceptions import RemoteError, deserialize, serialize

from gateway import errors as gateway_errors
from services.common import errors


def test_domain_error_crosses_rpc_boundary_intact():
    original = errors.ValidationFailed("Bad e-mail.", {"email": ["Not a valid e-mail."]}, extra={"row": 3})
    copy = deserialize(serialize(original))
    assert type(copy) is errors.ValidationFailed
    assert copy.message == "Bad e-mail."
    assert copy.fields == {"email": ["Not a valid e-mail."]}
    assert copy.extra == {"row": 3}
    assert copy.code == "validation_error"


def test_default_message_and_empty_fields_survive_serialisation():
    copy = deserialize(serialize(errors.NotFound()))
    assert copy.message == "Not found."
    assert copy.fields == {} and copy.extra == {}


def app_raising(exc):
    app = Flask(__name__)
    gateway_errors.init_app(app)

    @app.route("/boom")
    def boom():
        raise exc

    return app.test_client()


def test_every_domain_error_maps_to_its_status_and_body():
    for error_type, status in gateway_errors.STATUS.items():
        response = app_raising(error_type("Because.", {"name": ["Required."]})).get("/boom")
        assert response.status_code == status
        # texts no catalogue knows are answered as they are, with no code
        assert response.json == {"error": {"code": error_type.code, "message": "Because.", "message_code": None,
                                           "params": {}, "fields": {"name": ["Required."]},
                                           "field_details": {"name": [{"code": None, "params": {}}]}}}


def test_a_known_message_is_answered_in_the_requests_language_with_its_code_and_parameters():
    error = errors.ValidationFailed(fields={"name": ["Longer than maximum length 100."], "site_id": [
        "Not one of your sites."]})
    english = app_raising(error).get("/boom").json["error"]
    chinese = app_raising(error).get("/boom", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json["error"]
    assert english["message"] == "The input is not valid." and english["message_code"]
    assert chinese["message_code"] == english["message_code"] and chinese["message"] != english["message"]
    assert english["field_details"]["name"] == chinese["field_details"]["name"] == [
        {"code": "field.too_long", "params": {"max": "100"}}]
    assert chinese["fields"]["name"][0] != "Longer than maximum length 100." and "100" in chinese["fields"]["name"][0]


def test_too_many_attempts_sets_retry_after():
    response = app_raising(errors.TooManyAttempts("Locked.", extra={"retry_after": 90})).get("/boom")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "90"


def test_remote_database_outage_is_503():
    response = app_raising(RemoteError("ServerSelectionTimeoutError", "no server")).get("/boom")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert "no server" not in response.get_data(as_text=True)


def test_unexpected_error_is_500_without_the_exception_text():
    response = app_raising(RuntimeError("secret internals")).get("/boom")
    assert response.status_code == 500
    body = response.json["error"]
    assert body["code"] == "internal_error" and body["error_id"]
    assert "secret internals" not in response.get_data(as_text=True)
