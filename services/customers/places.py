"""Where an address is: its region codes and their names (plain rules: no database).

The codes given are completed with the levels above them; an address given none gets them from its
text (province, city and street read together) where that names a region for certain. Text that
names none is kept as written and the address marked ``region_unparsed``.
"""
import itertools

from services.common import regions

LEVELS = (("province_code", "province_name"), ("city_code", "city_name"), ("district_code", "district_name"))
CODE_FIELDS = tuple(code for code, _ in LEVELS)
REGION_FIELDS = tuple(field for level in LEVELS for field in level) + ("region_unparsed",)
TEXT_FIELDS = ("province", "city", "street")
# How an address's country says China (the default, CN, included); text of other countries is not read.
CHINA = ("", "cn", "chn", "china", "中国")


def placed(address):
    """``address`` with its codes, their names and ``region_unparsed`` set."""
    address = dict(address)
    given = next((address[code] for code in reversed(CODE_FIELDS) if address.get(code)), None)
    text = "".join(address[field] for field in TEXT_FIELDS if address.get(field))
    readable = (address.get("country") or "").strip().lower() in CHINA
    path = regions.chain(given) if given else regions.place(text) if text and readable else ()
    for (code, name), region in itertools.zip_longest(LEVELS, path):
        address[code] = region.code if region else None
        address[name] = region.name if region else None
    address["region_unparsed"] = bool(text) and readable and not path
    return address


def unplaced(addresses):
    """Whether any of ``addresses`` was not placed."""
    return any(address.get("region_unparsed") for address in addresses or ())


def never_placed(addresses):
    """Whether any of ``addresses`` was stored before addresses were placed."""
    return any("region_unparsed" not in address for address in addresses or ())


def with_text(address, changes):
    """``address`` changed by ``changes``; new text replaces the region the old text was placed in."""
    if any(field in changes for field in TEXT_FIELDS) and not any(changes.get(code) for code in CODE_FIELDS):
        address = {key: value for key, value in address.items() if key not in REGION_FIELDS}
    return placed(dict(address, **changes))
