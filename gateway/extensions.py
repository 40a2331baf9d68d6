"""Extensions created once and bound to the app in ``create_app``."""
from flask_smorest import Api
from marshmallow import Schema, fields

from gateway.rpc import RpcPool


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = fields.String(required=True)
    fields = fields.Dict(
        keys=fields.String(), values=fields.Raw(), metadata={"description": "messages per input field"}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class CrmApi(Api):
    """flask-smorest's Api documenting the error body of DESIGN §4."""

    ERROR_SCHEMA = ErrorSchema


api = CrmApi()
rpc = RpcPool()
