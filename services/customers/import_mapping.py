"""Which field each column of an import file fills: the caller's mapping (``{header: field or
None}``) where it names the header, else the suggestion from the header and the column's values.

A column mapped to None, or that nothing places, is skipped and listed on the job; a column an
export of this archive writes but an import never reads (ids, computed fields) is skipped silently.
"""
from services.common.errors import ValidationFailed
from services.customers import import_fields, tabular

MAX_HEADER_CHARS = tabular.MAX_HEADER_CHARS


def field_list(entity):
    """The fields a column of ``entity`` may fill: ``[{name, kind, required, labels: {en, zh-CN}}]``."""
    labels = import_fields.labels_of(entity)
    return [{"name": field.name, "kind": field.kind, "required": field.required, "labels": labels[field.name]}
            for field in import_fields.FIELDS[entity]]


def columns_of(entity, headers, samples, mapping=None):
    """``(columns, skipped, suggestions)``: the field of each column (None: not read), the headers
    skipped, and what was suggested for each column as ``(field, by)``."""
    mapping = mapping or {}
    suggestions = import_fields.suggest(entity, headers, samples)
    columns, skipped, taken = [], [], {}
    for header, (suggested, _) in zip(headers, suggestions):
        if not header:
            columns.append(None)
            continue
        field = mapping[header] if header in mapping else suggested
        if field is not None and field in taken:
            field = None if header not in mapping else field
        if field is None:
            if header in mapping or not import_fields.read_only(entity, header):
                skipped.append(header[:MAX_HEADER_CHARS])
        else:
            taken.setdefault(field, header)
        columns.append(field)
    return columns, skipped, suggestions


def problems(entity, columns, headers):
    """Why the columns cannot make records of ``entity`` (the first reason first): a field twice, a
    required one missing, no column naming a part's customer."""
    seen, found = {}, []
    for field, header in zip(columns, headers):
        if field is None:
            continue
        if field in seen:
            found.append("Columns %r and %r both hold %s." % (seen[field], header, field))
        seen.setdefault(field, header)
    missing = [f.name for f in import_fields.FIELDS[entity] if f.required and f.name not in seen]
    if missing:
        found.append("The file has no column for %s." % ", ".join(missing))
    if entity != "customers" and not set(import_fields.LINK_FIELDS) & set(seen):
        found.append("The file has no column naming the customer (its name, code or tax id).")
    return found


def check(entity, mapping, value_map=None):
    """422 on ``mapping`` or ``value_map`` when they name a field ``entity`` has not."""
    names = {field.name for field in import_fields.FIELDS[entity]}
    problems = {}
    unknown = sorted({field for field in (mapping or {}).values() if field is not None and field not in names})
    if unknown:
        problems["mapping"] = ["Not a field of %s: %s." % (entity, ", ".join(unknown))]
    unknown = sorted(set(value_map or {}) - names)
    if unknown:
        problems["value_map"] = ["Not a field of %s: %s." % (entity, ", ".join(unknown))]
    if problems:
        raise ValidationFailed(fields=problems)
