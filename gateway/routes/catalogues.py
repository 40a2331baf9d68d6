"""Catalogues: the codes of every enumeration and national classification, with zh-CN and en labels."""
from gateway import catalogues
from gateway.blueprint import ApiBlueprint
from gateway.schemas import catalogues as s
from services.common.errors import NotFound

blp = ApiBlueprint("catalogues", __name__, description="Codes and their labels")


@blp.route("/catalogues")
@blp.operation(200, s.CatalogueNamesSchema)
def list_catalogues():
    """The names of the catalogues."""
    return {"names": catalogues.names()}


@blp.route("/catalogues/<name>")
@blp.operation(200, s.CatalogueSchema, 404, query=s.CatalogueQuerySchema)
def get_catalogue(args, name):
    """One catalogue: each code with its zh-CN and en labels (and, in a hierarchy, its parent's code);
    with ``parent``, one level of a hierarchy (a cascader loads ``regions`` level by level)."""
    found = catalogues.entries(name, args.get("parent"))
    if found is None:
        raise NotFound("No such catalogue.")
    return {"name": name, "entries": found}
