"""Splitting a ./var/db of one embedded server for every service into one server per service
(``deploy.db_split``; the launcher's own run of it: tests/e2e/test_launcher.py)."""
import pymongo
import pytest

from deploy import db_split
from services.common import config
from tests.support.servers import free_port


def old_server_with(path, documents_per_service, prefix):
    with db_split.running(free_port(), str(path)) as uri, pymongo.MongoClient(uri) as client:
        for service in config.SERVICE_NAMES:
            client["%s_%s" % (prefix, service)].marks.insert_many(
                [{"_id": i, "service": service} for i in range(documents_per_service)])


def test_an_interrupted_split_starts_again_from_the_files_aside(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DB_PREFIX", "split")
    db_dir, aside = tmp_path / "db", tmp_path / "db-before-split"
    old_server_with(aside, 2, "split")
    (tmp_path / "db-splitting" / "accounts").mkdir(parents=True)
    (tmp_path / "db-splitting" / "accounts" / "half-written").write_text("left by the interrupted run")
    said = []

    counts = db_split.split_if_needed(str(db_dir), log=said.append)

    assert counts == {"%s.marks" % service: 2 for service in config.SERVICE_NAMES}
    assert "did not finish" in said[0] and "Split" in said[-1]
    assert sorted(p.name for p in db_dir.iterdir()) == sorted(config.SERVICE_NAMES)
    assert not (db_dir / "accounts" / "half-written").exists()
    assert (aside / db_split.DONE_MARKER).is_file() and not (tmp_path / "db-splitting").exists()
    with db_split.running(free_port(), str(db_dir / "notifications")) as uri, pymongo.MongoClient(uri) as client:
        assert client.split_notifications.marks.count_documents({"service": "notifications"}) == 2
        assert "split_customers" not in client.list_database_names()
    assert db_split.split_if_needed(str(db_dir), log=said.append) is None


def test_old_files_beside_files_already_aside_are_left_alone_with_a_clear_message(tmp_path):
    db_dir, aside = tmp_path / "db", tmp_path / "db-before-split"
    for path in (db_dir, aside):
        path.mkdir()
        (path / "WiredTiger").write_text("WiredTiger")
    with pytest.raises(SystemExit) as refused:
        db_split.split_if_needed(str(db_dir), log=lambda line: None)
    assert "exists already" in str(refused.value)
    assert (db_dir / "WiredTiger").is_file() and (aside / "WiredTiger").is_file()
