"""F15 and F16: the import-errors CSV defuses spreadsheet formulas exactly as the export does (one
function), and downloading it is audited, as are dry runs."""
import csv
import io

import pytest

from gateway.downloads import safe_cell
from tests.security.test_import_bombs import audited, finished, upload
from tests.support.customers import create_site

FORMULA_HEADER = "-(cmd|' /C calc'!A0)*name"


@pytest.fixture(scope="module")
def site(admin_api):
    return create_site(admin_api, "Err")


def test_a_formula_in_the_errors_file_is_defused_and_the_download_audited(admin_api, site):
    content = ("%s,tax_id\r\n%s,\r\nOK Co,=HYPERLINK(\"http://evil\")\r\n" % (FORMULA_HEADER, "N" * 300)).encode()
    accepted = upload(admin_api, content, "formula.csv", dry_run=True, site_id=site["id"])
    assert accepted.status_code == 202, accepted.text
    job = finished(admin_api, accepted.json())
    assert job["status"] == "completed" and job["failed"] == 2, job
    assert {e["field"] for e in job["errors_sample"]} == {FORMULA_HEADER, "tax_id"}
    audited(admin_api, job["id"], "dry_run")

    response = admin_api.get("/imports/%s/errors" % job["id"])
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "message"]
    assert [row[1] for row in rows[1:]] == ["'" + FORMULA_HEADER, "tax_id"]
    assert safe_cell(FORMULA_HEADER) == "'" + FORMULA_HEADER
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    trail = audited(admin_api, job["id"], "errors_downloaded")
    [entry] = [e for e in trail["items"] if e["action"] == "errors_downloaded"]
    assert entry["changes"]["rows"]["after"] == 2 and entry["site_id"] == site["id"]
