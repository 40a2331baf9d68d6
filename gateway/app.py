"""The gateway's app factory."""
import logging
import re
import time
import uuid

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import docs, errors, headers, health, language, links, metrics, routing, security, ui
from gateway.extensions import api, rpc
from gateway.routes import (archive, audit, auth, customer_parts, customers, feedback, notifications, reports, settings,
                            sites, surveys, users, views, webhooks, catalogues, automations, campaigns,
                            report_subscriptions, teams, performance, forecasts)
from services.common import config, logs

log = logging.getLogger("gateway.requests")
# A caller's request id; never one of the ``automation.`` ids the automation rules' own writes carry.
REQUEST_ID = re.compile(r"(?!automation\.)[A-Za-z0-9._:-]+")
LINK = re.compile(r"^/([su])/[^/]+")
# The API's blueprints, in the order the document lists their tags.
API_BLUEPRINTS = (health.blp, auth.blp, users.blp, sites.blp, teams.blp, audit.blp, settings.blp, customers.blp,
                  customer_parts.blp, archive.blp, views.blp, reports.blp, notifications.blp, webhooks.blp,
                  automations.blp, campaigns.blp, report_subscriptions.blp, performance.blp, forecasts.blp,
                  feedback.blp, surveys.blp,
                  surveys.public_blp, campaigns.public_blp, catalogues.blp)


def app_config():
    """The Flask config, from the environment."""
    return {
        "AMQP_URI": config.get("AMQP_URI"),
        "RPC_TIMEOUT": config.get_float("RPC_TIMEOUT"),
        "RPC_POOL_SIZE": config.get_int("RPC_POOL_SIZE"),
        "MAX_CONTENT_LENGTH": config.get_int("MAX_BODY_BYTES"),
        "API_TITLE": "Factory CRM",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_SORT_KEYS": False,
    }


def create_app(overrides=None):
    app = Flask(__name__)
    app.config.update(app_config())
    app.config.update(overrides or {})
    logging.basicConfig(level=config.get("LOG_LEVEL"))
    logs.set_process_name("gateway")
    if config.get_int("CRM_TRUSTED_PROXIES"):  # the client address then comes from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.get_int("CRM_TRUSTED_PROXIES"))

    api.init_app(app)
    rpc.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    app.after_request(language.mark_language)
    routing.init_app(app)
    _register_blueprints(app)
    _observe_requests(app)
    health.init_app(app)  # after the request id is bound: its listener check may refuse the request
    return app


def _register_blueprints(app):
    security.register_scheme(api.spec)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    for blueprint in (docs.blp, ui.blp):
        app.register_blueprint(blueprint)
    links.add_links(api.spec.to_dict())  # its "paths" are the spec's own: the links stay in the document


def _observe_requests(app):
    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        g.request_id = _request_id(request.headers.get("X-Request-ID"))
        logs.bind_request_id(g.request_id)

    @app.after_request
    def record(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.REQUEST_LATENCY.labels(request.method, route, str(response.status_code)).observe(elapsed)
        path = loggable_path(request.path)
        log.info("%s %s %d in %.1f ms", request.method, path, response.status_code, elapsed * 1000,
                 extra={"method": request.method, "path": path, "route": route,
                        "status": response.status_code, "duration_ms": round(elapsed * 1000, 1),
                        "client_addr": request.remote_addr})
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def forget_request_id(exc):
        logs.bind_request_id(None)


def loggable_path(path):
    """The request path as logs show it: a survey's or unsubscribe link's token (its only credential) left out."""
    return LINK.sub("/\\1/\u2026", path)


def _request_id(given):
    """The caller's X-Request-ID when it is a sane token (to 64 safe characters), else a new one."""
    if given and len(given) <= 64 and REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex
