"""URL converters of the API's routes."""
from werkzeug.routing import BaseConverter

# Fixed path segments that sit where a record id could be (/users/directory, /customers/export):
# an id never takes one of these, so such a path matches one rule only and its Allow header lists
# that rule's methods alone.
NAMED_SEGMENTS = ("directory", "review-due", "import", "export", "duplicates")


class IdConverter(BaseConverter):
    """A record id: one path segment, never one of NAMED_SEGMENTS."""

    regex = "(?!(?:%s)(?:/|$))[^/]+" % "|".join(NAMED_SEGMENTS)


def init_app(app):
    app.url_map.converters["id"] = IdConverter
