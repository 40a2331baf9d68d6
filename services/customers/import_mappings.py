"""Column mappings saved by name for a site, so the next file from the same system imports alike.
A name is unique per site and entity: saving it again replaces the mapping (audited either way)."""
import uuid

from services.common import sites
from services.common.clock import utcnow
from services.common.errors import NotFound, ValidationFailed
from services.common.schemas import load
from services.customers import contract, events, import_mapping, store

MAX_PER_SITE = 200


def out(saved):
    return {"id": saved["_id"], "name": saved["name"], "entity": saved["entity"], "site_id": saved["site_id"],
            "mapping": saved["mapping"], "value_map": saved.get("value_map") or {},
            "created_by": saved["created_by"], "updated_at": saved["updated_at"].isoformat()}


def save(db, caller, data):
    caller.require("customers:write")
    data = load(contract.ImportMappingSchema(), data)
    site_id = data.pop("site_id", None) or (caller.sites[0] if caller.sites else None)
    if not isinstance(site_id, str) or not caller.has_site(site_id):
        raise ValidationFailed(fields={"site_id": ["Not one of your sites."]})
    sites.require(db, site_id)
    import_mapping.check(data["entity"], data["mapping"], data.get("value_map"))
    current = store.find_import_mapping(db, site_id, data["entity"], data["name"])
    if current is None and store.count_import_mappings(db, site_id, MAX_PER_SITE) >= MAX_PER_SITE:
        raise ValidationFailed(fields={"name": ["A site keeps at most %d saved mappings." % MAX_PER_SITE]})
    saved = dict(data, _id=current["_id"] if current else uuid.uuid4().hex, site_id=site_id,
                 value_map=data.get("value_map") or {}, created_by=caller.user_id, updated_at=utcnow())
    action = "updated" if current else "created"
    store.save_import_mapping(db, saved, events.audit("import_mapping", saved["_id"], action, {
        "name": {"before": current and current["name"], "after": saved["name"]}}, site_id, caller.user_id))
    return out(saved)


def list_saved(db, caller, entity=None, site_id=None):
    caller.require("customers:read")
    if entity is not None and entity not in contract.IMPORT_ENTITIES:
        raise ValidationFailed(fields={"entity": ["Must be one of: %s." % ", ".join(contract.IMPORT_ENTITIES)]})
    if site_id is not None:
        caller.require_site(site_id)
    scope = [site_id] if site_id else caller.site_scope()
    return {"items": [out(saved) for saved in store.list_import_mappings(db, scope, entity)]}


def get(db, caller, mapping_id):
    saved = store.find_import_mapping_by_id(db, mapping_id) if isinstance(mapping_id, str) else None
    if saved is None or not caller.has_site(saved["site_id"]):
        raise NotFound("No such mapping.")
    return saved


def delete(db, caller, mapping_id):
    caller.require("customers:write")
    saved = get(db, caller, mapping_id)
    store.delete_import_mapping(db, mapping_id, events.audit("import_mapping", mapping_id, "deleted", {},
                                                             saved["site_id"], caller.user_id))
    return {}
