"""OpenAPI links in the API's document: how the id a response returns addresses other operations.

A record created at a collection (``POST /customers`` answering ``{"id": ...}``), or the first
item of its list (``GET /customers``), is the path parameter of every operation under
``/customers/{customer_id}``; a record read (``GET /customers/{customer_id}``) leads to the
operations on its parts (``/customers/{customer_id}/contacts``). The parameters the two paths share
are passed along. Clients and stateful testing (schemathesis) follow these links from one call to
the next.
"""
import re

PARAMETER = re.compile(r"^\{(\w+)\}$")
# Collections whose records are addressed under another path.
ADDRESSED_AT = {
    "/api/v1/customers/import": ("/api/v1/imports",),
    "/api/v1/sites": ("/api/v1/customers/settings", "/api/v1/feedback/settings"),
    "/api/v1/webhooks/{webhook_id}/deliveries": ("/api/v1/deliveries",),
}
# (method, status, where the new record's id is in the answer, the property that answer must have)
PRODUCERS = (("post", "201", "$response.body#/id", "id"), ("post", "202", "$response.body#/id", "id"),
             ("get", "200", "$response.body#/items/0/id", "items"))
METHODS = ("get", "put", "patch", "post", "delete")


def response_properties(spec, response):
    schema = (response.get("content", {}).get("application/json") or {}).get("schema") or {}
    if "$ref" in schema:
        schema = spec.get("components", {}).get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema.get("properties", {})


def consumers(paths, collection):
    """(path, method, new parameter) of the operations addressing one record of ``collection``."""
    for base in ADDRESSED_AT.get(collection, (collection,)):
        for path, operations in paths.items():
            rest = path[len(base) + 1:].split("/") if path.startswith(base + "/") else None
            if not rest or not PARAMETER.match(rest[0]) or any(PARAMETER.match(part) for part in rest[1:]):
                continue
            for method in METHODS:
                if method in operations:
                    yield path, method, PARAMETER.match(rest[0]).group(1)


def parts_of(paths, record):
    """(path, method) of the operations under one record's path that need no further parameter."""
    for path, operations in paths.items():
        rest = path[len(record) + 1:].split("/") if path.startswith(record + "/") else None
        if rest and not any(PARAMETER.match(part) for part in rest):
            for method in METHODS:
                if method in operations:
                    yield path, method


def link(collection, path, method, parameter, id_expression):
    shared = re.findall(r"\{(\w+)\}", collection)
    parameters = {name: "$request.path.%s" % name for name in shared if "{%s}" % name in path}
    parameters[parameter] = id_expression
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": "#/paths/%s/%s" % (pointer, method), "parameters": parameters}


def link_name(path, method):
    return ".".join([method] + [part.strip("{}") for part in path.split("/")[3:]])


def add_links(spec):
    """Add the links to ``spec`` (the document's dict, changed in place)."""
    paths = spec["paths"]
    for collection, operations in paths.items():
        for method, status, id_expression, needed in PRODUCERS:
            response = operations.get(method, {}).get("responses", {}).get(status)
            if not response:
                continue
            properties = response_properties(spec, response)
            if needed not in properties:
                continue
            found = {link_name(path, target): link(collection, path, target, parameter, id_expression)
                     for path, target, parameter in consumers(paths, collection)}
            if found:
                response.setdefault("links", {}).update(found)
        add_part_links(spec, collection, operations)


def add_part_links(spec, record, operations):
    """Links from a record read (``GET /x/{x_id}`` answering its ``id``) to the operations on its parts."""
    parent, last = record.rsplit("/", 1)
    response = operations.get("get", {}).get("responses", {}).get("200")
    if not PARAMETER.match(last) or not response or "id" not in response_properties(spec, response):
        return
    parameter = PARAMETER.match(last).group(1)
    found = {link_name(path, method): link(parent, path, method, parameter, "$response.body#/id")
             for path, method in parts_of(spec["paths"], record)}
    if found:
        response.setdefault("links", {}).update(found)
