"""Clusters of likely duplicate customers among the caller's sites, strongest reason first.

Grouped in the database on the normalised keys the archive keeps (``tax_id_key``, ``name_key``,
``phone_keys``, ``email_keys``). Phone and e-mail keys include the customer's contacts' ones;
callers without ``contacts:read`` are grouped on the company's own phone and e-mail only.
"""
from services.common import paging
from services.customers import access, store

MAX_MEMBERS = 50


def _member():
    return {"id": "$_id", "legal_name": "$legal_name", "site_id": "$site_id", "tax_id": "$tax_id"}


def _keyed(reason, key_expression, many):
    """The pipeline stages grouping customers on ``key_expression`` (an array when ``many``)."""
    stages = [{"$project": {"legal_name": 1, "site_id": 1, "tax_id": 1, "k": key_expression}}]
    if many:
        stages.append({"$unwind": "$k"})
    return reason, stages + [
        {"$match": {"k": {"$type": "string", "$ne": ""}}},
        {"$group": {"_id": "$k", "customers": {"$push": _member()}, "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}},
        {"$project": {"customers": {"$slice": ["$customers", MAX_MEMBERS]}, "count": 1}},
        {"$sort": {"count": -1, "_id": 1}},
    ]


def _own(field, contact_field):
    return {"$setDifference": ["$" + field, {"$ifNull": ["$" + contact_field, []]}]}


def pipelines(caller):
    contacts = caller.can("contacts:read")
    return [
        _keyed("same_tax_id", "$tax_id_key", False),
        _keyed("similar_name", "$name_key", False),
        _keyed("same_phone", "$phone_keys" if contacts else _own("phone_keys", "contact_phone_keys"), True),
        _keyed("same_email", "$email_keys" if contacts else _own("email_keys", "contact_email_keys"), True),
    ]


def duplicates(db, caller, limit=None):
    """``{"clusters": [{key, reason, customers: [{id, legal_name, site_id, tax_id}]}]}``; a cluster
    with the same members as a stronger one is left out."""
    caller.require("customers:read")
    limit = paging.check_limit(limit)
    match = {"$match": access.scoped(caller, {"deleted_at": None})}
    clusters, seen = [], set()
    for reason, stages in pipelines(caller):
        if len(clusters) >= limit:
            break
        room = {"$limit": limit - len(clusters) + len(seen)}
        for group in store.aggregate(db, "customers", [match] + stages + [room]):
            if len(clusters) >= limit:
                break
            members = sorted(({"id": c["id"], "legal_name": c.get("legal_name"), "site_id": c.get("site_id"),
                               "tax_id": c.get("tax_id")} for c in group["customers"]),
                             key=lambda c: (c["legal_name"] or "", c["id"]))
            identity = frozenset(c["id"] for c in members)
            if identity in seen:
                continue
            seen.add(identity)
            clusters.append({"key": group["_id"], "reason": reason, "customers": members})
    return {"clusters": clusters}
