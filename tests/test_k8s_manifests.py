"""deploy/k8s is valid for Kubernetes 1.37 (strict schemas) and runs what the code provides."""
import glob
import os
import re

import kubernetes_validate
import pytest

from deploy import broker_definitions
from deploy.processes import SERVICES, gateway_command, service_command
from services.common import config
from tests.support import plain_yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR_KINDS = {("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"),
                  ("rabbitmq.com/v1beta1", "User"), ("rabbitmq.com/v1beta1", "Permission")}


def resources():
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            for document in plain_yaml.load_all(handle):
                if document:
                    yield os.path.basename(path), document


def by_kind(kind):
    return {doc["metadata"]["name"]: doc for _, doc in resources() if doc["kind"] == kind}


@pytest.mark.parametrize("name,document", list(resources()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_resource_is_valid(name, document):
    if (document["apiVersion"], document["kind"]) in OPERATOR_KINDS:
        assert document["spec"] and document["metadata"]["name"]
        return
    kubernetes_validate.validate(document, "1.37.0", strict=True)


def test_each_service_has_a_deployment_with_probes_running_its_command():
    deployments = by_kind("Deployment")
    for name in SERVICES:
        container = deployments["crm-%s" % name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == service_command(name, python="python")
        assert container["readinessProbe"]["exec"]["command"] == ["python", "-m", "deploy.probe", name]
        assert container["livenessProbe"]
    gateway = deployments["crm-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["command"] == gateway_command(python="python")
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_gateway_and_customers_autoscale():
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in by_kind("HorizontalPodAutoscaler").values()}
    assert targets == {"crm-gateway", "crm-customers"}


def test_rabbitmq_and_mongodb_come_from_their_operators():
    kinds = {(doc["apiVersion"], doc["kind"]) for _, doc in resources()}
    assert OPERATOR_KINDS <= kinds


def containers_of(deployment):
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def env_sources(container):
    """``(config maps, secrets)`` a container takes its environment from."""
    sources = container.get("envFrom", [])
    return ([s["configMapRef"]["name"] for s in sources if "configMapRef" in s],
            [s["secretRef"]["name"] for s in sources if "secretRef" in s])


def variables_of(container):
    config_maps, secrets = env_sources(container)
    names = {env["name"] for env in container.get("env", [])}
    for name in config_maps:
        names |= set(by_kind("ConfigMap")[name]["data"])
    for name in secrets:
        names |= set(by_kind("Secret")[name]["stringData"])
    return names


def test_only_variables_the_code_reads_are_set():
    for deployment in by_kind("Deployment").values():
        for container in containers_of(deployment):
            assert variables_of(container) <= set(config.VARIABLES), container["name"]


def user_in(uri):
    return uri.split("://", 1)[1].split(":", 1)[0]


def test_each_process_has_its_own_broker_and_database_user_and_the_shared_secret():
    secrets = by_kind("Secret")
    for name, deployment in by_kind("Deployment").items():
        process = name[len("crm-"):]
        for container in containers_of(deployment):
            _, own = env_sources(container)
            values = {}
            for secret in own:
                values.update(secrets[secret]["stringData"])
            assert "CRM_SECRET_KEY" in values, container["name"]
            # A required reference: a pod without the shared key does not start (with a key of
            # its own, every event it signs or receives would be refused).
            [key] = [env for env in container["env"] if env["name"] == "CRM_SECRET_KEY"]
            assert key["valueFrom"]["secretKeyRef"] == {"name": "crm-secrets", "key": "CRM_SECRET_KEY"}
            uri = values["AMQP_URI"]
            assert user_in(uri) == ("setup" if container["name"] == "declare-queues" else process), container["name"]
            if container["name"] == "declare-queues" or process == "gateway":
                assert "MONGO_URI" not in values, container["name"]
            else:
                assert user_in(values["MONGO_URI"]) == process and "authSource=admin" in values["MONGO_URI"]
    for secret in secrets.values():
        assert "guest" not in str(secret["stringData"]).lower()


def test_broker_users_and_permissions_are_those_of_the_definitions():
    users = {doc["metadata"]["name"]: doc["spec"] for doc in by_kind("User").values()}
    permissions = {doc["spec"]["userReference"]["name"]: doc["spec"] for doc in by_kind("Permission").values()}
    expected = broker_definitions.permissions()
    assert set(users) == set(permissions) == {"crm-%s" % user for user in expected}
    secrets = by_kind("Secret")
    for user, allowed in expected.items():
        assert permissions["crm-%s" % user]["permissions"] == allowed and permissions["crm-%s" % user]["vhost"] == "/"
        credentials = secrets[users["crm-%s" % user]["importCredentialsSecret"]["name"]]["stringData"]
        assert credentials["username"] == user
    for service in SERVICES:
        integrator = permissions["crm-integrator"]["permissions"]
        exchange = "%s.events" % service
        assert re.fullmatch(integrator["read"], exchange)
        assert not re.fullmatch(integrator["write"], exchange) and not re.fullmatch(integrator["configure"], exchange)


def test_mongodb_runs_with_authentication_and_a_user_per_service_database():
    [mongo] = by_kind("MongoDBCommunity").values()
    assert mongo["spec"]["security"]["authentication"]["modes"] == ["SCRAM"]
    users = {user["name"]: user for user in mongo["spec"]["users"]}
    for service in SERVICES:
        prefix = by_kind("ConfigMap")["crm-config"]["data"]["CRM_DB_PREFIX"]
        assert users[service]["roles"] == [{"name": "readWrite", "db": "%s_%s" % (prefix, service)}]
    assert not any("AnyDatabase" in role["name"] for user in users.values() for role in user["roles"])


def test_each_service_declares_the_event_queues_before_it_starts():
    for name, deployment in by_kind("Deployment").items():
        if name == "crm-gateway":
            continue
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert [c["command"] for c in init] == [["python", "-m", "deploy.declare_queues"]]
