"""RabbitMQ definitions: one broker user per process kind, each allowed only what it needs.

    python -m deploy.broker_definitions OUT.json

writes the users (password hashes only) and their permissions on vhost ``/``; RabbitMQ imports the
file at boot (``deploy/rabbitmq/crm.conf``: ``load_definitions``). Each user's password comes from
the variable ``<USER>_AMQP_PASSWORD`` (``ACCOUNTS_AMQP_PASSWORD``, ..., ``INTEGRATOR_AMQP_PASSWORD``);
a missing one is an error. A broker started from definitions has no ``guest`` user.

Permissions are regular expressions on exchange and queue names (configure / write / read):

- a service publishes only to its own ``<service>.events`` exchange and ``nameko-rpc``, and uses
  only its own RPC, reply and event queues (nameko's names: ``rpc-<service>``,
  ``rpc.reply-<service or standalone_rpc_proxy>-<uuid>``, ``evt-<source>-<type>--<service>.<method>``);
  it may declare and read every ``*.events`` exchange, to bind the queues of events it consumes;
- the gateway only calls services (``nameko-rpc`` and its reply queues);
- ``setup`` (``python -m deploy.declare_queues``) declares every service's event queues and binds
  them, and publishes nothing;
- ``integrator`` reads the ``*.events`` exchanges through queues of its own named ``integrator.*``:
  no write or configure permission on any exchange.
"""
import base64
import hashlib
import json
import os
import secrets
import sys

from deploy.processes import SERVICES

VHOST = "/"
EXCHANGES = r"(%s)\.events" % "|".join(sorted(SERVICES))
REPLY_QUEUE = r"rpc\.reply-(%s|standalone_rpc_proxy)-[0-9a-f-]+"
GATEWAY_REPLY_QUEUE = r"rpc\.reply-standalone_rpc_proxy-[0-9a-f-]+"


def anchored(*alternatives):
    return "^(%s)$" % "|".join(alternatives)


def service_permissions(service):
    own_queues = (r"rpc-%s" % service, REPLY_QUEUE % service,
                  r"evt-[a-z0-9_]+-[a-z0-9_.#*]+--%s\.[a-z0-9_]+(-[0-9a-f]+)?" % service)
    return {
        "configure": anchored("nameko-rpc", EXCHANGES, *own_queues),
        "write": anchored("nameko-rpc", r"%s\.events" % service, *own_queues),
        "read": anchored("nameko-rpc", EXCHANGES, *own_queues),
    }


def permissions():
    """``{user: {configure, write, read}}`` for every broker user of the system."""
    users = {service: service_permissions(service) for service in sorted(SERVICES)}
    users["gateway"] = {"configure": anchored("nameko-rpc", GATEWAY_REPLY_QUEUE),
                        "write": anchored("nameko-rpc", GATEWAY_REPLY_QUEUE),
                        "read": anchored("nameko-rpc", GATEWAY_REPLY_QUEUE)}
    users["setup"] = {"configure": anchored(EXCHANGES, r"evt-.+"), "write": anchored(r"evt-.+"),
                      "read": anchored(EXCHANGES)}
    users["integrator"] = {"configure": anchored(r"integrator\..+"), "write": anchored(r"integrator\..+"),
                           "read": anchored(EXCHANGES, r"integrator\..+")}
    return users


def password_variable(user):
    return "%s_AMQP_PASSWORD" % user.upper()


PASSWORD_VARIABLES = tuple(password_variable(user) for user in permissions())


def password_hash(password, salt=None):
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def definitions(passwords):
    """The definitions document for ``passwords`` (``{user: password}``, one for every user)."""
    users, grants = [], []
    for user, allowed in permissions().items():
        users.append({"name": user, "password_hash": password_hash(passwords[user]),
                      "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []})
        grants.append(dict(allowed, user=user, vhost=VHOST))
    return {"users": users, "vhosts": [{"name": VHOST}], "permissions": grants}


def passwords_from(environ):
    missing = [password_variable(user) for user in permissions() if not environ.get(password_variable(user))]
    if missing:
        raise SystemExit("Set %s." % ", ".join(missing))
    return {user: environ[password_variable(user)] for user in permissions()}


def write(path, document):
    """Replace ``path`` atomically; readable by the broker's own user (it holds hashes only)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m deploy.broker_definitions OUT.json")
    write(argv[0], definitions(passwords_from(os.environ)))
    print("broker definitions written: %s" % ", ".join(permissions()))


if __name__ == "__main__":
    main()
