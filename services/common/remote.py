"""Calls from one service to another, always bounded by a timeout (DESIGN §7).

nameko's RpcProxy dependency has no timeout, so a dead peer would hang the worker: these calls
go through a standalone proxy with ``RPC_TIMEOUT`` and forward the caller's token.
"""
import logging
import socket

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import config, logs
from services.common.errors import Unavailable

log = logging.getLogger(__name__)


def call(service, method, *args, token=None, timeout=None, **kwargs):
    """``service.method(*args, **kwargs)`` as the caller holding ``token``; Unavailable on timeout."""
    context = {"authorization": token} if token else {}
    if logs.current_request_id():
        context["request_id"] = logs.current_request_id()
    try:
        with ClusterRpcProxy(config.nameko_config(), context_data=context,
                             timeout=timeout or config.get_float("RPC_TIMEOUT")) as cluster:
            return getattr(getattr(cluster, service), method)(*args, **kwargs)
    except (RpcTimeout, UnknownService, OperationalError, socket.error, ConnectionError) as exc:
        log.warning("%s.%s unavailable: %s", service, method, type(exc).__name__)
        raise Unavailable("The %s service is unavailable." % service, extra={"service": service})
