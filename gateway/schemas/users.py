"""Requests and responses of user administration: users, their sign-ins, the directory and permissions."""
from marshmallow import validate

from gateway.schemas.common import PageQuerySchema, QueryInteger, StrictSchema, Text, http_input, http_output
from services.accounts import contract

UserCreateSchema = http_input(contract.UserCreateSchema, "UserCreateSchema")
UserUpdateSchema = http_input(contract.UserUpdateSchema, "UserUpdateSchema")
UserListQuerySchema = http_input(contract.UserFilterSchema, "UserListQuerySchema", base=PageQuerySchema)


class DeleteUserQuerySchema(StrictSchema):
    confirm = Text(64, min_length=1, required=True, metadata={"description": "the user's username"})


UserSchema = http_output(contract.UserSchema)


LoginRecordSchema = http_output(contract.LoginRecordSchema)


DirectoryQuerySchema = http_input(contract.DirectoryFilterSchema, "DirectoryQuerySchema", limit=QueryInteger(
    load_default=50, validate=validate.Range(min=1, max=200), metadata={"description": "at most this many (1-200)"}))

DirectorySchema = http_output(contract.DirectorySchema)


PermissionsUpdateSchema = http_input(contract.PermissionsSchema, "PermissionsUpdateSchema",
                                     required=("grants", "revocations"))
PermissionsSchema = http_output(contract.PermissionsOutSchema)
