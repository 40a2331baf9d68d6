"""Process and dependency health, and Prometheus metrics."""
from concurrent.futures import ThreadPoolExecutor

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import metrics
from gateway.extensions import rpc
from services.common.errors import CrmError

SERVICES = ("accounts", "customers", "feedback", "notifications")

blp = Blueprint("health", __name__, description="Health, readiness and metrics")


class ServiceStateSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok or down"})
    version = fields.String()
    db = fields.Boolean(metadata={"description": "the service's database answers"})
    error = fields.String()


class LivenessSchema(Schema):
    status = fields.String(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceStateSchema))


def service_state(name):
    try:
        answer = rpc.call(name, "health")
    except CrmError as exc:
        return {"status": "down", "error": exc.message}
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    if not answer.get("db"):
        return {"status": "down", "version": answer.get("version", ""), "db": False,
                "error": "database unreachable"}
    return {"status": "ok", "version": answer.get("version", ""), "db": True}


@blp.route("/healthz")
@blp.response(200, LivenessSchema)
def healthz():
    """The gateway process is up."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="A service or its database is down")
def readyz():
    """Every service answers ``health`` within the RPC timeout and reaches its database."""
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        states = dict(zip(SERVICES, pool.map(service_state, SERVICES)))
    ready = all(state["status"] == "ok" for state in states.values())
    return {"status": "ok" if ready else "unavailable", "services": states}, (200 if ready else 503)


@blp.route("/metrics")
@blp.response(200, description="Prometheus text exposition")
def prometheus_metrics():
    """Prometheus metrics of every gateway worker."""
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


class ServiceHealthSchema(Schema):
    service = fields.String(required=True)
    version = fields.String(required=True)
    db = fields.Boolean(required=True)


@blp.route("/api/v1/services/<any(%s):name>/health" % ",".join(SERVICES))
@blp.response(200, ServiceHealthSchema)
@blp.alt_response(503, description="The service, its database or the broker is unavailable")
def service_health(name):
    """One service's own ``health`` answer, over RPC (503 when it cannot answer)."""
    return rpc.call(name, "health")
