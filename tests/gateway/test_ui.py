"""The gateway serves the built web UI at / without shadowing the API, the docs or the probes."""
import pytest

from gateway.app import create_app

INDEX = "<!doctype html><html><body><div id=app></div><script src=/assets/app-1a2b.js></script></body></html>"


@pytest.fixture
def built_ui(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)", encoding="utf-8")
    monkeypatch.setenv("CRM_UI_DIR", str(tmp_path))
    return create_app().test_client()


@pytest.mark.parametrize("path", ["/", "/login", "/customers/6650f1", "/reset-password?token=abc", "/admin/users"])
def test_every_page_of_the_app_answers_with_its_index(built_ui, path):
    response = built_ui.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == INDEX
    assert response.headers["Cache-Control"] == "no-cache"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_hashed_assets_are_cached_for_a_year(built_ui):
    response = built_ui.get("/assets/app-1a2b.js")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "console.log(1)"
    assert "immutable" in response.headers["Cache-Control"]
    assert built_ui.get("/assets/missing.js").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/customers", "/s/", "/metricsx/a"])
def test_api_paths_stay_json_404s(built_ui, path):
    response = built_ui.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_api_docs_and_probes_are_not_shadowed(built_ui):
    assert built_ui.get("/api/v1/openapi.json").get_json()["info"]["title"] == "Factory CRM"
    assert "swagger" in built_ui.get("/docs").get_data(as_text=True).lower()
    assert built_ui.get("/healthz").get_json() == {"status": "ok"}


def test_an_unbuilt_ui_is_a_clear_503(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_UI_DIR", str(tmp_path / "nothing"))
    response = create_app().test_client().get("/customers")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "ui_not_built"
