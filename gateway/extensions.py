"""Extensions created once and bound to the app in ``create_app``."""
from flask_smorest import Api
from marshmallow import Schema, fields

from gateway import metrics
from services.common.remote import Client


class MessagesSchema(Schema):
    """The texts of an error body (``gateway.errors.error_response``): each in the caller's language,
    with its code and parameters."""

    message = fields.String(required=True, metadata={
        "description": "in the user's language setting, else the Accept-Language header's (zh-CN or en)"})
    message_code = fields.String(allow_none=True, metadata={
        "description": "the message's code in the message catalogues (for a client's own translation)"})
    params = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "the values filled into the message"})
    field_details = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "as fields, each message as {code, params}"})
    fields = fields.Dict(  # last: the name shadows the module
        keys=fields.String(), values=fields.Raw(), metadata={"description": "messages per input field"}
    )


class ErrorDetailSchema(MessagesSchema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    permission = fields.String(metadata={"description": "403: the permission the caller lacks"})
    retry_after = fields.Integer(metadata={"description": "429: seconds to wait"})
    current_status = fields.String(metadata={"description": "409 illegal_transition: the item's status"})
    allowed = fields.List(fields.String(), metadata={"description": "409 illegal_transition: the next statuses"})
    service = fields.String(metadata={"description": "503: the service that is unavailable"})
    error_id = fields.String(metadata={"description": "500: quote it to the operators, it is in their logs"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class CrmApi(Api):
    """flask-smorest's Api documenting the error body of docs/architecture.md §4."""

    ERROR_SCHEMA = ErrorSchema


api = CrmApi()
rpc = Client(latency=metrics.RPC_LATENCY)
