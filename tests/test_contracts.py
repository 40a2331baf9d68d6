"""Each service's public face is its contract module: the gateway and the other services import a
service only through it, nothing imports through ``importlib``, every enumeration the gateway
checks input against is the owning service's own, and every schema of the gateway is made from a
contract's but the few of HTTP alone."""
import ast
import importlib
import inspect
import pathlib
import pkgutil

import pytest
from marshmallow import Schema, fields, validate

import gateway.schemas
from deploy.processes import SERVICES

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONTRACTS = {name: importlib.import_module("services.%s.contract" % name) for name in SERVICES}


def python_files(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path, root=ROOT):
    """Every module ``path`` imports, as dotted names (``from a import b`` gives ``a.b``; a relative
    import is read from the package of ``path``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = list(path.relative_to(root).parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or node.level):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield from ("%s.%s" % (module, alias.name) for alias in node.names)


def owner(path, root=ROOT):
    """The service a file belongs to, or None (the gateway, the shared kit)."""
    parts = path.relative_to(root).parts
    return parts[1] if parts[0] == "services" and parts[1] in SERVICES else None


def breaches(paths, root=ROOT):
    """Each import in ``paths`` of another service's module other than its contract."""
    found = []
    for path in paths:
        for module in imported_modules(path, root):
            parts = module.split(".")
            if parts[0] != "services" or len(parts) < 2 or parts[1] not in SERVICES or parts[1] == owner(path, root):
                continue
            if parts[2:3] != ["contract"]:
                found.append("%s imports %s" % (path.relative_to(root).as_posix(), module))
    return found


def test_other_services_and_the_gateway_import_a_service_only_through_its_contract():
    assert breaches(python_files("gateway", "services")) == []


def test_nothing_imports_through_importlib():
    found = []
    for path in python_files("gateway", "services"):
        text = path.read_text(encoding="utf-8")
        if "importlib" in text or "__import__" in text:
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_rule_sees_a_breach(tmp_path):
    """The checks above read real import statements: a hidden import would be caught."""
    sample = tmp_path / "services" / "notifications" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from services.customers import store\nimport services.feedback.items\n"
                      "from ..accounts import users\nfrom services import customers\n"
                      "from services.accounts import contract\nfrom services.notifications import inbox\n",
                      encoding="utf-8")
    assert owner(sample, root=tmp_path) == "notifications"
    assert breaches([sample], root=tmp_path) == [
        "services/notifications/sample.py imports %s" % module for module in (
            "services.customers.store", "services.feedback.items", "services.accounts.users", "services.customers")]


def contract_enumerations():
    """Every tuple a contract module holds (its own enumerations and those it takes from the kit)."""
    return [value for contract in CONTRACTS.values() for value in vars(contract).values()
            if isinstance(value, tuple) and value and all(isinstance(item, str) for item in value)]


def gateway_schemas():
    for info in pkgutil.iter_modules(gateway.schemas.__path__):
        module = importlib.import_module("gateway.schemas.%s" % info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Schema):
                yield value


def choices(field):
    """The OneOf validators of ``field`` and of the fields inside it (a list's items, a dict's keys)."""
    validators = field.validators
    for validator in validators:
        if isinstance(validator, validate.OneOf):
            yield validator
    inner = getattr(field, "inner", None) or getattr(field, "key_field", None)
    if isinstance(inner, fields.Field):
        yield from choices(inner)


def test_every_enumeration_the_gateway_checks_is_the_services_own():
    own = contract_enumerations()
    checked, foreign = 0, []
    for schema in gateway_schemas():
        for name, field in schema._declared_fields.items():
            for validator in choices(field):
                checked += 1
                if not any(validator.choices is enumeration for enumeration in own):
                    foreign.append("%s.%s: %s" % (schema.__name__, name, validator.choices))
    assert checked > 20, "the walk found too few enumerations to mean anything"
    assert foreign == []


# The gateway's own schemas: what it reads itself before calling a service with plain arguments (a
# query string's options, an upload form, a sign-in, a typed confirmation), and answers it makes (a
# page, an error body, a catalogue, a reset request's acceptance).
HTTP_ONLY = {
    "PageQuerySchema", "CreateCustomerQuerySchema", "DeleteCustomerQuerySchema", "DeleteSiteQuerySchema",
    "DeleteUserQuerySchema", "DuplicatesQuerySchema", "ImportFieldsQuerySchema", "ImportMappingQuerySchema",
    "ImportTemplateQuerySchema", "ImportUploadSchema", "ImportPreviewUploadSchema", "ImportRunSchema",
    "SurveyAnswerSchema", "LoginSchema", "RefreshTokenSchema", "PasswordChangeSchema", "PasswordResetRequestSchema",
    "PasswordResetConfirmSchema",
    "PageSchema", "ErrorSchema", "MessagesSchema", "DuplicateErrorSchema", "DuplicateErrorDetailSchema",
    "CandidateSchema", "AcceptedSchema", "CatalogueNamesSchema", "CatalogueQuerySchema", "CatalogueSchema",
    "EntrySchema", "LabelsSchema",
}


def made_from_a_contract(schema):
    """Whether ``schema`` is a contract's HTTP form (``http_input``, ``http_output``) or extends a
    contract schema or such a form."""
    own = [value for contract in CONTRACTS.values() for value in vars(contract).values()
           if inspect.isclass(value) and value.__module__ == contract.__name__]
    return getattr(schema, "CONTRACT", None) in own or any(base in own for base in schema.__mro__)


def test_every_gateway_schema_is_made_from_a_contract_but_those_of_http_alone():
    """A field of an answer or a request is added once, in the contract, and the gateway follows. A
    schema declaring no field (strictness, a page's wrapping, texts in the caller's language) is
    behaviour, not a shape."""
    shapes = {schema for schema in gateway_schemas() if schema._declared_fields}
    own = sorted(schema.__name__ for schema in shapes if not made_from_a_contract(schema))
    assert set(own) - HTTP_ONLY == set(), "declare these in the owning service's contract.py"
    assert HTTP_ONLY - set(own) == set(), "no longer the gateway's own: take them off HTTP_ONLY"
    assert len(shapes) - len(own) > 80, "the walk found too few contract forms to mean anything"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_contract_declares_its_catalogue(service):
    catalogue = CONTRACTS[service].CATALOGUE
    assert catalogue.types and all(event_type.startswith(service + ".") for event_type in catalogue.types)
