"""Saved views of the customer list: filters, columns and sort, private or shared in a site
(an active one: 422 ``site_id`` otherwise)."""
import uuid


from services.common import sites
from services.common.clock import utcnow
from services.common.errors import NotFound, ValidationFailed
from services.common.schemas import load
from services.customers import contract, events, store

COLUMNS = contract.VIEW_COLUMNS


def out(view):
    return {"id": view["_id"], "name": view["name"], "filters": view["filters"], "columns": view["columns"],
            "shared": view["shared"], "site_id": view["site_id"], "owner_id": view["owner_id"],
            "created_at": view["created_at"].isoformat()}


def create_view(db, caller, data):
    caller.require("customers:read")
    data = load(contract.ViewSchema(), data)
    site_id = data.pop("site_id", None) or (caller.sites[0] if caller.sites else None)
    if not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    view = dict(data, _id=uuid.uuid4().hex, site_id=site_id, owner_id=caller.user_id, created_at=utcnow(),
                deleted_at=None)
    store.insert_view(db, view, events.audit("view", view["_id"], "created", {}, site_id, caller.user_id))
    return out(view)


def list_views(db, caller):
    caller.require("customers:read")
    return {"items": [out(v) for v in store.list_views(db, caller.user_id, caller.site_scope())]}


def delete_view(db, caller, view_id):
    caller.require("customers:read")
    view = store.find_view(db, view_id)
    if view is None or view["owner_id"] != caller.user_id and not (
            view["shared"] and caller.can("customers:write") and caller.has_site(view["site_id"])):
        raise NotFound("No such view.")
    store.delete_view(db, view_id, events.audit("view", view_id, "deleted", {}, view["site_id"], caller.user_id))
    return {}
