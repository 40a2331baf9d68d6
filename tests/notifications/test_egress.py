"""Where webhook deliveries may go: the address policy, one lookup per attempt, the pinned connection."""
import datetime
import json
import pathlib
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifications import delivery, egress
from tests.support.stack import ROOT

REFUSED = ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.5", "169.254.169.254", "0.0.0.0", "100.64.0.1",
           "100.100.100.200", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1%eth0", "fc00::1",
           "fec0::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::7f00:1", "64:ff9b::7f00:1", "64:ff9b:1::1",
           "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2002:7f00:1::1", "2002:808:808::1", "ff02::1")
PUBLIC = ("93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:4001:80b::200e")


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_plainly_public_are_refused(address):
    assert not egress.is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert egress.is_public(address)


def answers(mapping):
    """A ``socket.getaddrinfo`` answering ``mapping[host]`` (a list, one answer per call) for those
    hosts, and the real thing for others; ``calls`` records the hosts asked."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        getaddrinfo.calls.append(host)
        if host not in mapping:
            return real(host, port, *args, **kwargs)
        address = mapping[host].pop(0) if len(mapping[host]) > 1 else mapping[host][0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    getaddrinfo.calls = []
    return getaddrinfo


def test_a_url_is_refused_when_any_of_its_addresses_is_not_public_and_the_reason_names_none(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", answers({"mixed.example.test": ["93.184.216.34"]}))
    assert egress.resolve("https://mixed.example.test/hook", private_allowed=False).address == "93.184.216.34"
    real = socket.getaddrinfo

    def two(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))] if host == "two.example.test" \
            else real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two)
    with pytest.raises(egress.Refused) as refused:
        egress.resolve("https://two.example.test/hook", private_allowed=False)
    assert "10.0.0.7" not in str(refused.value)
    assert egress.resolve("https://two.example.test/hook", private_allowed=True).address == "93.184.216.34"
    for url in ("ftp://93.184.216.34/", "http:///nohost", "http://93.184.216.34:99999/"):
        with pytest.raises(egress.Refused):
            egress.resolve(url, private_allowed=True)


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.requests.append({"host": self.headers.get("Host"), "path": self.path, "headers": dict(self.headers),
                                     "body": self.rfile.read(int(self.headers.get("Content-Length") or 0))})
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, context=None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        self.httpd.requests = []
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]

    @property
    def requests(self):
        return self.httpd.requests

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_an_attempt_connects_to_the_address_it_checked_not_to_a_second_answer(monkeypatch):
    """DNS rebinding: the name answers a public address first, then 127.0.0.1."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    with Server() as public_side, Server() as internal:
        url = "http://rebind.example.test:%d/hook" % internal.port
        resolver = answers({"rebind.example.test": ["93.184.216.34", "127.0.0.1"]})
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        real_connect = requests.packages.urllib3.util.connection.create_connection
        dialled = []

        def network(address, *args, **kwargs):
            """The public address is served by ``public_side``; anything else is dialled as asked."""
            dialled.append(address)
            if address[0] == "93.184.216.34":
                return real_connect(("127.0.0.1", public_side.port), *args, **kwargs)
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(requests.packages.urllib3.util.connection, "create_connection", network)
        status, error = delivery.post(url, b'{"x":1}', {"Content-Type": "application/json"})

    assert (status, error) == (204, None)
    assert dialled == [("93.184.216.34", internal.port)] and resolver.calls.count("rebind.example.test") == 1
    assert internal.requests == []
    [received] = public_side.requests
    assert received["host"] == "rebind.example.test:%d" % internal.port and received["body"] == b'{"x":1}'


def test_a_private_target_is_refused_at_delivery_without_contact_or_detail(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    with Server() as internal:
        monkeypatch.setattr(socket, "getaddrinfo", answers({"inside.example.test": ["127.0.0.1"]}))
        status, error = delivery.post("http://inside.example.test:%d/hook" % internal.port, b"{}", {})
    assert status is None and error.startswith("Target refused") and "127.0.0.1" not in error
    assert internal.requests == []


def test_a_failed_connection_is_logged_without_the_exception_text(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    with Server() as closed:
        port = closed.port
    status, error = delivery.post("http://127.0.0.1:%d/hook" % port, b"{}", {})
    assert (status, error) == (None, "Connection failed or timed out")


def certificate_for(hostname, tmp_path):
    """A CA file and an SSL server context whose certificate (signed by that CA) names ``hostname`` only."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    return str(ca_file), context


def https_outcomes(directory):
    """What pinned HTTPS attempts to a server on 127.0.0.1 whose certificate names hooks.example.test
    give: with that host name, with another one, and without trusting the test CA."""
    ca_file, context = certificate_for("hooks.example.test", pathlib.Path(directory))
    outcomes = {}
    with Server(context) as server:
        for case, hostname, verify in (("named", "hooks.example.test", ca_file),
                                       ("other", "other.example.test", ca_file),
                                       ("untrusted", "hooks.example.test", True)):
            authority = "%s:%d" % (hostname, server.port)
            target = egress.Target("https://%s/hook" % authority, "https", hostname, authority, "127.0.0.1")
            try:
                outcomes[case] = egress.send(target, b"{}", {}, 5, verify=verify).status_code
            except requests.exceptions.SSLError:
                outcomes[case] = "ssl_error"
        outcomes["hosts"] = [request["host"] == "hooks.example.test:%d" % server.port for request in server.requests]
    return outcomes


def test_https_to_the_pinned_address_checks_the_certificate_against_the_host_name(tmp_path):
    """In a fresh interpreter: under pytest ``ssl`` is imported before eventlet patches it, which
    breaks client TLS in this process (the services patch first)."""
    script = ("import eventlet; eventlet.monkey_patch()\nimport json, sys\n"
              "from tests.notifications.test_egress import https_outcomes\n"
              "print(json.dumps(https_outcomes(sys.argv[1])))")
    run = subprocess.run([sys.executable, "-W", "ignore", "-c", script, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outcomes = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcomes == {"named": 204, "other": "ssl_error", "untrusted": "ssl_error", "hosts": [True]}
