"""The UI labels the codes of the API's enumerations from the catalogues (``GET /catalogues/<name>``,
ui/src/catalogues.js), never from its own locale files (ui/src/locales/<locale>/*.js); and every
text key the UI's sources name is in both of its locales.

The locale files are ES modules exporting one object literal of strings (``'a' + 'b'`` allowed);
they are read here as such, so anything else written in them fails this test first."""
import ast
import pathlib
import re

import pytest

from gateway import catalogues

UI = pathlib.Path(__file__).resolve().parents[1] / "ui" / "src"
LOCALES = ("zh-CN", "en")
# Objects keyed by an enumeration's codes that hold no labels but what a code means, shown beside
# the catalogue's label: path -> the catalogue whose codes they describe.
DESCRIPTIONS = {"notifications.kind_hints": "notification_kinds", "upkeep.duplicates.strength": "duplicate_reasons"}

_TOKEN = re.compile(r"""\s*(?:(?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|(?P<name>[A-Za-z_$][\w$]*)"""
                    r"""|(?P<punct>[{}:,+]))""")


def tokens(source):
    position = 0
    while source[position:].strip():
        found = _TOKEN.match(source, position)
        assert found, "unexpected text at %r" % source[position:position + 40]
        position = found.end()
        kind = found.lastgroup
        yield kind, ast.literal_eval(found.group(kind)) if kind == "string" else found.group(kind)


def read_module(path):
    """The object an ``export default {...}`` locale module exports."""
    stream = list(tokens(path.read_text(encoding="utf-8")))
    assert stream[:2] == [("name", "export"), ("name", "default")], path
    value, end = _value(stream, 2)
    assert end == len(stream), path
    return value


def _value(stream, index):
    if stream[index] == ("punct", "{"):
        found, index = {}, index + 1
        while stream[index] != ("punct", "}"):
            kind, key = stream[index]
            assert kind in ("name", "string") and stream[index + 1] == ("punct", ":"), stream[index:index + 3]
            found[key], index = _value(stream, index + 2)
            if stream[index] == ("punct", ","):
                index += 1
        return found, index + 1
    kind, text = stream[index]
    assert kind == "string", stream[index:index + 3]
    index += 1
    while index < len(stream) and stream[index] == ("punct", "+"):
        assert stream[index + 1][0] == "string", stream[index:index + 3]
        text, index = text + stream[index + 1][1], index + 2
    return text, index


@pytest.fixture(scope="module")
def locales():
    messages = {}
    for locale in LOCALES:
        merged = messages.setdefault(locale, {})
        for path in sorted((UI / "locales" / locale).glob("*.js")):
            module = read_module(path)
            assert not set(module) & set(merged), path
            merged.update(module)
    return messages


def objects(tree, path=""):
    """Every object in a locale's tree with its dotted path."""
    yield path, tree
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from objects(value, "%s.%s" % (path, key) if path else key)


def test_the_locale_files_read_as_modules_of_texts(locales):
    assert {"common", "customers", "feedback", "admin"} <= set(locales["en"])
    assert locales["zh-CN"]["common"]["save"] == "保存" and locales["en"]["common"]["save"] == "Save"


def labelled_again(tree, codes):
    """Whether an object of texts holds labels of ``codes``: it is keyed by two or more of them and
    nothing else, or holds every one of three or more (beside texts of its own). A code may be
    spelt with ``_`` for ``:`` (a permission)."""
    for spelt in (set(codes), {code.replace(":", "_") for code in codes}):
        if len(tree) >= 2 and set(tree) <= spelt or len(spelt) >= 3 and spelt <= set(tree):
            return True
    return False


@pytest.mark.parametrize("locale", LOCALES)
def test_no_enumeration_the_catalogues_serve_is_labelled_by_the_ui(locales, locale):
    """Such an object is an enumeration's labels written again: the UI takes them from the catalogue."""
    found = [(path, name) for path, tree in objects(locales[locale])
             for name, codes in catalogues.ENUMERATIONS.items()
             if labelled_again(tree, codes) and DESCRIPTIONS.get(path) != name]
    assert found == []
    for path, name in DESCRIPTIONS.items():
        described = locales[locale]
        for part in path.split("."):
            described = described[part]
        assert set(described) == set(catalogues.ENUMERATIONS[name]), path


# t('a.b'), te('a.b'), t('a.b.' + code), t(`a.b.${code}`), t(cond ? 'a.b' : 'a.c'): the text of the
# first argument (up to a comma or a parenthesis).
_CALL = re.compile(r"(?<![\w$])(?:te?|i18n\.global\.t)\(([^,()]*)")
_LITERAL = re.compile(r"""'([^'\\]*)'|"([^"\\]*)"|`([^`$\\]*)(\$\{)?""")


def named_keys():
    """``(file, key, prefix)`` of each text key the UI's sources name; ``prefix``: the key ends
    where a code is appended."""
    for path in sorted(UI.rglob("*")):
        if path.suffix not in (".vue", ".js") or "locales" in path.parts:
            continue
        for argument in _CALL.findall(path.read_text(encoding="utf-8")):
            for literal in _LITERAL.finditer(argument):
                key = literal.group(1) or literal.group(2) or literal.group(3) or ""
                after = argument[literal.end():].lstrip()
                prefix = key.endswith(".") or bool(literal.group(4)) or after.startswith("+")
                if re.fullmatch(r"[a-z0-9_]+(\.[a-zA-Z0-9_-]+)*\.?", key) and "." in key:
                    yield path.relative_to(UI).as_posix(), key.rstrip("."), prefix


def test_every_text_key_the_ui_names_is_in_both_locales(locales):
    keys = list(named_keys())
    assert len(keys) > 500 and ("views/customers/CustomerListPage.vue", "customers.title", False) in keys
    missing = []
    for source, key, prefix in keys:
        for locale in LOCALES:
            found = locales[locale]
            for part in key.split("."):
                found = found.get(part) if isinstance(found, dict) else None
            if not (isinstance(found, dict) if prefix else isinstance(found, str)):
                missing.append((source, key, locale))
    assert missing == []
