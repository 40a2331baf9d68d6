"""Every gateway answer names its request id; a caller's sane X-Request-ID is kept."""
import pytest


def test_a_sane_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "erp-sync:2026-11-24.0001"})
    assert response.headers["X-Request-ID"] == "erp-sync:2026-11-24.0001"


@pytest.mark.parametrize("given", ["", "x" * 65, "bad id with spaces", "inject\\nline", "<script>"])
def test_a_missing_or_unsafe_request_id_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    issued = response.headers["X-Request-ID"]
    assert issued != given and len(issued) == 32 and int(issued, 16) >= 0
