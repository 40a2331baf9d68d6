"""The only module that touches the notifications service's collections."""


def ensure_indexes(db):
    """Create this service's indexes (idempotent)."""
