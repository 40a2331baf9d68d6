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
from services.common import config
from services.common.mongo import connect


def snapshot(client):
    return {
        service: {name: list(client[config.database_name(service)][name].find().sort("_id", 1))
                  for name in client[config.database_name(service)].list_collection_names()}
        for service in SERVICES
    }


def test_dump_then_restore_gives_back_every_document(test_env, monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB_PREFIX", "bk_%s" % uuid.uuid4().hex[:8])
    client = connect(test_env["MONGO_URI"])
    now = datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.timezone.utc)
    customers = client[config.database_name("customers")]
    customers.customers.insert_many([
        {"_id": "c%d" % i, "legal_name": "客户 %d 有限公司" % i, "tags": ["vip", "oem"], "created_at": now,
         "annual_revenue": 1250000.5, "addresses": [{"type": "billing", "city": "苏州"}], "parent_id": None}
        for i in range(25)])
    customers.orders.insert_one({"_id": bson.ObjectId(), "customer_id": "c1", "lines": [{"amount": 10}]})
    client[config.database_name("accounts")].users.insert_one(
        {"_id": "u1", "username": "admin", "blob": bson.Binary(b"\x00\x01"), "at": now})
    before = snapshot(client)

    counts = backup.dump(str(tmp_path / "dump"))
    assert counts["customers.customers"] == 25 and counts["accounts.users"] == 1

    for service in SERVICES:
        client.drop_database(config.database_name(service))
    customers.customers.insert_one({"_id": "stray", "legal_name": "not in the backup"})

    backup.restore(str(tmp_path / "dump"))
    assert snapshot(client) == before
    for service in SERVICES:
        client.drop_database(config.database_name(service))
    client.close()


def test_restore_of_a_missing_directory_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        backup.main(["restore", str(tmp_path / "nothing")])
    assert "No backup" in str(exit_info.value)


def test_a_dump_is_owner_only_whatever_the_umask(test_env, monkeypatch, tmp_path):
    """Issue item 14 / review F23: backups hold hashes, secrets and personal data."""
    monkeypatch.setenv("CRM_DB_PREFIX", "bk_%s" % uuid.uuid4().hex[:8])
    client = connect(test_env["MONGO_URI"])
    client[config.database_name("accounts")].users.insert_one({"_id": "u1", "password_hash": "$argon2id$..."})
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
    for service in SERVICES:
        client.drop_database(config.database_name(service))
    client.close()
