"""The customers service.

RPC methods (called as ``customers.<method>``):

- ``health() -> {service, version, db}``
"""
from services.common.base import ServiceBase
from services.common.mongo import MongoDatabase
from services.customers import store


class CustomersService(ServiceBase):
    name = "customers"

    db = MongoDatabase(name, store.ensure_indexes)
