"""The gateway's gunicorn worker: gthread, but a request gunicorn refuses before the app sees it (a
request line or headers past its limits, malformed HTTP) gets the API's JSON error body, not
gunicorn's HTML page; the log names the refusal, never the request line (it may hold a token)."""
import json

from gunicorn.http import errors as http
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

from gateway.headers import BASELINE

# (refusal, status, reason, code, message, field); any other parse error is a plain 400.
REFUSALS = (
    (http.LimitRequestLine, 414, "URI Too Long", "uri_too_long",
     "The request line is longer than 8190 bytes.", "url"),
    (http.LimitRequestHeaders, 431, "Request Header Fields Too Large", "headers_too_large",
     "Too many request headers, or one longer than 8190 bytes.", "headers"),
    (http.UnsupportedTransferCoding, 501, "Not Implemented", "not_implemented",
     "The transfer coding is not supported.", "Transfer-Encoding"),
    (http.ExpectationFailed, 417, "Expectation Failed", "expectation_failed",
     "Only 100-continue can be expected.", "Expect"),
    (http.ParseException, 400, "Bad Request", "bad_request", "The request is not valid HTTP.", None),
)
APPLICATION_FAULTS = (http.InvalidResponseHeader, http.InvalidResponseHeaderName, http.ConfigurationProblem)


def refusal(exc):
    """(status, reason, JSON body) of the answer to ``exc``."""
    status, reason, code, message, field = 500, "Internal Server Error", "internal_error", \
        "An unexpected error occurred.", None
    if not isinstance(exc, APPLICATION_FAULTS):
        for kind, *answer in REFUSALS:
            if isinstance(exc, kind):
                status, reason, code, message, field = answer
                break
    error = {"code": code, "message": message}
    if field:
        error["fields"] = {field: [message]}
    return status, reason, json.dumps({"error": error}).encode("utf-8")


def response_bytes(status, reason, body):
    head = ["HTTP/1.1 %d %s" % (status, reason), "Connection: close", "Content-Type: application/json",
            "Content-Length: %d" % len(body)]
    head += ["%s: %s" % item for item in BASELINE.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        status, reason, body = refusal(exc)
        address = (addr or ("",))[0]
        if status >= 500:
            self.log.error("request from %s failed in the server: %s", address, type(exc).__name__,
                           exc_info=exc)
        else:
            self.log.warning("refused a request from %s: %d %s", address, status, type(exc).__name__)
        try:
            write_nonblock(client, response_bytes(status, reason, body))
        except OSError:
            self.log.debug("could not send the refusal")
