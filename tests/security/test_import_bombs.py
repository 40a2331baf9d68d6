"""F2: an XLSX bomb uploaded through the gateway fails its job with a clear error; the customers
service stays up, other requests and imports keep working, and the failure is audited.
The bombs expand to 20 MB at most (harmless to a shared machine): the reader refuses them by
their compression ratio, or, when the zip directory understates a part, by the bytes that
actually come out of it."""
import pytest

from tests.customers import workbooks
from tests.support.api import eventually
from tests.support.customers import create_site, unique


def upload(api, content, filename, dry_run=False, site_id=None):
    data = {"dry_run": "true" if dry_run else "false", **({"site_id": site_id} if site_id else {})}
    return api.post("/customers/import", files={"file": (filename, content)}, data=data)


def finished(api, job):
    """The import job once it is no longer uploading or running."""
    return eventually(lambda: api.get("/imports/%s" % job["id"]).json(),
                      lambda current: current.get("status") in ("completed", "failed"), timeout=60)


def audited(api, import_id, action):
    """The audit entry ``action`` of one import, once accounts has stored it."""
    return eventually(lambda: api.get("/audit", params={"entity_type": "import", "entity_id": import_id}).json(),
                      lambda page: any(e["action"] == action for e in page.get("items", [])), timeout=30)


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "Bomb")


@pytest.mark.parametrize("bomb, words", [
    (workbooks.shared_strings_bomb(20), "compressed more than 100 times"),
    (workbooks.understated_bomb(20), "not a readable XLSX workbook"),
])
def test_a_bomb_fails_its_job_and_the_service_keeps_working(stack, admin_api, site, bomb, words):
    assert len(bomb) < 64 * 1024
    accepted = upload(admin_api, bomb, "bomb.xlsx", dry_run=True, site_id=site["id"])
    assert accepted.status_code == 202, accepted.text
    job = finished(admin_api, accepted.json())
    assert job["status"] == "failed" and words in job["error"], job
    assert job["done"] == 0 and job["created"] == 0
    assert stack.dead() == []
    assert admin_api.get("/customers", params={"site_id": site["id"]}).status_code == 200
    entry = audited(admin_api, job["id"], "failed")
    assert any(e["action"] == "failed" and words in e["changes"]["error"]["after"] for e in entry["items"])


def test_an_ordinary_workbook_still_imports_after_the_bombs(stack, admin_api, site):
    names = ["%s精密零件%d有限公司" % (unique("Bm"), n) for n in range(3)]
    accepted = upload(admin_api, workbooks.customers_workbook(names), "ok.xlsx", site_id=site["id"])
    assert accepted.status_code == 202, accepted.text
    job = finished(admin_api, accepted.json())
    assert (job["status"], job["created"], job["failed"]) == ("completed", 3, 0), job
    found = admin_api.get("/customers", params={"site_id": site["id"], "limit": 50}).json()["items"]
    assert set(names) <= {item["legal_name"] for item in found}
    assert stack.dead() == []
