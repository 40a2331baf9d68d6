"""Where webhook deliveries may go, and how they get there: resolve once, check, connect to that address.

A target's host name is resolved once per attempt. Unless ``WEBHOOK_ALLOW_PRIVATE=true``, every
address it resolves to must be public (``is_public``), and the connection goes to the first of
those checked addresses, never through a second lookup that a rebinding DNS name could answer
with 127.0.0.1. The request keeps the host name in ``Host``, in TLS SNI and in the certificate
check. No proxy from the environment, no redirects.
"""
import ipaddress
import socket
from collections import namedtuple
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from services.common import config

# IPv6 ranges that lead to IPv4 or to private networks whatever the address looks like:
# IPv4-compatible and IPv4-mapped, NAT64 (well-known and local-use), Teredo, 6to4.
TRANSLATING = tuple(ipaddress.ip_network(net) for net in (
    "::/96", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2002::/16"))
REFUSED = "Private, loopback, link-local, shared and translated (6to4, Teredo, NAT64) addresses are not allowed."

Target = namedtuple("Target", "url scheme hostname authority address")


class Refused(Exception):
    """The URL may not receive deliveries; the message says why and names no address."""


def allow_private():
    return config.get("WEBHOOK_ALLOW_PRIVATE").strip().lower() in ("1", "true", "yes")


def is_public(address):
    """Whether ``address`` is reachable on the public internet only: globally routable, not
    multicast or reserved, and not an IPv6 form of another address (``TRANSLATING``). Carrier-grade
    NAT (100.64.0.0/10, where Alibaba Cloud serves instance metadata) is not global."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and (ip.is_site_local or any(ip in net for net in TRANSLATING)):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def resolve(url, private_allowed=None):
    """The ``Target`` to connect to for ``url``; raises Refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Must be an http or https URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
        addresses = list(dict.fromkeys(info[4][0] for info in found))
    except (OSError, UnicodeError, ValueError):
        raise Refused("The host name does not resolve.")
    if not addresses:
        raise Refused("The host name does not resolve.")
    allowed = private_allowed if private_allowed is not None else allow_private()
    if not allowed and not all(is_public(address) for address in addresses):
        raise Refused(REFUSED)
    return Target(url, parts.scheme, parts.hostname, parts.netloc.rpartition("@")[2], addresses[0])


def target_problem(url, private_allowed=None):
    """Why ``url`` may not receive deliveries, or None."""
    try:
        resolve(url, private_allowed)
    except Refused as refused:
        return str(refused)
    return None


class PinnedAdapter(HTTPAdapter):
    """Connects to the target's checked address whatever the URL's host name resolves to now."""

    def __init__(self, target):
        self.target = target
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.target.address.split("%", 1)[0]
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.target.hostname
        return host_params, pool_kwargs

    def add_headers(self, request, **kwargs):
        request.headers["Host"] = self.target.authority


def send(target, body, headers, timeout, verify=True):
    """POST ``body`` to ``target`` (no redirects; the answer's body is not read): -> the response."""
    with requests.Session() as session:
        session.trust_env = False
        adapter = PinnedAdapter(target)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = session.post(target.url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                                verify=verify, stream=True)
        response.close()
        return response
