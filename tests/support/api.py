"""A small client of the HTTP API for end-to-end tests."""
import time

import requests


# A signed-in client older than this refreshes its access token (which lives 15 minutes) before its next
# request: a session's clients outlive it now that a lane of the suite runs longer.
REFRESH_AFTER = 10 * 60


class Api:
    def __init__(self, base_url, token=None, user_agent="crm-e2e-tests/1.0"):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["User-Agent"] = user_agent
        self.token = token
        self.session = None
        self.signed_at = None

    def request(self, method, path, **kwargs):
        if self.session and not path.startswith("/auth/") and time.monotonic() - self.signed_at > REFRESH_AFTER:
            self.refresh()
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", "Bearer %s" % self.token)
        kwargs.setdefault("timeout", 20)
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def login(self, identifier, password):
        response = self.post("/auth/login", {"identifier": identifier, "password": password})
        assert response.status_code == 200, response.text
        self.session = response.json()
        self.token = self.session["access_token"]
        self.signed_at = time.monotonic()
        return self

    def refresh(self):
        response = self.post("/auth/refresh", {"refresh_token": self.session["refresh_token"]})
        assert response.status_code == 200, response.text
        self.session = response.json()
        self.token = self.session["access_token"]
        self.signed_at = time.monotonic()
        return self


def eventually(fetch, predicate, timeout=10.0, interval=0.2):
    """Poll ``fetch()`` until ``predicate(result)``; the last result otherwise fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if predicate(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.0f s; last: %r" % (timeout, result))
        time.sleep(interval)


def every_item(api, path, **params):
    """All items of a paged list of the API, page after page."""
    items, cursor = [], None
    while True:
        page = api.get(path, params=dict(params, limit=500, **({"cursor": cursor} if cursor else {}))).json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
