"""Messages from Jinja2 templates, in the recipient's language (zh-CN or en).

``templates/<language>/<kind>.txt`` defines two blocks, ``subject`` and ``body``; both are plain
text (mail bodies and inbox items), so nothing is HTML-escaped. A missing value renders empty.
"""
import datetime
import os

import jinja2

from services.common import config, messages
from services.common.schemas import LANGUAGES

DEFAULT_LANGUAGE = "zh-CN"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
    autoescape=False, undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True,
)


def moment(value):
    """An ISO timestamp as people read it, ``2026-03-01 08:00 UTC``; anything else as it is."""
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc)
    return parsed.strftime("%Y-%m-%d %H:%M UTC")


_env.filters["moment"] = moment


@jinja2.pass_context
def service_text(context, value):
    """A reason a service gave (its English text), in the message's language."""
    return messages.localize(str(value), context.get("language"), "reasons")["message"]


_env.filters["service_text"] = service_text


@jinja2.pass_context
def label(context, code, catalogue):
    """The label of an enumeration's code (``catalogue``: e.g. ``tiers``) in the message's language."""
    return messages.text("labels", "%s.%s" % (catalogue, code), context.get("language")) if code else code


_env.filters["label"] = label


def language_of(value):
    """``zh-CN`` or ``en`` for a user's language setting (``en-GB`` is ``en``); the default otherwise."""
    value = (value or "").strip().lower()
    if value.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def render(kind, language, **context):
    """-> (subject, body) of the ``kind`` template in ``language``."""
    template = _env.get_template("%s/%s.txt" % (language_of(language), kind))
    values = template.new_context(dict(context, public_url=config.get("CRM_PUBLIC_URL").rstrip("/"),
                                       language=language_of(language)))
    subject = " ".join("".join(template.blocks["subject"](values)).split())
    body = "".join(template.blocks["body"](values)).strip() + "\n"
    return subject, body


def kinds():
    """The kinds that have a template in every language."""
    root = os.path.join(os.path.dirname(__file__), "templates")
    per_language = [{name[:-4] for name in os.listdir(os.path.join(root, lang)) if name.endswith(".txt")}
                    for lang in LANGUAGES]
    return set.intersection(*per_language)
