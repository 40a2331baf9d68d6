"""Interactive API docs at ``/docs``, with Swagger UI assets installed by pip (no CDN)."""
import swagger_ui_bundle
from flask import Blueprint, render_template

from gateway.headers import DOCS_PAGE

blp = Blueprint(
    "docs", __name__, static_folder=swagger_ui_bundle.swagger_ui_path, static_url_path="/docs/assets"
)


@blp.route("/docs")
def docs():
    return render_template("docs.html"), DOCS_PAGE
