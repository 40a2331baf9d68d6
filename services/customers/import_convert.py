"""One row of an import file as the data of its entity: each mapped cell read by its field's kind
(dates, amounts, lists, enumerations as other systems write them), a value map applied first.

``convert`` answers ``(data, references, problems, remarks)``: ``data`` in the shape the entity's
API schema loads (addresses assembled, dates as ISO text, a country as its ISO code),
``references`` what must be looked up before the row is stored (the customer a part belongs to,
an owner or assignee by name, a parent account, a tier level), ``problems`` as ``[(field,
message)]`` (the row is refused), and ``remarks`` likewise for values left out of a row that is
kept: a choice another system offers and this one has not (Zoho's account types and ratings), which
a value map can place.
"""
import unicodedata

from babel import Locale

from services.customers import company_sizes, contract, import_fields, import_values, tabular

ADDRESS_PARTS = {"street": "street", "city": "city", "province": "province", "postal_code": "postal_code"}
SHIPPING_PARTS = {"shipping_" + part: part for part in ADDRESS_PARTS}
DISTRICTS = {"billing": "district", "shipping": "shipping_district"}  # written before the street
REFERENCE_KINDS = ("user", "customer", "level")
EXTRA_CELLS = "The row has more values than the file has columns."
NOT_A_CHOICE = "Not one of the values this field takes; left out (a value map can place it)."
NOT_A_COUNTRY = "Not a country: give its name or its ISO code (CN)."


def _country_names():
    """Country names in English and Chinese (Babel's CLDR data), and the codes themselves, to codes."""
    names = {}
    for language in ("en", "zh"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[_folded(name)] = code
                names[code.casefold()] = code
    names.update({"prc": "CN", "peoplesrepublicofchina": "CN", "中华人民共和国": "CN", "usa": "US", "uk": "GB"})
    return names


def _folded(text):
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _kinds(entity):
    return {field.name: field for field in import_fields.FIELDS[entity]}


KINDS = {entity: _kinds(entity) for entity in import_fields.ENTITIES}


COUNTRIES = _country_names()


def country_code(text):
    code = COUNTRIES.get(_folded(str(text)).replace(".", ""))
    if code is None:
        raise ValueError(NOT_A_COUNTRY)
    return code


class Remark(ValueError):
    """A value left out of a row that is kept."""


def _read(field, value):
    """A cell's value by its field's kind; ValueError with the reason when it does not read (Remark
    when the row is kept without it)."""
    kind = field.kind
    if field.name == "country":
        return country_code(tabular.clean(value))
    if field.name == "website":
        text = tabular.clean(value)
        return text if "://" in text else "http://" + text  # exports write "www.example.com"
    if field.name == "company_size":
        return company_sizes.code_of(tabular.clean(value)) or tabular.clean(value)
    if kind == "date":
        return import_values.parse_date(value).isoformat()
    if kind == "datetime":
        return import_values.parse_datetime(value).isoformat()
    if kind == "amount":
        return import_values.parse_amount(value)
    if kind == "number":
        return import_values.parse_number(value)
    if kind == "int":
        return import_values.parse_int(value)
    if kind == "bool":
        return import_values.parse_bool(value)
    text = tabular.clean(value)
    if kind == "list":
        return import_values.split_multi(text)
    if kind == "enum":
        code = import_values.enum_value(field.enumeration, text)
        if code is None:
            raise Remark(NOT_A_CHOICE)
        return code
    if kind == "level":
        level = import_values.level_of(text)
        if level is None:
            raise Remark(NOT_A_CHOICE)
        return level
    return text


def cells_of(columns, cells):
    """``{field: raw cell}`` of the mapped, non-empty cells; None when the row is longer than the header
    by a non-empty cell."""
    if any(tabular.clean(cell) is not None for cell in cells[len(columns):]):
        return None
    return {field: cells[index] for index, field in enumerate(columns)
            if field is not None and index < len(cells) and tabular.clean(cells[index]) is not None}


def convert(entity, columns, cells, value_map=None):
    """``value_map``: the job's, folded (``import_values.folded_value_map``)."""
    kinds = KINDS[entity]
    found = cells_of(columns, cells)
    if found is None:
        return None, {}, [("_row", EXTRA_CELLS)], []
    data, references, problems, remarks = {}, {}, [], []
    for name, raw in found.items():
        field = kinds[name]
        value = import_values.apply_value_map(value_map, name, raw)
        if field.kind == "level" and value in contract.TIERS:
            read = value
        else:
            try:
                read = _read(field, value)
            except Remark as exc:
                remarks.append((name, str(exc)))
                continue
            except ValueError as exc:
                problems.append((name, str(exc)))
                continue
        if read is None or read == [] or read == "":
            continue
        if field.kind in REFERENCE_KINDS:
            references[name] = read
        else:
            data[name] = read
    if entity == "customers":
        _addresses(data)
    return data, references, problems, remarks


def _addresses(data):
    """The billing and shipping columns as typed addresses; a district column goes before the street,
    where the address's region is read from."""
    addresses = []
    for kind, parts in (("billing", ADDRESS_PARTS), ("shipping", SHIPPING_PARTS)):
        address = {part: data.pop(name) for name, part in parts.items() if name in data}
        district = data.pop(DISTRICTS[kind], None)
        if district and district not in address.get("street", ""):
            address["street"] = district + address.get("street", "")
        if address:
            addresses.append(dict(address, type=kind))
    if addresses:
        data["addresses"] = addresses
