from services.common import config


def test_defaults_work_on_a_developer_machine(monkeypatch):
    for name in ("AMQP_URI", "MONGO_URI", "CRM_DB_PREFIX", "CRM_EMBEDDED_MONGO_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert config.get("AMQP_URI") == "amqp://guest:guest@localhost:5672/"
    assert config.mongo_uri() == "mongodb://127.0.0.1:27117/"
    assert config.database_name("customers") == "crm_customers"


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("MONGO_URI", "mongodb://db.example:27017/?replicaSet=rs0")
    monkeypatch.setenv("CRM_DB_PREFIX", "plant7")
    monkeypatch.setenv("RPC_TIMEOUT", "2.5")
    assert config.mongo_uri() == "mongodb://db.example:27017/?replicaSet=rs0"
    assert config.database_name("accounts") == "plant7_accounts"
    assert config.get_float("RPC_TIMEOUT") == 2.5


def test_empty_variable_means_default(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "")
    assert config.get_int("GATEWAY_PORT") == 8000
