"""One table from error types to HTTP statuses, and the JSON error body of docs/architecture.md §4."""
import logging
import uuid

from flask import jsonify
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from gateway.language import localized_fields, request_language
from services.common import errors, messages

log = logging.getLogger(__name__)

STATUS = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.ValidationFailed: 422,
    errors.TooManyAttempts: 429,
    errors.Unavailable: 503,
}

# Remote exceptions (by type name) that mean a dependency is down, not that the request is bad.
UNAVAILABLE_REMOTE_TYPES = {
    "ServerSelectionTimeoutError", "AutoReconnect", "NetworkTimeout", "ConnectionFailure",
    "NotPrimaryError", "WaitQueueTimeoutError", "RpcTimeout", "UnknownService", "ContainerBeingKilled",
    "OperationalError",
}

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "too_many_attempts", 503: "service_unavailable",
}


def error_response(status, code, message, fields=None, headers=None, **extra):
    """The JSON error body, its texts in the request's language (``gateway.language``), each with
    the code and parameters of its message (``message_code``, ``params``, ``field_details``)."""
    language = request_language()
    said = messages.localize(str(message or ""), language)
    body = {"code": code, "message": said["message"], "message_code": said["code"], "params": said["params"]}
    if fields:
        body["fields"], body["field_details"] = localized_fields(fields, language)
    body.update(extra)
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_crm_error(exc):
    status = STATUS.get(type(exc), 500)
    headers = {}
    if status == 429 and exc.extra.get("retry_after"):
        headers["Retry-After"] = str(int(exc.extra["retry_after"]))
    if status == 500:
        return handle_unexpected(exc)
    return error_response(status, exc.code, exc.message, exc.fields, headers, **exc.extra)


def handle_remote_error(exc):
    if exc.exc_type in UNAVAILABLE_REMOTE_TYPES:
        log.warning("dependency unavailable: %s", exc.exc_type)
        return error_response(503, "service_unavailable", "A service this request needs is unavailable.")
    return handle_unexpected(exc)


def handle_http_error(exc):
    """Werkzeug and flask-smorest errors (unknown route, wrong method, webargs validation)."""
    fields = None
    messages = getattr(exc, "data", {}).get("messages") if getattr(exc, "data", None) else None
    if messages:
        fields = {}
        for location_fields in messages.values():
            if isinstance(location_fields, dict):
                fields.update(location_fields)
            else:
                fields.setdefault("_body", []).extend(location_fields)
    status = exc.code or 500
    code = HTTP_CODES.get(status, "error")
    message = exc.description if status != 422 else "The input is not valid."
    headers = {}
    if status == 405:
        headers["Allow"] = exc.get_response().headers.get("Allow", "")
    return error_response(status, code, message, fields, headers)


def handle_too_deep(exc):
    """JSON nested deeper than the parser's recursion limit: bad input, not a fault."""
    log.warning("request body nested too deeply")
    return error_response(400, "bad_request", "The request body is nested too deeply.")


def handle_unexpected(exc):
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s", error_id, exc_info=exc)
    return error_response(500, "internal_error", "An unexpected error occurred.", error_id=error_id)


def init_app(app):
    app.register_error_handler(errors.CrmError, handle_crm_error)
    app.register_error_handler(RemoteError, handle_remote_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RecursionError, handle_too_deep)
    app.register_error_handler(Exception, handle_unexpected)
