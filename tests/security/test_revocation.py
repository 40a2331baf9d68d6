"""Access tokens end at once (issue item 4, finding F6): logout, disabling or deleting a user, a
password change or reset, and any change of roles, permissions or sites end that user's access
within 5 s, in the gateway and in every service, and in a process started after the revocation.

Each test makes the change through the gateway, then keeps using the old access token: first
through the gateway, then straight over RPC to a service (as anyone on the broker could), until
both refuse it with 401 / Unauthorized ``token_revoked``. Controls show that what must keep
working does: another session of the same user after a logout, another user, and a token
obtained after the change.
"""
import re
import signal
import time

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import Unauthorized
from tests.support.api import Api, eventually
from tests.support.customers import PASSWORD, create_site, create_user, signed_in

WITHIN = 5  # seconds: the bound for every process


class Deadline:
    """WITHIN seconds from now (right after a change answered): every check of that change shares it."""

    def __init__(self):
        self.end = time.monotonic() + WITHIN

    def left(self):
        return max(0.0, self.end - time.monotonic())


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "Rv")


@pytest.fixture
def member(stack, admin_api, site):
    """A signed-in sales user of a site of its own, with the record an admin edits."""
    user = create_user(admin_api, [site["id"]], ["sales"])
    return user, signed_in(stack, user)


def status(api, path="/customers"):
    """(HTTP status, error code or None) of ``GET path`` with ``api``'s token, on a new connection
    (a kept-alive one would always reach the same gateway worker process)."""
    response = api.get(path, headers={"Connection": "close"})
    if response.status_code < 400:
        return response.status_code, None
    return response.status_code, response.json()["error"]["code"]


def refused_by_gateway(api, deadline, path="/customers", tries=8):
    """Wait, until ``deadline`` at most, for the gateway to answer 401 token_revoked to ``api``'s
    token ``tries`` times in a row, each on a new connection (any worker process may take it)."""
    return eventually(lambda: [status(api, path) for _ in range(tries)],
                      lambda answers: set(answers) == {(401, "token_revoked")}, timeout=deadline.left())


def rpc_answer(test_env, token, service="customers", method="list_customers"):
    """What ``service.method()`` answers a direct RPC caller holding ``token``: "ok" or the error code."""
    config = {"AMQP_URI": test_env["AMQP_URI"], "serializer": "json"}
    with ClusterRpcProxy(config, context_data={"authorization": token}, timeout=15) as cluster:
        try:
            getattr(getattr(cluster, service), method)()
        except Unauthorized as exc:
            return exc.code
    return "ok"


def refused_over_rpc(test_env, token, deadline, service="customers", method="list_customers"):
    """Wait, until ``deadline`` at most, for the service itself to refuse ``token`` (token_revoked)."""
    return eventually(lambda: rpc_answer(test_env, token, service, method), lambda code: code == "token_revoked",
                      timeout=deadline.left())


def user_record(admin_api, user_id):
    response = admin_api.get("/users/%s" % user_id)
    assert response.status_code == 200, response.text
    return response.json()


def test_logout_ends_that_sessions_access_token_everywhere(stack, test_env, member):
    user, first = member
    second = signed_in(stack, user)
    assert status(first) == (200, None) and rpc_answer(test_env, first.token) == "ok"

    assert first.post("/auth/logout", {"refresh_token": first.session["refresh_token"]}).status_code == 204
    deadline = Deadline()

    refused_by_gateway(first, deadline)
    # Eight refusals in a row need not have come from every gateway worker: each is given until
    # the same deadline.
    refused_by_gateway(first, deadline, "/me")
    refused_over_rpc(test_env, first.token, deadline)
    refused_over_rpc(test_env, first.token, deadline, "accounts", "me")
    refused_over_rpc(test_env, first.token, deadline, "feedback", "list_feedback")
    refused_over_rpc(test_env, first.token, deadline, "notifications", "list_notifications")
    assert status(second) == (200, None), "logout ends only its own session"
    assert rpc_answer(test_env, second.token) == "ok"


def test_a_reused_refresh_token_ends_the_access_tokens_of_its_session(stack, test_env, member):
    user, api = member
    spent = api.session["refresh_token"]
    api.refresh()
    assert api.post("/auth/refresh", {"refresh_token": spent}).status_code == 401
    deadline = Deadline()
    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)


