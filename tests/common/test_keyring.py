import os
import stat

from services.common import keyring


def test_keys_differ_by_purpose_and_follow_the_configured_secret(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "one deployment's secret")
    cursor, events = keyring.derived_key("cursor"), keyring.derived_key("events")
    assert len(cursor) == 32 and cursor != events
    monkeypatch.setenv("CRM_SECRET_KEY", "another deployment's secret")
    assert keyring.derived_key("cursor") != cursor


def test_an_unset_secret_is_generated_once_owner_only_and_shared(monkeypatch, tmp_path):
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path))
    first = keyring.derived_key("cursor")
    path = tmp_path / "keys" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keyring.derived_key("cursor") == first
    path.write_text("replaced")
    assert keyring.derived_key("cursor") != first
