"""What the public pages (a survey link, an unsubscribe link) share: no login, the link's token as the
only credential, a small HTML page for a browser and JSON for an API client."""
from flask import g, request

from gateway.services import Service


def public_context():
    """The context of an RPC with no caller token: the link's token is the only credential."""
    return {"request_id": g.get("request_id"), "client_addr": request.remote_addr}


def public_service(name):
    """``name``'s RPCs called with no caller token."""
    return Service(name, context=public_context)


def wants_html():
    """Whether the client is a browser (it prefers text/html to JSON)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def html_pages(blueprint, *statuses):
    """Decorator documenting that a browser gets each of ``statuses`` as a page (text/html) too."""

    def decorator(func):
        for status in statuses:
            func = blueprint.alt_response(status, schema={"type": "string"}, content_type="text/html",
                                          description="The page, for a browser")(func)
        return func

    return decorator
