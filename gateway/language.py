"""The language of a request's answer: the signed-in user's language setting (the token's ``lang``
claim), else the ``Accept-Language`` header, else English."""
from flask import g, has_request_context, request
from marshmallow import Schema, fields, post_dump

from services.common import messages


def request_language():
    caller = g.get("caller")
    if caller is not None and caller.language:
        return messages.language_of(caller.language)
    return messages.negotiate(request.headers.get("Accept-Language"))


def localized_fields(fields, language, domain="messages"):
    """``(texts, details)`` of a per-field message structure (``{field: [message]}``, nested as
    the input was): the same shape with each message in ``language``, and with ``{code, params}``."""
    if isinstance(fields, dict):
        pairs = {name: localized_fields(value, language, domain) for name, value in fields.items()}
        return {name: pair[0] for name, pair in pairs.items()}, {name: pair[1] for name, pair in pairs.items()}
    if isinstance(fields, (list, tuple)):
        pairs = [localized_fields(value, language, domain) for value in fields]
        return [pair[0] for pair in pairs], [pair[1] for pair in pairs]
    if isinstance(fields, str):
        said = messages.localize(fields, language, domain)
        return said["message"], {"code": said["code"], "params": said["params"]}
    return fields, None


def mark_language(response):
    """``Content-Language`` of every API answer, and ``Vary`` on the header that may choose it."""
    if request.path.startswith("/api/"):
        response.headers["Content-Language"] = request_language()
        response.vary.add("Accept-Language")
    return response


# Keys under which services answer texts they made (tier, churn and follow-up reasons, the tier's
# explanation), and the catalogue of each: answered in the request's language, with
# ``<key>_details`` ({code, params} each).
REASONS = {"reason": "reasons", "reasons": "reasons", "explanation": "reasons"}
_NESTING = (dict, list)  # the values a text may be inside


def localize_texts(value, language, keys=REASONS):
    """``value`` (an answer, or a part of one) with the service texts under ``keys``, at any depth,
    in ``language``. A text no catalogue knows (a reason a user typed) stays as it is."""
    if isinstance(value, list):
        return [localize_texts(item, language, keys) if isinstance(item, _NESTING) else item for item in value]
    if not isinstance(value, dict):
        return value
    answer = {}
    for key, item in value.items():
        if key in keys and isinstance(item, (str, list)) and f"{key}_details" not in value:
            texts, details = localized_fields(item, language, keys[key])
            answer[key], answer[f"{key}_details"] = texts, details
        elif isinstance(item, _NESTING):
            answer[key] = localize_texts(item, language, keys)
        else:
            answer[key] = item
    if isinstance(value.get("explanation"), str) and isinstance(answer.get("reasons"), list):
        # the explanation is the reasons in one line
        answer["explanation"] = messages.text("reasons", "separator", language).join(answer["reasons"])
        answer["explanation_details"] = answer.get("reasons_details")
    return answer


class LocalizedTexts(Schema):
    """A response schema whose service texts (under ``TEXT_KEYS``) are answered in the request's
    language (``localize_texts``)."""

    TEXT_KEYS = REASONS

    @post_dump
    def in_request_language(self, data, **kwargs):
        return localize_texts(data, request_language(), self.TEXT_KEYS) if has_request_context() else data


def localized_reasons():
    """The fields of a service's ``reasons`` as answered (``localize_texts``), for ``http_output``."""
    return {"reasons": fields.List(fields.String(), metadata={"description": "in the request's language"}),
            "reasons_details": fields.List(fields.Dict(), metadata={"description": "each reason's {code, params}"})}


def localized_reason():
    """The fields of a service's ``reason`` as answered (``localize_texts``), for ``http_output``."""
    return {"reason": fields.String(allow_none=True, metadata={"description": "in the request's language"}),
            "reason_details": fields.Dict(allow_none=True, metadata={"description": "the reason's {code, params}"})}


def column_headers(columns):
    """The header row of a download in the request's language (the ``columns`` catalogue; in English
    the field names, which an import reads back)."""
    headers = messages.catalogue("columns", request_language())
    return [headers.get(column, (column, column))[1] for column in columns]


def localized_column(page, column):
    """``page`` (``{columns, rows}``) with the service texts of ``column`` in the request's language."""
    index = page["columns"].index(column)
    language = request_language()
    rows = [row[:index] + [messages.localize(str(row[index] or ""), language)["message"]] + row[index + 1:]
            for row in page["rows"]]
    return dict(page, rows=rows)
