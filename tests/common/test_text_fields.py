"""One string field type: every text a service or the gateway accepts refuses control characters
(a field that takes only listed values needs no check of its own)."""
import importlib
import inspect
import pkgutil

import pytest
from marshmallow import Schema, fields, validate

from gateway.schemas.common import StrictSchema
from services.common.errors import ValidationFailed
from services.common.schemas import Email, String, Url, load, text_problem

PACKAGES = ("services", "gateway")
# Entry modules that start the process they are for when imported (the gateway's app and its
# revocation watcher); they declare no schema.
ENTRY_MODULES = ("gateway.wsgi",)
INPUT = {"gateway": StrictSchema}  # the gateway's output schemas only describe answers
GATEWAY_CURSOR = "gateway.schemas.common.Cursor"  # opaque and checked on a shape of its own


def _strings(field, path):
    if isinstance(field, fields.List):
        yield from _strings(field.inner, path + "[]")
    elif isinstance(field, fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from _strings(part, path + "{}")
    elif isinstance(field, fields.String):
        yield path, field


def listed(field):
    """Whether ``field`` accepts only values from a list (which hold no control character)."""
    return any(isinstance(check, validate.OneOf) for check in field.validators)


def _modules():
    """Every module of the services and the gateway: a schema may live beside its rules."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for found in pkgutil.walk_packages(root.__path__, package + "."):
            if found.name not in ENTRY_MODULES:
                yield found.name


def _input_strings():
    for name in _modules():
        module = importlib.import_module(name)
        for _, schema in inspect.getmembers(module, inspect.isclass):
            if issubclass(schema, INPUT.get(name.split(".")[0], Schema)) and schema.__module__ == name:
                for field_name, field in schema().fields.items():
                    if not field.dump_only:
                        yield from _strings(field, "%s.%s.%s" % (name, schema.__name__, field_name))


def test_every_text_field_of_every_schema_is_the_common_one():
    found = list(_input_strings())
    assert len(found) > 150
    others = [path for path, field in found if not isinstance(field, String) and not listed(field)
              and "%s.%s" % (type(field).__module__, type(field).__name__) != GATEWAY_CURSOR]
    assert others == [], others


@pytest.mark.parametrize("value, single, multi", [
    ("plain text 中文 ✓", None, None),
    ("two\nlines\tand\r\ntabs", "line breaks", None),
    ("nul\x00", "control", "control"),
    ("escape\x1b[0m", "control", "control"),
    ("c1\x85", "control", "control"),
    ("del\x7f", "control", "control"),
    ("surrogate\ud800", "control", "control"),
    ("nonchar\uffff", "control", "control"),
])
def test_what_counts_as_a_control_character(value, single, multi):
    for multiline, expected in ((False, single), (True, multi)):
        problem = text_problem(value, multiline)
        assert (problem is None) if expected is None else (expected in problem)


def test_loading_names_the_field():
    class Sample(Schema):
        name = String()
        notes = String(multiline=True)
        site = Url()
        mail = Email()

    assert load(Sample(), {"name": "Acme", "notes": "a\nb", "site": "https://a.example/x", "mail": "a@b.cn"})
    for body, field in (({"name": "A\nB"}, "name"), ({"notes": "a\x07"}, "notes"),
                        ({"site": "https://a.example/\x00"}, "site"), ({"mail": "a\x00@b.cn"}, "mail")):
        with pytest.raises(ValidationFailed) as refused:
            load(Sample(), body)
        assert list(refused.value.fields) == [field]


def test_survey_text_answers_keep_line_breaks_but_no_control_characters():
    from services.feedback import answers

    questions = [{"id": "q1", "kind": "text", "text": "Anything else?"}]
    assert answers.validate(questions, {"q1": "fine\nthanks"}) == {"q1": "fine\nthanks"}
    with pytest.raises(ValidationFailed) as refused:
        answers.validate(questions, {"q1": "bad\x1b[2J"})
    assert "control characters" in refused.value.fields["q1"][0]
