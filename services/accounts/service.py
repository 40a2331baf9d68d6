"""The accounts service.

RPC methods (called as ``accounts.<method>``):

- ``health() -> {service, version, db}``
"""
from services.common.base import ServiceBase
from services.common.mongo import MongoDatabase
from services.accounts import store


class AccountsService(ServiceBase):
    name = "accounts"

    db = MongoDatabase(name, store.ensure_indexes)
