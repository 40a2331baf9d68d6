"""Response headers and the answers gunicorn gives itself (F17; issue items 15 and 11).

Through the gateway of the real stack:
- token responses, and every API answer, must not be cached (``Cache-Control: no-store``) nor
  sniffed (``nosniff``);
- the public survey page and ``/docs`` must not be framable (clickjacking) and carry a content
  security policy whose hashes match the page's own inline style or script, so the page still works;
- a request line, a header or a header count past gunicorn's limits, and malformed HTTP, get the
  API's JSON error body (no HTML page) with a 414, 431 or 400.
"""
import base64
import hashlib
import json
import re
import socket

import pytest
import requests

from tests.conftest import ADMIN_PASSWORD
from tests.support.api import Api, eventually
from tests.support.customers import add_part, create_customer, create_site, unique

LINK = re.compile(r"http://crm\.test/s/([A-Za-z0-9_-]+)")


def directives(response):
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def inline_hash(html, tag):
    [block] = re.findall(r"<%s>(.*?)</%s>" % (tag, tag), html, re.S)
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()


def assert_not_cached_nor_sniffed(response):
    assert response.headers.get("Cache-Control") == "no-store", dict(response.headers)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", dict(response.headers)


def assert_not_framable(response):
    assert directives(response).get("frame-ancestors") == ["'none'"], response.headers
    assert response.headers.get("X-Frame-Options") == "DENY"


def live_survey_link(stack, admin_api, smtp_server):
    """A live single-use survey link, read from the mail the contact receives."""
    site = create_site(admin_api, "Hd")
    customer = create_customer(admin_api, site_id=site["id"])
    email = "%s@buyer.example" % unique("hd.")
    contact = add_part(admin_api, customer["id"], "contacts", {"name": "Qian %s" % unique(), "email": email})
    survey = admin_api.post("/surveys", {"title": unique("Headers "), "language": "en", "site_id": site["id"],
                                         "questions": [{"kind": "rating", "text": "How satisfied are you?"}]})
    assert survey.status_code == 201, survey.text
    sent = admin_api.post("/surveys/%s/send" % survey.json()["id"], {"customer_id": customer["id"],
                                                                     "contact_ids": [contact["id"]]})
    assert sent.status_code == 201, sent.text
    [mail] = eventually(lambda: smtp_server.to(email), bool, timeout=30)
    return "%s/s/%s" % (stack.url, LINK.search(mail.get_content()).group(1))


@pytest.fixture(scope="module")
def survey_link(stack, admin_api, smtp_server):
    return live_survey_link(stack, admin_api, smtp_server)


def test_token_responses_are_never_cached(stack):
    api = Api(stack.url)
    login = api.post("/auth/login", {"identifier": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    assert_not_cached_nor_sniffed(login)
    refreshed = api.post("/auth/refresh", {"refresh_token": login.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert_not_cached_nor_sniffed(refreshed)
    failed = api.post("/auth/login", {"identifier": unique("ghost."), "password": "not-the-password"})
    assert failed.status_code in (401, 429)
    assert_not_cached_nor_sniffed(failed)


@pytest.mark.parametrize("path", ["/me", "/customers", "/roles", "/openapi.json", "/no-such-thing"])
def test_api_answers_are_never_cached_nor_sniffed(admin_api, path):
    response = admin_api.get(path)
    assert response.headers["Content-Type"].startswith("application/json")
    assert_not_cached_nor_sniffed(response)
    assert_not_framable(response)
    assert directives(response)["default-src"] == ["'none'"]


def test_the_survey_page_cannot_be_framed_and_runs_only_its_own_style(survey_link):
    page = requests.get(survey_link, headers={"Accept": "text/html"}, timeout=20)
    assert page.status_code == 200 and "<form" in page.text, page.text[:300]
    assert_not_framable(page)
    assert_not_cached_nor_sniffed(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token is in the page's URL
    policy = directives(page)
    assert policy["default-src"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert policy["style-src"] == [inline_hash(page.text, "style")]
    assert "script-src" not in policy and "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_the_survey_pages_error_answers_carry_the_same_policy(stack):
    page = requests.get(stack.url + "/s/" + "x" * 43, headers={"Accept": "text/html"}, timeout=20)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert_not_framable(page)
    assert directives(page)["style-src"] == [inline_hash(page.text, "style")]


def test_the_docs_page_cannot_be_framed_and_runs_only_its_own_scripts(stack):
    page = stack.get("/docs")
    assert page.status_code == 200
    assert_not_framable(page)
    policy = directives(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'", inline_hash(page.text, "script")]
    assert policy["connect-src"] == ["'self'"]


def test_the_web_app_keeps_its_own_policy(stack):
    page = stack.get("/")
    if page.status_code == 503:  # the UI is not built in this checkout: the refusal is JSON, uncached
        assert page.json()["error"]["code"] == "ui_not_built"
        assert_not_cached_nor_sniffed(page)
        return
    policy = directives(page)
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert page.headers["Cache-Control"] == "no-cache"


def raw(stack, request_bytes):
    """Send bytes as they are; the answer's (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=20) as conn:
        conn.sendall(request_bytes)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_json_refusal(answer, status, field=None):
    code, headers, body = answer
    assert code == status, (code, body[:300])
    assert headers["content-type"] == "application/json", headers
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
    error = json.loads(body)["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error["fields"], error
    return error


def test_a_request_line_past_the_limit_is_a_json_414(stack, admin_api):
    response = admin_api.get("/customers", params={"q": "x" * 9000})
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "uri_too_long" and "url" in response.json()["error"]["fields"]


def test_a_header_past_the_limit_is_a_json_431(stack):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\nConnection: close\r\n\r\n"
    assert_json_refusal(raw(stack, request), 431, "headers")


def test_too_many_headers_are_a_json_431(stack):
    many = b"".join(b"X-H%d: v\r\n" % n for n in range(150))
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n"
    assert_json_refusal(raw(stack, request), 431, "headers")


@pytest.mark.parametrize("request_bytes", [
    b"GET /s/secret-token HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
    b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["version", "header-name", "method"])
def test_malformed_http_is_a_json_400(stack, request_bytes):
    assert_json_refusal(raw(stack, request_bytes), 400)


def test_the_server_still_answers_after_the_refusals(stack):
    assert stack.get("/healthz").json() == {"status": "ok"}
