"""F3: a list cursor is an opaque value the server signed, bound to its list and sort; a forged,
edited or borrowed cursor is a 400 naming ``cursor`` and never reaches a database query
(operator injection, and a catastrophic regex that would freeze the embedded database)."""
import base64
import json
import time

import pytest

from tests.support.customers import create_site, unique


def b64(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def refused(response):
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request" and list(error["fields"]) == ["cursor"]


@pytest.fixture(scope="module")
def archive(admin_api):
    """Three customers of one new site whose names share a prefix, listed by name one per page."""
    site = create_site(admin_api, "Cur")
    prefix = unique("ZQx")
    for suffix in ("alpha", "beta", "gamma"):
        response = admin_api.post("/customers", {"legal_name": "%s-%s" % (prefix, suffix), "site_id": site["id"]},
                                  params={"force": "true"})
        assert response.status_code == 201, response.text
    params = {"site_id": site["id"], "sort": "legal_name", "limit": 1}
    first = admin_api.get("/customers", params=params)
    assert first.status_code == 200, first.text
    assert first.json()["total"] == 3 and first.json()["next_cursor"]
    return {"prefix": prefix, "params": params, "cursor": first.json()["next_cursor"]}


def test_the_server_s_own_cursor_pages_through_the_list(admin_api, archive):
    names, cursor = [], None
    while True:
        page = admin_api.get("/customers", params=dict(archive["params"], **({"cursor": cursor} if cursor else {})))
        assert page.status_code == 200, page.text
        names += [item["legal_name"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert names == ["%s-%s" % (archive["prefix"], s) for s in ("alpha", "beta", "gamma")]


@pytest.mark.parametrize("value", [
    [{"$in": ["beta"]}, "", 0],
    [{"$regex": "^(a+)+$"}, "", 0],
    [{"$gt": ""}, {"$ne": None}, 0],
    [{"$oid": "zz"}, "", 0],
    ["beta", "", 0],
])
def test_an_unsigned_cursor_with_operators_or_plain_values_is_400(admin_api, archive, value):
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor=b64(value))))


def test_a_catastrophic_regex_in_a_cursor_never_reaches_the_database(admin_api, archive):
    """A name that makes ``^(a+)+$`` backtrack for hours; the refusal is immediate and the system answers."""
    site_id = archive["params"]["site_id"]
    response = admin_api.post("/customers", {"legal_name": "a" * 40 + "!", "site_id": site_id},
                              params={"force": "true"})
    assert response.status_code == 201, response.text
    started = time.monotonic()
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor=b64([{"$regex": "^(a+)+$"}, "", 0]))))
    assert admin_api.get("/customers", params={"site_id": site_id, "limit": 5}).status_code == 200
    assert time.monotonic() - started < 10


def test_an_edited_signed_cursor_is_400(admin_api, archive):
    body, mac = archive["cursor"].split(".")
    content = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    content[0] = ["s", "%s-gamma" % archive["prefix"]]
    edited = base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor="%s.%s" % (edited, mac))))
    flipped = archive["cursor"][:-2] + ("AA" if not archive["cursor"].endswith("AA") else "BB")
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor=flipped)))


@pytest.mark.parametrize("other", [{"sort": "-legal_name"}, {"sort": "created_at"}, {"sort": "-updated_at"}])
def test_a_cursor_of_another_sort_is_400(admin_api, archive, other):
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor=archive["cursor"], **other)))


@pytest.mark.parametrize("path", ["/users", "/audit", "/feedback", "/notifications", "/webhooks", "/merges",
                                  "/surveys", "/customers/review-due"])
def test_a_cursor_of_another_list_is_400(admin_api, archive, path):
    refused(admin_api.get(path, params={"cursor": archive["cursor"]}))


@pytest.mark.parametrize("cursor", ["!!", "a.b.c", "x" * 3000, '{"$gt":""}', "abc"])
def test_a_cursor_of_the_wrong_shape_is_400_at_the_gateway(admin_api, archive, cursor):
    refused(admin_api.get("/customers", params=dict(archive["params"], cursor=cursor)))
    refused(admin_api.get("/users", params={"cursor": cursor}))


def test_the_openapi_document_lists_400_for_every_paged_list(admin_api):
    document = admin_api.http.get(admin_api.base + "/openapi.json", timeout=20).json()
    paged = [(path, method) for path, operations in document["paths"].items()
             for method, operation in operations.items() if isinstance(operation, dict)
             and any(p.get("name") == "cursor" for p in operation.get("parameters", []))]
    assert len(paged) >= 12
    for path, method in paged:
        assert "400" in document["paths"][path][method]["responses"], (method, path)
