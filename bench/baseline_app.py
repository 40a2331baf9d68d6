"""The monolith baseline of ``bench/monolith.py``: the gateway's customer read and create requests
served by one plain Flask app that talks to MongoDB itself, with no broker and no services.

It does the work those requests do, in one process: verify the bearer token, validate the body
with the gateway's input schema, run the customers service's own use case (site check, duplicate
checks, the insert with its outbox events) against its own database, and serialise the answer
with the gateway's output schema. No relay publishes the queued events; the documents keep them.

    gunicorn -c deploy/gunicorn.conf.py bench.baseline_app:app
"""
import logging
import time

from flask import Flask, g, jsonify, request
from marshmallow import RAISE, ValidationError

from gateway.errors import STATUS
from gateway.schemas import customers as s
from gateway.schemas.common import plain
from services.common import auth, config, consumer, outbox
from services.common.errors import CrmError, Unauthorized, ValidationFailed
from services.common.mongo import connect
from services.customers import archive, store

log = logging.getLogger("baseline.requests")

CREATE_BODY = s.CustomerCreateSchema()
CREATE_QUERY = s.CreateCustomerQuerySchema()
CUSTOMER = s.CustomerSchema()


def open_database():
    """The customers database of this process (``<CRM_DB_PREFIX>_customers``), with its indexes."""
    db = connect(config.mongo_uri("customers"))[config.database_name("customers")]
    outbox.ensure_indexes(db, store.OUTBOX_COLLECTIONS)
    consumer.ensure_indexes(db)
    store.ensure_indexes(db)
    return db


def caller():
    """The verified caller of this request."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A valid access token is required.")
    return g.verifier.verify(token.strip())


def loaded(schema, data):
    try:
        return schema.load(data, unknown=RAISE)
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.messages)


def error(exc):
    """The gateway's status and error body for a domain error."""
    return jsonify({"error": exc.to_dict()}), STATUS.get(type(exc), 500)


def create_app():
    app = Flask(__name__)
    app.json.sort_keys = False
    db = open_database()
    verifier = auth.verifier_from_config()

    @app.before_request
    def start():
        g.started = time.perf_counter()
        g.verifier = verifier

    @app.after_request
    def record(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        log.info("%s %s %d in %.1f ms", request.method, request.path, response.status_code, elapsed * 1000)
        return response

    app.register_error_handler(CrmError, error)

    @app.get("/readyz")
    def ready():
        return {"status": "ok"}

    @app.get("/api/v1/customers/<customer_id>")
    def get_customer(customer_id):
        return jsonify(CUSTOMER.dump(archive.get_customer(db, caller(), customer_id)))

    @app.post("/api/v1/customers")
    def create_customer():
        who = caller()
        body = loaded(CREATE_BODY, request.get_json(silent=True) or {})
        force = loaded(CREATE_QUERY, request.args.to_dict())["force"]
        return jsonify(CUSTOMER.dump(archive.create_customer(db, who, plain(body), force=force))), 201

    return app


app = create_app()
