"""Process and dependency health, and Prometheus metrics.

``/healthz`` and ``/readyz`` answer on every listener (the orchestrator's probes use the public
port). ``/metrics`` and one service's health answer only on the internal listener
(``GATEWAY_INTERNAL_PORT``, never published), which answers nothing else: they are not in the
public API and its document.
"""
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint as FlaskBlueprint
from flask import Response, abort, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import metrics
from gateway.extensions import rpc
from services.common import config
from services.common.errors import CrmError

SERVICES = ("accounts", "customers", "feedback", "notifications")

blp = Blueprint("health", __name__, description="Health and readiness")
internal_blp = FlaskBlueprint("internal", __name__)


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


def listener_port():
    """The local port of the connection the request came in on (under gunicorn, the socket's own,
    which no header can change), else the WSGI server's port."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        address = sock.getsockname()
        return address[1] if isinstance(address, tuple) else None
    return int(request.environ.get("SERVER_PORT") or 0)


def on_internal_listener():
    port = config.get_int("GATEWAY_INTERNAL_PORT")
    return port != 0 and listener_port() == port


def keep_listeners_apart():
    """The internal endpoints exist on the internal listener only, and it serves nothing else."""
    if request.endpoint in ("health.healthz", "health.readyz"):
        return
    if (request.blueprint == internal_blp.name) != on_internal_listener():
        abort(404)


@internal_blp.route("/metrics")
def prometheus_metrics():
    """Prometheus metrics of every gateway worker."""
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


@internal_blp.route("/api/v1/services/<any(%s):name>/health" % ",".join(SERVICES))
def service_health(name):
    """One service's own ``health`` answer, over RPC (503 when it cannot answer)."""
    return jsonify(rpc.call(name, "health"))


def init_app(app):
    app.before_request(keep_listeners_apart)
    app.register_blueprint(internal_blp)
