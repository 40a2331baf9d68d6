"""A webhook receiver on loopback for tests: answers with scripted statuses and keeps every request."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """``with WebhookReceiver() as receiver: receiver.url``; ``fail_next(n)`` answers 500 n times,
    ``failing = True`` answers 503 until set back."""

    def __init__(self):
        self.requests = []
        self.failures_left = 0
        self.failing = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._answer()
                receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status,
                                          "path": self.path})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def _answer(self):
        with self._lock:
            if self.failing:
                return 503
            if self.failures_left:
                self.failures_left -= 1
                return 500
            return 204

    def fail_next(self, count):
        self.failures_left = count

    def received(self, event_type=None):
        """Requests answered with success, optionally of one event type."""
        return [r for r in list(self.requests) if r["status"] < 300
                and (event_type is None or r["headers"].get("X-CRM-Event") == event_type)]

    def events(self):
        return [json.loads(r["body"]) for r in self.received()]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def signature_ok(secret, request):
    """Verify a delivery as docs/events.md tells integrators to."""
    headers = request["headers"]
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-CRM-Timestamp"].encode() + b"." + request["body"],
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-CRM-Signature"])
