"""The audit trail of changes to users, permissions and customer data."""
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.extensions import rpc
from gateway.schemas import accounts as s
from gateway.schemas.common import error_responses, page_schema, split_page
from gateway.security import authenticated, rpc_context

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The audit trail")


@blp.route("/audit")
@authenticated(blp)
@blp.arguments(s.AuditQuerySchema, location="query", unknown=RAISE)
@blp.response(200, page_schema(s.AuditEntrySchema))
@error_responses(blp, 400, 403)
def list_audit(args):
    """Audit entries matching the filters (audit:read)."""
    filters, limit, cursor = split_page(args)
    return rpc.call("accounts", "list_audit", filters, limit=limit, cursor=cursor, context=rpc_context())
