"""Backup and restore round-trip every document of every service's database."""
import datetime
import os
import pathlib
import stat
import uuid

import bson
import pytest

from deploy import backup
from deploy.processes import SERVICES
from tests.support.servers import service_database


@pytest.fixture
def databases(test_env, monkeypatch):
    """``{service: its database}`` under a prefix of this test's, each on its service's server;
    dropped afterwards."""
    prefix = "bk_%s" % uuid.uuid4().hex[:8]
    monkeypatch.setenv("CRM_DB_PREFIX", prefix)
    own = {service: service_database(dict(test_env, CRM_DB_PREFIX=prefix), service) for service in SERVICES}
    yield own
    drop(own)


def drop(databases):
    for db in databases.values():
        db.client.drop_database(db.name)


def snapshot(databases):
    return {service: {name: list(db[name].find().sort("_id", 1)) for name in db.list_collection_names()}
            for service, db in databases.items()}


def test_dump_then_restore_gives_back_every_document(databases, tmp_path):
    now = datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.timezone.utc)
    customers = databases["customers"]
    customers.customers.insert_many([
        {"_id": "c%d" % i, "legal_name": "客户 %d 有限公司" % i, "tags": ["vip", "oem"], "created_at": now,
         "annual_revenue": 1250000.5, "addresses": [{"type": "billing", "city": "苏州"}], "parent_id": None}
        for i in range(25)])
    customers.orders.insert_one({"_id": bson.ObjectId(), "customer_id": "c1", "lines": [{"amount": 10}]})
    databases["accounts"].users.insert_one(
        {"_id": "u1", "username": "admin", "blob": bson.Binary(b"\x00\x01"), "at": now})
    before = snapshot(databases)

    counts = backup.dump(str(tmp_path / "dump"))
    assert counts["customers.customers"] == 25 and counts["accounts.users"] == 1

    drop(databases)
    customers.customers.insert_one({"_id": "stray", "legal_name": "not in the backup"})

    backup.restore(str(tmp_path / "dump"))
    assert snapshot(databases) == before


def test_each_database_is_dumped_from_and_restored_to_its_own_services_server(databases, tmp_path):
    """A customers database on the accounts server is none of the system's: it is not dumped, and
    the restore writes customers' collections on the customers server only."""
    databases["customers"].customers.insert_one({"_id": "c1", "legal_name": "On its own server"})
    on_accounts_server = databases["accounts"].client[databases["customers"].name]
    on_accounts_server.customers.insert_one({"_id": "c2", "legal_name": "On the wrong server"})

    counts = backup.dump(str(tmp_path / "dump"))
    assert counts["customers.customers"] == 1
    assert "On its own server" in (tmp_path / "dump" / "customers" / "customers.jsonl").read_text()

    on_accounts_server.customers.drop()
    databases["customers"].customers.drop()
    backup.restore(str(tmp_path / "dump"))
    assert [c["_id"] for c in databases["customers"].customers.find()] == ["c1"]
    assert "customers" not in on_accounts_server.list_collection_names()
    on_accounts_server.client.drop_database(on_accounts_server.name)


def test_restore_of_a_missing_directory_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        backup.main(["restore", str(tmp_path / "nothing")])
    assert "No backup" in str(exit_info.value)


def test_a_dump_is_owner_only_whatever_the_umask(databases, tmp_path):
    """Backups hold hashes, secrets and personal data."""
    databases["accounts"].users.insert_one({"_id": "u1", "password_hash": "$argon2id$..."})
    target = tmp_path / "dump"
    (target / "accounts").mkdir(parents=True)
    (target / "accounts" / "users.jsonl").write_text("an older, world-readable dump")
    os.chmod(target / "accounts" / "users.jsonl", 0o666)
    previous = os.umask(0)
    try:
        backup.dump(str(target))
    finally:
        os.umask(previous)
    modes = {path.relative_to(target): stat.S_IMODE(path.stat().st_mode) for path in target.rglob("*")}
    assert modes[pathlib.Path("accounts", "users.jsonl")] == 0o600
    assert {mode for path, mode in modes.items() if (target / path).is_file()} == {0o600}
    assert {mode for path, mode in modes.items() if (target / path).is_dir()} == {0o700}
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert "$argon2id$" in (target / "accounts" / "users.jsonl").read_text()