def test_disabling_a_user_ends_their_tokens(stack, test_env, admin_api, member):
    user, api = member
    other = signed_in(stack, create_user(admin_api, [user["sites"][0]], ["sales"]))
    version = user_record(admin_api, user["id"])["version"]
    response = admin_api.patch("/users/%s" % user["id"], {"status": "disabled", "version": version})
    assert response.status_code == 200, response.text
    deadline = Deadline()

    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)
    assert api.post("/auth/refresh", {"refresh_token": api.session["refresh_token"]}).status_code == 401
    assert status(other) == (200, None), "only the disabled user's tokens end"


def test_deleting_a_user_ends_their_tokens(stack, test_env, admin_api, member):
    user, api = member
    response = admin_api.delete("/users/%s" % user["id"], params={"confirm": user["username"]})
    assert response.status_code == 204, response.text
    deadline = Deadline()
    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)


def test_a_password_change_ends_every_session_of_the_user(stack, test_env, member):
    user, api = member
    other_session = signed_in(stack, user)
    new_password = "Cobalt-meadow-lantern-62"
    response = api.post("/me/password", {"current_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 204, response.text
    deadline = Deadline()

    refused_by_gateway(api, deadline)
    refused_by_gateway(other_session, deadline)
    refused_over_rpc(test_env, other_session.token, deadline)
    fresh = Api(stack.url).login(user["username"], new_password)
    assert status(fresh) == (200, None) and rpc_answer(test_env, fresh.token) == "ok"


def reset_tokens(messages):
    """The reset-link tokens in ``messages``, oldest first."""
    bodies = [message.get_body(("plain",)).get_content() for message in messages]
    return [match.group(1) for body in bodies for match in re.finditer(r"reset-password\?token=([A-Za-z0-9_-]+)", body)]


def test_a_password_reset_ends_the_tokens_of_the_user(stack, test_env, smtp_server, member):
    user, api = member
    assert Api(stack.url).post("/auth/password-reset", {"email": user["email"]}).status_code == 202
    links = eventually(lambda: reset_tokens(smtp_server.to(user["email"])), bool, timeout=20)
    confirmed = Api(stack.url).post("/auth/password-reset/confirm",
                                    {"token": links[-1], "new_password": "Juniper-harbour-signal-37"})
    assert confirmed.status_code == 204, confirmed.text
    deadline = Deadline()
    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)


def test_a_permission_change_ends_the_token_and_the_refresh_brings_the_new_ones(stack, test_env, admin_api, member):
    user, api = member
    assert status(api) == (200, None)
    response = admin_api.put("/users/%s/permissions" % user["id"],
                             {"grants": [], "revocations": ["customers:read"]})
    assert response.status_code == 200, response.text
    deadline = Deadline()

    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)
    api.refresh()  # the session itself survives: the web UI refreshes on a 401 and carries on
    assert "customers:read" not in api.session["user"]["permissions"]
    assert status(api) == (403, "forbidden")
    assert status(api, "/me") == (200, None)


@pytest.mark.parametrize("change", ["roles", "sites"])
def test_a_role_or_site_change_ends_the_token(stack, test_env, admin_api, member, change):
    user, api = member
    version = user_record(admin_api, user["id"])["version"]
    value = ["viewer"] if change == "roles" else [create_site(admin_api, "Rw")["id"]]
    response = admin_api.patch("/users/%s" % user["id"], {change: value, "version": version})
    assert response.status_code == 200, response.text
    deadline = Deadline()

    refused_by_gateway(api, deadline)
    refused_over_rpc(test_env, api.token, deadline)
    api.refresh()
    assert status(api, "/me") == (200, None)
    assert rpc_answer(test_env, api.token) == "ok"


def test_a_contact_detail_change_ends_nothing(stack, test_env, admin_api, member):
    user, api = member
    version = user_record(admin_api, user["id"])["version"]
    response = admin_api.patch("/users/%s" % user["id"], {"position": "Buyer", "version": version})
    assert response.status_code == 200, response.text
    for _ in range(3):
        assert status(api) == (200, None)
        assert rpc_answer(test_env, api.token) == "ok"


def restart(stack, name):
    stack.kill(name, signal.SIGTERM)
    stack.start(name)
    stack.wait_ready()


def test_a_gateway_and_a_service_started_after_the_revocation_refuse_the_token(stack, test_env, member):
    user, api = member
    kept = signed_in(stack, user)
    assert api.post("/auth/logout", {"refresh_token": api.session["refresh_token"]}).status_code == 204
    refused_by_gateway(api, Deadline())

    restart(stack, "gateway")
    assert status(api) == (401, "token_revoked")
    assert eventually(lambda: status(kept), lambda answer: answer == (200, None), timeout=WITHIN) == (200, None)

    restart(stack, "customers")
    assert rpc_answer(test_env, api.token) == "token_revoked"
    assert rpc_answer(test_env, kept.token) == "ok"
