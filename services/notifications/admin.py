"""What admins see of the e-mail outbox: the messages that failed every retry."""
from services.common.errors import Forbidden
from services.notifications import contract, store

FAILED_EMAIL = contract.FailedEmailSchema()
ADMIN_PERMISSIONS = ("webhooks:admin", "users:admin")


def list_failed_emails(db, caller, limit, cursor):
    if not any(caller.can(perm) for perm in ADMIN_PERMISSIONS):
        raise Forbidden("You need webhooks:admin or users:admin.", extra={"permission": "users:admin"})
    documents, next_cursor, total, bound = store.list_failed_emails(db, caller.site_scope(),
                                                                    limit, cursor)
    return {"items": FAILED_EMAIL.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
            "total_is_lower_bound": bound}
