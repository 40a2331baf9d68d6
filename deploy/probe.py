"""Readiness/liveness probe of a nameko service: ``python -m deploy.probe SERVICE``.

Exit 0 when the service answers ``health`` within RPC_TIMEOUT and reaches its database.
"""
import sys

from services.common import config


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python -m deploy.probe SERVICE")
    from services.common import remote

    service = argv[0]
    client = remote.Client(config.get("AMQP_URI"), timeout=config.get_float("RPC_TIMEOUT"), size=1)
    try:
        answer = client.call(service, "health")
    except Exception as exc:
        sys.exit("%s: no answer (%s)" % (service, type(exc).__name__))
    finally:
        client.close()
    if not answer.get("db"):
        sys.exit("%s: database unreachable" % service)
    print("%s ok" % service)


if __name__ == "__main__":
    main()
