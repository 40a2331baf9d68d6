"""The accounts service called directly over RPC: it trusts only tokens signed by its own key."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.standalone.rpc import ClusterRpcProxy

from services.accounts.service import AccountsService
from services.accounts.tokens import TokenIssuer
from services.common.errors import Forbidden, TooManyAttempts, Unauthorized
from tests.integration.test_outbox_and_consumers import wait_for

ADMIN_PASSWORD = "Bootstrap-admin-passphrase-42"


@pytest.fixture
def accounts(run_service, monkeypatch):
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CRM_ADMIN_EMAIL", "hq-admin@example.com")
    return run_service(AccountsService)


def rpc(nameko_config, token=None):
    return ClusterRpcProxy(nameko_config, context_data={"authorization": token} if token else {}, timeout=10)


def admin_session(nameko_config):
    with rpc(nameko_config) as cluster:
        return wait_for(lambda: _try_login(cluster), timeout=15)


def _try_login(cluster):
    try:
        return cluster.accounts.login("admin", ADMIN_PASSWORD, "127.0.0.1", "pytest")
    except Unauthorized:
        return None


def test_first_admin_is_bootstrapped_and_can_list_users(accounts, nameko_config):
    session = admin_session(nameko_config)
    assert session["user"]["username"] == "admin" and "users:admin" in session["user"]["permissions"]
    with rpc(nameko_config, session["access_token"]) as cluster:
        page = cluster.accounts.list_users()
    assert [u["username"] for u in page["items"]] == ["admin"] and page["total"] == 1


def test_a_call_without_a_token_is_refused(accounts, nameko_config):
    admin_session(nameko_config)
    with rpc(nameko_config) as cluster, pytest.raises(Unauthorized):
        cluster.accounts.list_users()


def test_a_token_signed_by_another_key_is_refused(accounts, nameko_config):
    session = admin_session(nameko_config)
    other_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    forged, _ = TokenIssuer(other_key).issue(session["user"]["id"], ["any"], ["users:admin", "sites:all"])
    with rpc(nameko_config, forged) as cluster, pytest.raises(Unauthorized):
        cluster.accounts.list_users()


def test_a_bare_user_id_header_grants_nothing(accounts, nameko_config):
    session = admin_session(nameko_config)
    context = {"user_id": session["user"]["id"], "perms": ["users:admin"]}
    with ClusterRpcProxy(nameko_config, context_data=context, timeout=10) as cluster, pytest.raises(Unauthorized):
        cluster.accounts.create_user({"username": "x"})


def test_permission_is_checked_inside_the_service(accounts, nameko_config):
    session = admin_session(nameko_config)
    with rpc(nameko_config, session["access_token"]) as cluster:
        site = cluster.accounts.list_sites()["items"][0]
        cluster.accounts.create_user({
            "username": "viewer1", "email": "viewer1@example.com", "password": "Quiet-harbour-lantern-91",
            "display_name": "Vera Viewer", "sites": [site["id"]], "roles": ["viewer"]})
        viewer = cluster.accounts.login("viewer1", "Quiet-harbour-lantern-91")
    with rpc(nameko_config, viewer["access_token"]) as cluster, pytest.raises(Forbidden):
        cluster.accounts.create_user({"username": "x"})


@pytest.mark.parametrize("address", ["198.51.100.7", None])
def test_too_many_failures_from_one_address_slow_that_address_for_seconds(accounts, nameko_config, address):
    """A caller that names no address shares one: it does not skip the address rule."""
    admin_session(nameko_config)
    with rpc(nameko_config) as cluster:
        slowed = None
        for attempt in range(90):
            try:
                cluster.accounts.login("nobody-%d" % attempt, "Wrong-password-000", address, "pytest")
            except TooManyAttempts as exc:
                slowed = exc
                break
            except Unauthorized:
                continue
        assert slowed is not None and 1 <= int(slowed.extra["retry_after"]) <= 5
        assert cluster.accounts.login("admin", ADMIN_PASSWORD, "198.51.100.8", "pytest")["access_token"]


def test_user_directory_tells_other_services_who_a_user_is_within_their_sites(accounts, nameko_config):
    session = admin_session(nameko_config)
    with rpc(nameko_config, session["access_token"]) as cluster:
        hq = cluster.accounts.list_sites()["items"][0]
        other = cluster.accounts.create_site({"code": "DIR2", "name": "Plant 2"})
        user = cluster.accounts.create_user({
            "username": "svc.engineer", "email": "svc.engineer@example.com", "password": "Amber-quarry-violin-88",
            "display_name": "Sun Engineer", "sites": [other["id"]], "roles": ["service"], "language": "en"})
        found = cluster.accounts.user_directory([user["id"], "no-such-user"])["items"]
    assert found == [{"id": user["id"], "display_name": "Sun Engineer", "email": "svc.engineer@example.com",
                      "language": "en", "sites": [other["id"]], "permissions": user["permissions"],
                      "status": "active"}]
    assert "feedback:write" in found[0]["permissions"]
    with rpc(nameko_config, session["access_token"]) as cluster:
        cluster.accounts.create_user({
            "username": "hq.viewer", "email": "hq.viewer@example.com", "password": "Amber-quarry-violin-88",
            "display_name": "HQ Viewer", "sites": [hq["id"]], "roles": ["viewer"]})
        viewer = cluster.accounts.login("hq.viewer", "Amber-quarry-violin-88")
    with rpc(nameko_config, viewer["access_token"]) as cluster:
        assert cluster.accounts.user_directory([user["id"]]) == {"items": []}


def test_a_grant_is_revoked_only_by_its_owner_or_a_manager_of_its_site(accounts, nameko_config):
    """A manager of another site can neither revoke a rule's grant nor, by asking a grant of the same
    id, drop it: the grant keeps minting tokens for its own rule."""
    session = admin_session(nameko_config)
    with rpc(nameko_config, session["access_token"]) as cluster:
        site_a = cluster.accounts.create_site({"code": "GA", "name": "Plant A"})
        site_b = cluster.accounts.create_site({"code": "GB", "name": "Plant B"})
        sessions = {}
        for name, site in (("mgr_a", site_a), ("mgr_a2", site_a), ("mgr_b", site_b)):
            cluster.accounts.create_user({
                "username": name, "email": "%s@example.com" % name, "password": "Quiet-harbour-lantern-91",
                "display_name": name, "sites": [site["id"]], "roles": ["manager"]})
            sessions[name] = cluster.accounts.login(name, "Quiet-harbour-lantern-91")
    rule_id = "rule-of-site-a"
    with rpc(nameko_config, sessions["mgr_a"]["access_token"]) as cluster:
        grant = cluster.accounts.grant_automation(rule_id, site_a["id"])["grant"]
    with rpc(nameko_config, sessions["mgr_b"]["access_token"]) as cluster:
        assert cluster.accounts.revoke_automation(rule_id) == {"revoked": 0}
        cluster.accounts.grant_automation(rule_id, site_b["id"])
    with rpc(nameko_config) as cluster:
        assert cluster.accounts.automation_token(grant)["user_id"] == sessions["mgr_a"]["user"]["id"]
    with rpc(nameko_config, sessions["mgr_a2"]["access_token"]) as cluster:
        assert cluster.accounts.revoke_automation(rule_id) == {"revoked": 1}
    with rpc(nameko_config) as cluster, pytest.raises(Unauthorized):
        cluster.accounts.automation_token(grant)
