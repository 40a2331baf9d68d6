"""Domain errors that cross the RPC boundary intact.

Each class is registered with nameko's ``deserialize_to_instance`` so an RPC caller gets the
same class back (with its ``code``, ``message`` and ``fields``); the gateway maps classes to
HTTP statuses in one table (``gateway.errors``).
"""
import json

from nameko.exceptions import deserialize_to_instance


def _decoded(value):
    if isinstance(value, str):
        return json.loads(value) if value else {}
    return dict(value or {})


class CrmError(Exception):
    code = "error"

    def __init__(self, message="", fields=None, code=None, extra=None):
        self.message = message or self.__class__.__doc__.strip()
        self.fields = _decoded(fields)
        if code:
            self.code = code
        self.extra = _decoded(extra)
        # nameko stringifies every non-string argument when it serialises an exception, so
        # fields and extra travel as JSON text and keep their types.
        super().__init__(self.message, json.dumps(self.fields), self.code, json.dumps(self.extra))

    def __str__(self):
        return self.message

    def to_dict(self):
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


def _remote(cls):
    return deserialize_to_instance(cls)


@_remote
class BadRequest(CrmError):
    """The request is malformed."""
    code = "bad_request"


@_remote
class Unauthorized(CrmError):
    """A valid token is required."""
    code = "unauthorized"


@_remote
class Forbidden(CrmError):
    """You do not have permission for this."""
    code = "forbidden"


@_remote
class NotFound(CrmError):
    """Not found."""
    code = "not_found"


@_remote
class Conflict(CrmError):
    """The request conflicts with the current state."""
    code = "conflict"


def stale_version(thing, plural=False):
    """The 409 of a write whose ``version`` is no longer the stored one (``thing``: what was written)."""
    return Conflict("The %s %s changed by someone else; reload and try again." % (thing, "were" if plural else "was"),
                    {"version": ["Stale version."]}, code="stale_version")


@_remote
class PayloadTooLarge(CrmError):
    """The request is too large."""
    code = "too_large"


@_remote
class ValidationFailed(CrmError):
    """The input is not valid."""
    code = "validation_error"


@_remote
class TooManyAttempts(CrmError):
    """Too many attempts; try again later."""
    code = "too_many_attempts"


@_remote
class Unavailable(CrmError):
    """A service this request needs is unavailable."""
    code = "service_unavailable"
