"""The services as the routes call them: ``customers.get_customer(customer_id)`` is an RPC that
carries the caller's token, request id and address."""
from gateway.extensions import rpc
from gateway.security import rpc_context


class Service:
    """One service's RPCs as methods; ``context`` makes each call's nameko context data."""

    def __init__(self, name, context=rpc_context):
        self._name = name
        self._context = context

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            return rpc.call(self._name, method, *args, context=self._context(), **kwargs)

        call.__name__ = method
        return call


accounts = Service("accounts")
customers = Service("customers")
feedback = Service("feedback")
notifications = Service("notifications")
