from deploy import processes
from services.common import config

DATABASE_URIS = ("MONGO_URI", "ACCOUNTS_MONGO_URI", "CUSTOMERS_MONGO_URI", "FEEDBACK_MONGO_URI",
                 "NOTIFICATIONS_MONGO_URI")


def test_defaults_work_on_a_developer_machine(monkeypatch):
    for name in ("AMQP_URI", "CRM_DB_PREFIX", "CRM_EMBEDDED_MONGO_PORT") + DATABASE_URIS:
        monkeypatch.delenv(name, raising=False)
    assert config.get("AMQP_URI") == "amqp://guest:guest@localhost:5672/"
    assert config.database_name("customers") == "crm_customers"


def test_each_service_has_an_embedded_server_of_its_own_by_default(monkeypatch):
    for name in ("CRM_EMBEDDED_MONGO_PORT",) + DATABASE_URIS:
        monkeypatch.delenv(name, raising=False)
    assert {service: config.mongo_uri(service) for service in config.SERVICE_NAMES} == {
        "accounts": "mongodb://127.0.0.1:27117/", "customers": "mongodb://127.0.0.1:27118/",
        "feedback": "mongodb://127.0.0.1:27119/", "notifications": "mongodb://127.0.0.1:27120/"}
    monkeypatch.setenv("CRM_EMBEDDED_MONGO_PORT", "40000")
    assert config.mongo_uri("notifications") == "mongodb://127.0.0.1:40003/"


def test_the_embedded_servers_ports_follow_the_order_of_the_processes():
    assert tuple(processes.SERVICES) == config.SERVICE_NAMES


def test_a_services_own_uri_wins_over_mongo_uri(monkeypatch):
    for name in DATABASE_URIS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONGO_URI", "mongodb://db.example:27017/?replicaSet=rs0")
    monkeypatch.setenv("FEEDBACK_MONGO_URI", "mongodb://feedback-db.example:27017/")
    assert config.mongo_uri("feedback") == "mongodb://feedback-db.example:27017/"
    assert config.mongo_uri("accounts") == "mongodb://db.example:27017/?replicaSet=rs0"


def test_the_embedded_servers_make_run_starts_are_those_of_services_without_a_uri(monkeypatch, tmp_path):
    for name in DATABASE_URIS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_EMBEDDED_MONGO_PORT", "40000")
    assert processes.embedded_mongo_servers(str(tmp_path)) == {
        service: (40000 + i, str(tmp_path / service)) for i, service in enumerate(config.SERVICE_NAMES)}
    monkeypatch.setenv("CUSTOMERS_MONGO_URI", "mongodb://customers-db.example:27017/")
    assert set(processes.embedded_mongo_servers(str(tmp_path))) == {"accounts", "feedback", "notifications"}
    monkeypatch.setenv("MONGO_URI", "mongodb://db.example:27017/")
    assert processes.embedded_mongo_servers(str(tmp_path)) == {}


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.delenv("ACCOUNTS_MONGO_URI", raising=False)
    monkeypatch.setenv("MONGO_URI", "mongodb://db.example:27017/?replicaSet=rs0")
    monkeypatch.setenv("CRM_DB_PREFIX", "plant7")
    monkeypatch.setenv("RPC_TIMEOUT", "2.5")
    assert config.mongo_uri("accounts") == "mongodb://db.example:27017/?replicaSet=rs0"
    assert config.database_name("accounts") == "plant7_accounts"
    assert config.get_float("RPC_TIMEOUT") == 2.5


def test_empty_variable_means_default(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "")
    assert config.get_int("GATEWAY_PORT") == 8000
