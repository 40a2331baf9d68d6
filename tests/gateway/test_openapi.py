"""The OpenAPI document lists every identity route, with bearer security on the protected ones."""
PUBLIC = {
    ("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/refresh"), ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password-reset"), ("post", "/api/v1/auth/password-reset/confirm"),
}
PROTECTED = {
    ("get", "/api/v1/me"), ("post", "/api/v1/me/password"),
    ("get", "/api/v1/users"), ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"), ("patch", "/api/v1/users/{user_id}"),
    ("delete", "/api/v1/users/{user_id}"), ("post", "/api/v1/users/{user_id}/unlock"),
    ("get", "/api/v1/users/{user_id}/logins"),
    ("get", "/api/v1/users/{user_id}/permissions"), ("put", "/api/v1/users/{user_id}/permissions"),
    ("get", "/api/v1/sites"), ("post", "/api/v1/sites"), ("get", "/api/v1/roles"), ("get", "/api/v1/audit"),
}


def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operation(document, method, path):
    return document["paths"][path][method]


def test_bearer_scheme_is_declared(client):
    schemes = spec(client)["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_protected_routes_require_the_bearer_token(client):
    document = spec(client)
    for method, path in PROTECTED:
        op = operation(document, method, path)
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert {"401", "503"} <= set(op["responses"]), (method, path)


def test_public_routes_need_no_token(client):
    document = spec(client)
    for method, path in PUBLIC:
        assert "security" not in operation(document, method, path), (method, path)


def test_error_responses_use_the_error_schema(client):
    document = spec(client)
    login = operation(document, "post", "/api/v1/auth/login")["responses"]
    assert login["429"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in login["429"]["headers"]
    assert "422" in login
    assert "409" in operation(document, "patch", "/api/v1/users/{user_id}")["responses"]


def test_response_schemas_are_complete(client):
    schemas = spec(client)["components"]["schemas"]
    assert set(schemas["User"]["properties"]) == {
        "id", "username", "email", "display_name", "phone", "position", "language", "sites", "roles",
        "grants", "revocations", "permissions", "status", "locked_until", "must_change_password",
        "created_at", "updated_at", "last_login_at", "version"}
    assert set(schemas["Session"]["properties"]) == {
        "access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert set(schemas["LoginRecordPage"]["properties"]) == {"items", "next_cursor", "total", "total_is_lower_bound"}
    assert "password" not in schemas["User"]["properties"]


def test_limit_is_documented_with_its_bounds(client):
    params = operation(spec(client), "get", "/api/v1/users")["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "default": 50, "minimum": 1, "maximum": 500}
