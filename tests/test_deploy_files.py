"""The deployment files agree with the code: docker-compose.yml, Dockerfile, requirements, README.

Plain parsing; no broker, database or Docker engine needed. The process commands come from
deploy/processes.py and the environment variables from services/common/config.py.
"""
import base64
import hashlib
import importlib
import inspect
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from deploy import broker_definitions, processes
from services.common import config
from tests.support import plain_yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = sorted(processes.SERVICES)
GATEWAY = "gateway"
INFRA_SERVICES = ("rabbitmq", "mongo")
APP_CONTAINERS = APP_SERVICES + [GATEWAY, "declare-queues"]
# The images' own variables, and the secrets they turn into users (never read by the application).
INFRA_VARIABLES = {
    "mongo": {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD", "CRM_DB_PREFIX"}
    | {"%s_MONGO_PASSWORD" % name.upper() for name in APP_SERVICES},
    "rabbitmq": set(),
    "broker-definitions": set(broker_definitions.PASSWORD_VARIABLES),
}
# Variables read by the Python runtime or libraries rather than by services/common/config.py.
STANDARD_VARIABLES = {"PYTHONUNBUFFERED", "PYTHONWARNINGS", "PROMETHEUS_MULTIPROC_DIR", "WEBHOOK_ALLOW_PRIVATE"}
ALLOWED_VARIABLES = set(config.VARIABLES) | STANDARD_VARIABLES


@pytest.fixture(scope="module")
def compose():
    with open(ROOT / "docker-compose.yml", encoding="utf-8") as f:
        return plain_yaml.load(f)


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile():
    return parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def parse_dockerfile(text):
    """[(INSTRUCTION, arguments)] with line continuations joined and comments dropped."""
    instructions, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    assert not current, "Dockerfile ends inside a continued line"
    return instructions


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def as_argv(command):
    return shlex.split(command) if isinstance(command, str) else list(command)


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_has_every_process(services):
    assert set(services) >= set(INFRA_SERVICES) | set(APP_SERVICES) | {GATEWAY}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_command_is_the_one_from_processes(services, name):
    assert as_argv(services[name]["command"]) == processes.service_command(name, python="python")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_command_names_an_importable_service_class(services, name):
    target = as_argv(services[name]["command"])[-1]
    module_name, _, class_name = target.partition(":")
    assert module_name == "services.%s.service" % name
    module = importlib.import_module(module_name)
    assert inspect.isclass(getattr(module, class_name, None)), target


def test_gateway_command_is_the_one_from_processes(services):
    argv = as_argv(services[GATEWAY]["command"])
    assert argv == processes.gateway_command(python="python")
    module_name, _, attribute = argv[-1].partition(":")
    assert attribute == "app"
    # Importing it would build the whole app; the module existing is what the command needs.
    assert (ROOT / (module_name.replace(".", "/") + ".py")).is_file()
    config_file = argv[argv.index("-c") + 1]
    assert (ROOT / config_file).is_file()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_config_file_exists(services, name):
    argv = as_argv(services[name]["command"])
    assert (ROOT / argv[argv.index("--config") + 1]).is_file()


def test_every_environment_variable_is_known(services):
    unknown = {
        (service_name, variable)
        for service_name in APP_CONTAINERS
        for variable in environment_of(services[service_name])
        if variable not in ALLOWED_VARIABLES
    }
    assert not unknown, "not in services/common/config.py VARIABLES: %s" % sorted(unknown)
    assert set(services) == set(APP_CONTAINERS) | set(INFRA_VARIABLES)
    for name, allowed in INFRA_VARIABLES.items():
        assert set(environment_of(services[name])) <= allowed, name


def test_interpolation_defaults_match_config_defaults(services):
    """`NAME: ${NAME:-x}` falls back to the same default the code has."""
    for service_name, service in services.items():
        for variable, value in environment_of(service).items():
            match = re.fullmatch(r"\$\{(\w+):?-(.*)\}", str(value or ""))
            if match and match.group(1) == variable and variable in config.VARIABLES:
                assert match.group(2) == config.VARIABLES[variable][0], (service_name, variable)


def required(variable):
    return "${%s:?" % variable


def test_application_environment(services):
    for name in APP_SERVICES + [GATEWAY]:
        env = environment_of(services[name])
        assert env["AMQP_URI"] == "amqp://%s:%sset %s_AMQP_PASSWORD}@rabbitmq:5672/" % (
            name, required("%s_AMQP_PASSWORD" % name.upper()), name.upper()), name
        if name == GATEWAY:
            assert "MONGO_URI" not in env, "the gateway holds no data"
        else:
            assert env["MONGO_URI"] == "mongodb://%s:%sset %s_MONGO_PASSWORD}@mongo:27017/?replicaSet=rs0" \
                "&authSource=admin" % (name, required("%s_MONGO_PASSWORD" % name.upper()), name.upper()), name
        assert "${CRM_ADMIN_PASSWORD:?" in env["CRM_ADMIN_PASSWORD"], name
        assert env["JWT_PUBLIC_KEY_FILE"].startswith("/app/var/keys/"), name
    # Only accounts signs tokens, so only accounts is told where the private key is.
    for name in APP_SERVICES + [GATEWAY]:
        assert ("JWT_PRIVATE_KEY_FILE" in environment_of(services[name])) == (name == "accounts"), name


@pytest.mark.parametrize("name", APP_SERVICES + [GATEWAY])
def test_application_service_shape(services, name):
    service = services[name]
    assert service.get("build") in (".", {"context": "."}), name
    assert service.get("restart") == "unless-stopped", name
    assert "container_name" not in service, "a fixed name prevents --scale"
    ports = service.get("ports") or []
    if name == GATEWAY:
        assert ports == ["${GATEWAY_PORT:-8000}:8000"]
    else:
        assert not ports, "a fixed host port prevents --scale"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_waits_for_healthy_broker_and_database(services, name):
    depends_on = services[name]["depends_on"]
    assert depends_on["rabbitmq"]["condition"] == "service_healthy"
    assert depends_on["mongo"]["condition"] == "service_healthy"


def test_gateway_waits_for_broker_and_checks_readiness(services):
    gateway = services[GATEWAY]
    assert gateway["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert set(APP_SERVICES) <= set(gateway["depends_on"])
    test = gateway["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python"
    assert "/readyz" in " ".join(test) and "curl" not in " ".join(test)


def test_infrastructure(services):
    rabbitmq, mongo = services["rabbitmq"], services["mongo"]
    assert rabbitmq["image"] == "rabbitmq:3.13-management"
    assert rabbitmq["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    assert mongo["image"] == "mongo:7"
    command = as_argv(mongo["command"])
    assert command[command.index("--replSet") + 1] == "rs0"
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "mongo:27017" in check


def test_volumes(compose, services):
    volumes = compose["volumes"]
    assert "crm-keys" in volumes
    assert any(v.split(":")[0] in volumes and v.split(":")[1] == "/data/db" for v in services["mongo"]["volumes"])
    assert "crm-keys:/app/var/keys" in services["accounts"]["volumes"]
    for name in APP_SERVICES + [GATEWAY]:
        if name != "accounts":
            assert "crm-keys:/app/var/keys:ro" in services[name]["volumes"], name
    # The signing key's volume is mounted in accounts only.
    signing = [v for v in services["accounts"]["volumes"] if not v.startswith("crm-keys:")]
    private_dir = str(Path(environment_of(services["accounts"])["JWT_PRIVATE_KEY_FILE"]).parent)
    assert any(v.split(":")[1] == private_dir for v in signing)
    for name in set(services) - {"accounts"}:
        for volume in services[name].get("volumes") or []:
            assert volume.split(":")[0] not in {v.split(":")[0] for v in signing}, name


def test_shared_environment_is_an_extension(compose):
    assert "x-crm-env" in compose


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_base_user_and_port(dockerfile):
    stages = [args for keyword, args in dockerfile if keyword == "FROM"]
    assert stages[-1] == "python:3.11-slim"
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("EXPOSE", "8000 8001") in dockerfile


def test_dockerfile_installs_the_pinned_requirements(dockerfile):
    copies = [args for keyword, args in dockerfile if keyword == "COPY"]
    assert any("requirements.txt" in args.split() for args in copies)
    installs = [args for keyword, args in dockerfile if keyword == "RUN" and "pip install" in args]
    assert any("--no-cache-dir" in args and "-r requirements.txt" in args for args in installs)


def test_dockerfile_builds_the_ui_from_its_lock_file(dockerfile):
    stages = [args for keyword, args in dockerfile if keyword == "FROM"]
    assert stages[0] == "node:20-slim AS ui"
    runs = [args for keyword, args in dockerfile if keyword == "RUN"]
    assert "npm ci --no-audit --no-fund" in runs and "npm run build" in runs
    copies = [args.split() for keyword, args in dockerfile if keyword == "COPY"]
    assert ["ui/package.json", "ui/package-lock.json", "./"] in copies
    assert ["--from=ui", "/ui/dist", "./ui/dist"] in copies
    package = json.loads((ROOT / "ui" / "package.json").read_text(encoding="utf-8"))
    for name, version in {**package["dependencies"], **package["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), "%s is not pinned: %s" % (name, version)


def test_dockerfile_environment(dockerfile):
    env = {}
    for keyword, args in dockerfile:
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONWARNINGS"] == processes.QUIET_WARNINGS
    assert set(env) <= ALLOWED_VARIABLES


def test_dockerfile_default_command_is_the_gateway(dockerfile):
    commands = [args for keyword, args in dockerfile if keyword == "CMD"]
    assert commands, "no CMD"
    assert json.loads(commands[-1]) == processes.gateway_command(python="python")


def test_dockerignore():
    entries = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", "var", ".git", "node_modules", "tests/e2e/artifacts", "__pycache__", "ui/dist"} <= entries


# --- requirements ----------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["requirements.txt", "requirements-dev.txt"])
def test_requirements_are_pinned(filename):
    for line in (ROOT / filename).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        assert re.fullmatch(r"[A-Za-z0-9._\-\[\],]+==[A-Za-z0-9.!+\-]+", line), "not pinned with ==: %r" % line


# --- README ----------------------------------------------------------------------------------


def readme_configuration_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for match in re.finditer(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$", section, re.MULTILINE):
        assert match.group(1) not in rows, "listed twice: %s" % match.group(1)
        rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_readme_configuration_table_matches_config():
    rows = readme_configuration_rows()
    assert set(rows) - set(config.VARIABLES) == set(), "README names variables the code does not read"
    assert set(config.VARIABLES) - set(rows) == set(), "README leaves out variables"
    for name, (default, _meaning) in config.VARIABLES.items():
        assert rows[name][0] == ("`%s`" % default if default else "(unset)"), name


def test_event_queues_are_declared_before_any_service_starts(services):
    declare = services["declare-queues"]
    assert declare["command"] == ["python", "-m", "deploy.declare_queues"]
    assert declare["restart"] == "no"
    assert declare["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["declare-queues"]["condition"] == "service_completed_successfully"


# --- credentials: no guest, a user per process, MongoDB with authentication ------------------


def strings_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif value is not None:
        yield str(value)


def test_no_guest_or_default_credential_anywhere(compose):
    for text in strings_in(compose):
        assert "guest" not in text.lower(), text
        for secret in re.findall(r"\$\{(\w*PASSWORD\w*|CRM_SECRET_KEY)([^}]*)\}", text):
            assert secret[1].startswith(":?"), "%s must be required, with no default" % secret[0]


def test_every_process_gets_the_shared_secret_as_a_required_value(services):
    for name in APP_CONTAINERS:
        assert environment_of(services[name])["CRM_SECRET_KEY"].startswith(required("CRM_SECRET_KEY")), name


def test_each_process_has_its_own_broker_user_and_each_service_its_own_database_user(services):
    amqp_users = {name: re.match(r"amqp://([^:]+):", environment_of(services[name])["AMQP_URI"]).group(1)
                  for name in APP_CONTAINERS}
    assert amqp_users == dict({name: name for name in APP_SERVICES + [GATEWAY]}, **{"declare-queues": "setup"})
    assert set(amqp_users.values()) | {"integrator"} == set(broker_definitions.permissions())
    mongo_users = [re.match(r"mongodb://([^:]+):", environment_of(services[name])["MONGO_URI"]).group(1)
                   for name in APP_SERVICES]
    assert mongo_users == APP_SERVICES


def test_mongo_runs_with_authentication_and_creates_one_user_per_service_database(services):
    mongo = services["mongo"]
    env = environment_of(mongo)
    assert env["MONGO_INITDB_ROOT_USERNAME"] and env["MONGO_INITDB_ROOT_PASSWORD"].startswith(
        required("MONGO_ROOT_PASSWORD"))
    command = as_argv(mongo["command"])
    assert "--keyFile" in command and "--noauth" not in command
    key_file = command[command.index("--keyFile") + 1]
    entrypoint = (ROOT / "deploy" / "mongo" / "entrypoint.sh").read_text(encoding="utf-8")
    assert key_file in entrypoint and "chmod 0400" in entrypoint and "exec docker-entrypoint.sh" in entrypoint
    mounts = {v.split(":")[1]: v.split(":")[0] for v in mongo["volumes"]}
    assert mounts["/docker-entrypoint-initdb.d/create-users.js"] == "./deploy/mongo/create-users.js"
    assert mounts[mongo["entrypoint"][-1]] == "./deploy/mongo/entrypoint.sh"
    script = (ROOT / "deploy" / "mongo" / "create-users.js").read_text(encoding="utf-8")
    assert re.search(r"\[\s*%s\s*\]" % r",\s*".join('"%s"' % name for name in APP_SERVICES), script)
    assert 'role: "readWrite", db: prefix + "_" + service' in script and "AnyDatabase" not in script
    assert "root" in " ".join(mongo["healthcheck"]["test"])


def test_rabbitmq_imports_the_definitions_written_from_required_passwords(services):
    rabbitmq, writer = services["rabbitmq"], services["broker-definitions"]
    assert rabbitmq["depends_on"]["broker-definitions"]["condition"] == "service_completed_successfully"
    out = as_argv(writer["command"])[-1]
    assert as_argv(writer["command"])[:-1] == ["python", "-m", "deploy.broker_definitions"]
    volume = next(v.split(":")[0] for v in writer["volumes"] if out.startswith(v.split(":")[1] + "/"))
    mounted = next(v.split(":")[1] for v in rabbitmq["volumes"] if v.split(":")[0] == volume)
    conf_file = next(v.split(":")[0] for v in rabbitmq["volumes"]
                     if v.split(":")[1].startswith("/etc/rabbitmq/conf.d/"))
    conf = (ROOT / conf_file).read_text(encoding="utf-8")
    assert "load_definitions = %s/%s" % (mounted, os.path.basename(out)) in conf
    env = environment_of(writer)
    assert set(env) == set(broker_definitions.PASSWORD_VARIABLES)
    for variable, value in env.items():
        assert value.startswith(required(variable)), variable


def can(user, permission, name):
    return re.fullmatch(broker_definitions.permissions()[user][permission], name) is not None


def test_the_integrator_only_reads_the_event_exchanges_through_queues_of_its_own():
    for service in APP_SERVICES:
        exchange = "%s.events" % service
        assert can("integrator", "read", exchange)
        assert not can("integrator", "write", exchange) and not can("integrator", "configure", exchange)
        for queue in ("rpc-%s" % service, "evt-accounts-accounts.audit--%s.on_audit" % service):
            assert not any(can("integrator", permission, queue) for permission in ("configure", "write", "read"))
    assert all(can("integrator", permission, "integrator.erp") for permission in ("configure", "write", "read"))
    assert not can("integrator", "write", "nameko-rpc") and not can("integrator", "read", "nameko-rpc")


def test_a_service_writes_only_to_its_own_exchange_and_uses_only_its_own_queues():
    for service in APP_SERVICES:
        for other in APP_SERVICES:
            assert can(service, "write", "%s.events" % other) == (service == other), (service, other)
            assert can(service, "read", "rpc-%s" % other) == (service == other), (service, other)
            evt = "evt-accounts-accounts.#--%s.on_accounts_event" % other
            assert can(service, "read", evt) == (service == other), (service, other)
    for user in ("gateway", "setup", "integrator"):
        assert not any(can(user, "write", "%s.events" % service) for service in APP_SERVICES), user


def test_definitions_hold_only_salted_password_hashes():
    document = broker_definitions.definitions({user: "pw-%s" % user for user in broker_definitions.permissions()})
    for user in document["users"]:
        raw = base64.b64decode(user["password_hash"])
        salt = raw[:4]
        assert raw == salt + hashlib.sha256(salt + ("pw-%s" % user["name"]).encode()).digest()
        assert "password" not in user and user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert {(g["user"], g["vhost"]) for g in document["permissions"]} == {
        (user, "/") for user in broker_definitions.permissions()}
    with pytest.raises(SystemExit):
        broker_definitions.passwords_from({"ACCOUNTS_AMQP_PASSWORD": "x"})


def test_the_gateway_keeps_idle_connections_longer_than_a_proxy_in_front(tmp_path):
    """gunicorn's own default (2 s) closes a connection a client or ingress is about to reuse. The
    config is read in a process of its own (it sets the process's metrics folder and log name)."""
    import subprocess
    import sys

    read = "import runpy; print(runpy.run_path('deploy/gunicorn.conf.py')['keepalive'])"
    for setting, expected in ((None, "75"), ("120", "120")):
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
        env.pop("GATEWAY_KEEPALIVE", None)
        if setting:
            env["GATEWAY_KEEPALIVE"] = setting
        done = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.stdout.strip().splitlines()[-1] == expected, done.stderr
