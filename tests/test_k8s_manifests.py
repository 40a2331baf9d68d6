"""deploy/k8s is valid for Kubernetes 1.37 (strict schemas) and runs what the code provides."""
import glob
import os

import kubernetes_validate
import pytest
import yaml

from deploy.processes import SERVICES, gateway_command, service_command
from services.common import config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR_KINDS = {("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity")}


def resources():
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
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


def test_only_variables_the_code_reads_are_set():
    names = set(by_kind("ConfigMap")["crm-config"]["data"]) | set(by_kind("Secret")["crm-secrets"]["stringData"])
    for deployment in by_kind("Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            names |= {env["name"] for env in container.get("env", [])}
    assert names <= set(config.VARIABLES)


def test_each_service_declares_the_event_queues_before_it_starts():
    for name, deployment in by_kind("Deployment").items():
        if name == "crm-gateway":
            continue
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert [c["command"] for c in init] == [["python", "-m", "deploy.declare_queues"]]
