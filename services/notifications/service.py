"""The notifications service.

RPC methods (called as ``notifications.<method>``):

- ``health() -> {service, version, db}``
"""
from services.common.base import ServiceBase
from services.common.mongo import MongoDatabase
from services.notifications import store


class NotificationsService(ServiceBase):
    name = "notifications"

    db = MongoDatabase(name, store.ensure_indexes)
