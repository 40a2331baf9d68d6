"""The feedback service.

RPC methods (called as ``feedback.<method>``):

- ``health() -> {service, version, db}``
"""
from services.common.base import ServiceBase
from services.common.mongo import MongoDatabase
from services.feedback import store


class FeedbackService(ServiceBase):
    name = "feedback"

    db = MongoDatabase(name, store.ensure_indexes)
