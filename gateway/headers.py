"""Security headers of every answer, and the content security policies of the gateway's own pages.

Every response gets ``nosniff``, ``no-referrer``, no framing, a policy that loads nothing, and
``Cache-Control: no-store`` (API data and tokens never sit in a browser or proxy cache); a
response that sets one of these itself keeps its own (the SPA's index and assets, the docs page,
the survey page).
"""
import base64
import hashlib
import os
import re

NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
BASELINE = {
    "Content-Security-Policy": NOTHING,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def inline_hash(template, tag):
    """The CSP source (``'sha256-…'``) of the one inline ``<tag>`` block of ``template``. The block
    holds no template expression, so the rendered page carries exactly these bytes."""
    with open(os.path.join(TEMPLATES, template), encoding="utf-8") as handle:
        blocks = re.findall(r"<%s>(.*?)</%s>" % (tag, tag), handle.read(), re.S)
    if len(blocks) != 1:
        raise ValueError("%s must hold exactly one inline <%s>" % (template, tag))
    digest = hashlib.sha256(blocks[0].encode("utf-8")).digest()
    return "'sha256-%s'" % base64.b64encode(digest).decode("ascii")


def page_headers(policy):
    return {**BASELINE, "Content-Security-Policy": policy}


# The public survey page: its own inline style, a form posting to itself, nothing else.
SURVEY_PAGE = page_headers("default-src 'none'; style-src %s; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'" % inline_hash("survey.html", "style"))
# The public unsubscribe page: the same, for its own style.
UNSUBSCRIBE_PAGE = page_headers("default-src 'none'; style-src %s; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'" % inline_hash("unsubscribe.html", "style"))
# Swagger UI: its bundle and inline styles, the one inline script that starts it, and the API.
DOCS_PAGE = page_headers("default-src 'none'; script-src 'self' %s; style-src 'self' 'unsafe-inline'; "
                         "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                         "form-action 'self'" % inline_hash("docs.html", "script"))


def init_app(app):
    @app.after_request
    def secure(response):
        for name, value in BASELINE.items():
            response.headers.setdefault(name, value)
        return response
