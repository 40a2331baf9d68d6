"""Readiness/liveness probe of a nameko service: ``python -m deploy.probe SERVICE``.

Exit 0 when the service answers ``health`` within RPC_TIMEOUT and reaches its database.
"""
import sys

from services.common import config


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python -m deploy.probe SERVICE")
    from nameko.standalone.rpc import ClusterRpcProxy

    service = argv[0]
    try:
        with ClusterRpcProxy(config.nameko_config(), timeout=config.get_float("RPC_TIMEOUT")) as cluster:
            answer = getattr(cluster, service).health()
    except Exception as exc:
        sys.exit("%s: no answer (%s)" % (service, type(exc).__name__))
    if not answer.get("db"):
        sys.exit("%s: database unreachable" % service)
    print("%s ok" % service)


if __name__ == "__main__":
    main()
