"""The web UI: the built single-page app (ui/dist) served at ``/``.

Asset files carry a content hash in their names and are cached for a year; every other path
that is not the API's answers with the app's index.html, whose router shows the page.
"""
import os

from flask import Blueprint, current_app, jsonify, send_from_directory
from werkzeug.routing import PathConverter

from services.common import config

blp = Blueprint("ui", __name__)

RESERVED = ("api/", "docs", "s/", "healthz", "readyz", "metrics")
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class PagePathConverter(PathConverter):
    """A path of the app's own pages: never one under a RESERVED prefix, so that the API's paths are
    not matched here too (which would answer them with a 404 page and advertise GET in their
    ``Allow`` header)."""

    regex = "(?!%s)[^/].*?" % "|".join(RESERVED)


@blp.record_once
def register_converter(state):
    state.app.url_map.converters["page_path"] = PagePathConverter


def ui_dir():
    configured = config.get("CRM_UI_DIR")
    if configured:
        return os.path.abspath(configured)
    return os.path.join(os.path.dirname(current_app.root_path), "ui", "dist")


@blp.route("/assets/<path:filename>")
def asset(filename):
    response = send_from_directory(os.path.join(ui_dir(), "assets"), filename, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@blp.route("/", defaults={"path": ""})
@blp.route("/<page_path:path>")
def page(path):
    index = os.path.join(ui_dir(), "index.html")
    if not os.path.isfile(index):
        response = jsonify(error={"code": "ui_not_built", "message": "The web UI is not built; run `make run`."})
        response.status_code = 503
        return response
    response = send_from_directory(ui_dir(), "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(SECURITY_HEADERS)
    return response
