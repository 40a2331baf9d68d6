"""Requests and responses of the audit trail."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.accounts import contract

AuditQuerySchema = http_input(contract.AuditFilterSchema, "AuditQuerySchema", base=PageQuerySchema, rules=("ordered",))


AuditEntrySchema = http_output(contract.AuditEntrySchema)
