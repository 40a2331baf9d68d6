"""docs/import.md keeps up with the import: it names every entity and every field of
``import_fields.FIELDS``, every header of ``data/import_synonyms.json`` on its field's rows, and
every word ``import_values`` reads as an enumeration's code or a tier."""
import pathlib
import re

import pytest

from services.customers import import_fields, import_values

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "import.md"
HEADING = re.compile(r"^### .*\(`(?P<entity>[a-z_]+)`\)\s*$", re.MULTILINE)


def code(text):
    """``text`` as the document writes it: a code span, a table's ``|`` escaped."""
    return "`%s`" % str(text).replace("|", "\\|")


@pytest.fixture(scope="module")
def doc():
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(doc):
    """``{entity: its section's text}``: from its heading ``### … (`entity`)`` to the next heading."""
    found = {}
    for match in HEADING.finditer(doc):
        end = re.compile(r"^#{2,3} ", re.MULTILINE).search(doc, match.end())
        found[match.group("entity")] = doc[match.end():end.start() if end else len(doc)]
    return found


def field_rows(section, field):
    """The table rows of a section that start with ``field``: its row of the field table and of the headers."""
    prefix = "| %s |" % code(field)
    return "\n".join(line for line in section.splitlines() if line.startswith(prefix))


def test_every_entity_has_a_section(sections):
    assert set(import_fields.ENTITIES) <= set(sections)


@pytest.mark.parametrize("entity", import_fields.ENTITIES)
def test_every_field_is_described_in_its_entitys_section(sections, entity):
    missing = [field.name for field in import_fields.FIELDS[entity]
               if len(field_rows(sections.get(entity, ""), field.name).splitlines()) < 2]
    assert not missing, "docs/import.md lacks a row of the field table or of the headers for %s: %s" % (
        entity, ", ".join(missing))


@pytest.mark.parametrize("entity", import_fields.ENTITIES)
def test_every_synonym_is_listed_on_its_fields_rows(sections, entity):
    section = sections.get(entity, "")
    missing = ["%s: %s" % (field, label)
               for field, labels in import_fields.SYNONYMS.get(entity, {}).items()
               for label in labels if code(label) not in field_rows(section, field)]
    assert not missing, "docs/import.md lacks headers of %s: %s" % (entity, "; ".join(missing))


def test_every_enumeration_word_is_listed(doc):
    missing = [word for name, (codes, _) in import_values.ENUMERATIONS.items()
               for word in tuple(codes) + tuple(w for words in import_values.VENDOR_VALUES.get(name, {}).values()
                                                for w in words)
               if code(word) not in doc]
    assert not missing, "docs/import.md lacks enumeration words: %s" % ", ".join(missing)


def test_every_level_word_is_listed(doc):
    missing = [word for word in import_values.LEVELS if code(word) not in doc]
    assert not missing, "docs/import.md lacks level words: %s" % ", ".join(missing)
