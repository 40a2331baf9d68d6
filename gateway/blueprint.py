"""The API's blueprint: flask-smorest's, under ``/api/v1``, with one decorator for the usual shape
of an operation (the caller's token, its input, its answer and its documented errors)."""
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.schemas.common import error_responses
from gateway.security import authenticated


class ApiBlueprint(Blueprint):
    def __init__(self, name, import_name, description, url_prefix="/api/v1", **kwargs):
        super().__init__(name, import_name, url_prefix=url_prefix, description=description, **kwargs)

    def operation(self, status, schema=None, *errors, body=None, query=None, answers=None, location="json",
                  **response):
        """Decorator of a view: the token verified first, then ``body`` (JSON, or read from
        ``location``, e.g. a multipart form) and ``query`` (the query string, an unknown parameter
        refused) parsed; it answers ``status`` with ``schema`` (``response``: more ``response``
        arguments, e.g. a download's ``content_type`` and ``description``), and documents the error
        statuses ``errors`` and the other ``answers`` (``{status: alt_response arguments}``, e.g. a
        409 with a body of its own)."""

        def decorator(func):
            func = error_responses(self, *errors)(func)
            for other, documented in (answers or {}).items():
                func = self.alt_response(other, **documented)(func)
            func = self.response(status, schema, **response)(func)
            if query is not None:
                func = self.arguments(query, location="query", unknown=RAISE)(func)
            if body is not None:
                func = self.arguments(body, location=location)(func)
            return authenticated(self)(func)

        return decorator
