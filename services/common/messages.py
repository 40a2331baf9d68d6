"""The message catalogues: every human-readable text the API produces, in zh-CN and en.

One gettext PO file per domain and language, ``services/common/locale/<ll_CC>/LC_MESSAGES/<domain>.po``,
read with Babel. An entry's ``msgctxt`` is its machine-readable code, its ``msgid`` the English
text, with ``{name}`` placeholders for its parameters, and its ``msgstr`` the text in that
language. Domains: ``messages`` (error and per-field messages), ``reasons`` (the reasons services
give: tiers, churn risk, follow-ups), ``labels`` (the labels of enumerations and catalogues) and
``columns`` (the column headers of downloads).
"""
import functools
import os
import re

from babel.messages.pofile import read_po

from services.common.schemas import LANGUAGES

DEFAULT_LANGUAGE = "en"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")


def language_of(value, default=DEFAULT_LANGUAGE):
    """``zh-CN`` or ``en`` for a language setting or tag (``en-GB`` is ``en``, ``zh``/``zh-Hans`` is
    ``zh-CN``); ``default`` for anything else."""
    value = (value or "").strip().lower().replace("_", "-")
    if value.startswith("en"):
        return "en"
    if value.startswith("zh"):
        return "zh-CN"
    return default


def negotiate(accept_language, default=DEFAULT_LANGUAGE):
    """The language of ours an ``Accept-Language`` header prefers most (by its q-values, then order)."""
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip() and quality > 0:
            preferred.append((quality, tag.strip()))
    for _, tag in sorted(preferred, key=lambda pair: -pair[0]):
        language = language_of(tag, None)
        if language:
            return language
    return default


def _path(domain, language):
    return os.path.join(LOCALE_DIR, language.replace("-", "_"), "LC_MESSAGES", domain + ".po")


@functools.cache
def catalogue(domain, language):
    """``{code: (english, text)}`` of one domain in one language (read once per process)."""
    with open(_path(domain, language), "rb") as source:
        entries = read_po(source, locale=language.replace("-", "_"))
    return {entry.context: (entry.id, entry.string or entry.id) for entry in entries if entry.id and entry.context}


def text(domain, code, language, /, **params):
    """The text of ``code`` in ``language`` with its parameters filled in; the English text where the
    language has none; the code itself where no catalogue knows it. (Positional: a parameter may be
    named ``code``, as in "Not inside {code}.")"""
    english, translated = catalogue(domain, language_of(language)).get(code) or \
        catalogue(domain, DEFAULT_LANGUAGE).get(code, (code, code))
    return translated.format(**params) if params else translated


def labelled(prefix, domain="labels"):
    """``{code without prefix: {language: text}}`` of the entries whose code starts with ``prefix``."""
    found = {}
    for language in LANGUAGES:
        for code, (_, translated) in catalogue(domain, language).items():
            if code.startswith(prefix):
                found.setdefault(code[len(prefix):], {})[language] = translated
    return found


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def _patterns(domain):
    """``({english: code}, [(regex, code)])`` of the English texts: exact ones, and those with
    ``{name}`` placeholders as patterns that read the parameters back out of a filled-in text."""
    exact, patterns = {}, []
    for code, (english, _) in catalogue(domain, DEFAULT_LANGUAGE).items():
        if _PLACEHOLDER.search(english):
            parts = _PLACEHOLDER.split(english)
            regex = "".join(re.escape(part) if index % 2 == 0 else "(?P<%s>.+?)" % part
                            for index, part in enumerate(parts))
            patterns.append((len(_PLACEHOLDER.sub("", english)), re.compile(regex + r"\Z", re.DOTALL), code))
        else:
            exact[english] = code
    # The most specific first: the one with the most fixed text ("Unknown or disabled site: {sites}."
    # before "Unknown {what}: {names}.").
    patterns.sort(key=lambda entry: -entry[0])
    return exact, [(regex, code) for _, regex, code in patterns]


def recognise(english, domain="messages"):
    """``(code, params)`` of an English text the catalogue knows (``params`` read back out of it),
    or ``(None, {})``."""
    exact, patterns = _patterns(domain)
    if english in exact:
        return exact[english], {}
    for regex, code in patterns:
        found = regex.match(english)
        if found:
            return code, found.groupdict()
    return None, {}


def localize(english, language, domain="messages"):
    """``{code, params, message}``: an English text the API produced, in ``language``. A text no
    catalogue knows is answered as it is, with code None."""
    code, params = recognise(english, domain)
    if code is None and "; " in english:  # several known texts in one (an import row's errors)
        parts = [localize(part, language, domain) for part in english.split("; ")]
        if all(part["code"] for part in parts):
            joined = text("reasons", "separator", language).join(part["message"] for part in parts)
            return {"code": None, "params": {}, "message": joined}
    if code is None:
        return {"code": None, "params": {}, "message": english}
    return {"code": code, "params": params, "message": text(domain, code, language, **params)}
