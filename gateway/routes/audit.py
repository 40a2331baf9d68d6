"""The audit trail of changes to users, permissions and customer data."""

from gateway.blueprint import ApiBlueprint
from gateway.schemas import audit as s
from gateway.schemas.common import page_schema, split_page
from gateway.services import accounts

blp = ApiBlueprint("audit", __name__, description="The audit trail")


@blp.route("/audit")
@blp.operation(200, page_schema(s.AuditEntrySchema), 400, 403, query=s.AuditQuerySchema)
def list_audit(args):
    """Audit entries matching the filters (audit:read)."""
    filters, limit, cursor = split_page(args)
    return accounts.list_audit(filters, limit=limit, cursor=cursor)
