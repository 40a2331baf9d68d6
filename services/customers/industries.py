"""The national industry classification, GB/T 4754-2017 国民经济行业分类: its 20 sections (门类, A–T)
and 97 divisions (大类, 01–97) with their Chinese and English names, read once from
``data/industries_gbt4754_2017.json`` (which states its source).

A customer's ``industry_code`` is a section letter (``C`` 制造业) or a division, written as its
section letter and two digits (``C36`` 汽车制造业). Free text typed before the codes existed maps
onto a code where it names one (``match``): a name of the standard, with or without its trailing
业 / 制造业 (or "Manufacture of"), or a word of ``SYNONYMS``.
"""
import json
import os
import re
import unicodedata

DATA = os.path.join(os.path.dirname(__file__), "data", "industries_gbt4754_2017.json")


def _read():
    with open(DATA, encoding="utf-8") as source:
        return json.load(source)["sections"]


# (code, Chinese name, English name, parent code): each section, then its divisions.
ENTRIES = tuple(entry for section in _read() for entry in (
    [(section["code"], section["zh"], section["en"], None)]
    + [(section["code"] + division["code"], division["zh"], division["en"], section["code"])
       for division in section["divisions"]]))
_BY_CODE = {code: (zh, en, parent) for code, zh, en, parent in ENTRIES}
SECTIONS = tuple(code for code, _, _, parent in ENTRIES if parent is None)
DIVISIONS = tuple(code for code, _, _, parent in ENTRIES if parent is not None)
CODES = SECTIONS + DIVISIONS
_SECTION_OF_NUMBER = {code[1:]: code[0] for code in DIVISIONS}

# Words people write for an industry, folded (``_fold``), and the code each one means. Each is also
# found inside a longer text ("汽车零部件有限公司"), the longest one found deciding.
SYNONYMS = {
    "automotive": "C36", "automobile": "C36", "automobiles": "C36", "auto parts": "C36", "automotive parts": "C36",
    "汽车": "C36", "汽车零部件": "C36", "汽车配件": "C36", "汽配": "C36", "新能源汽车": "C36",
    "electronics": "C39", "electronic": "C39", "electronic components": "C39", "semiconductor": "C39",
    "semiconductors": "C39", "pcb": "C39", "电子": "C39", "电子元件": "C39", "电子元器件": "C39", "半导体": "C39",
    "集成电路": "C39", "芯片": "C39",
    "machinery": "C34", "machine building": "C34", "mechanical": "C34", "machine tools": "C34", "valves": "C34",
    "bearings": "C34", "pumps": "C34", "gears": "C34", "机械": "C34", "机械制造": "C34", "机械设备": "C34",
    "机床": "C34", "阀门": "C34", "轴承": "C34", "泵": "C34", "齿轮": "C34",
    "special equipment": "C35", "medical devices": "C35", "moulds": "C35", "molds": "C35", "专用设备": "C35",
    "医疗器械": "C35", "模具": "C35",
    "electrical": "C38", "electrical equipment": "C38", "batteries": "C38", "photovoltaic": "C38", "cables": "C38",
    "home appliances": "C38", "电气": "C38", "电机": "C38", "电池": "C38", "锂电": "C38", "光伏": "C38",
    "电线电缆": "C38", "家电": "C38",
    "instruments": "C40", "仪表": "C40", "仪器": "C40",
    "metalworking": "C33", "hardware": "C33", "castings": "C33", "forgings": "C33", "五金": "C33", "铸造": "C33",
    "锻造": "C33", "钣金": "C33",
    "steel": "C31", "钢铁": "C31", "aluminium": "C32", "aluminum": "C32", "copper": "C32", "铝业": "C32",
    "chemicals": "C26", "chemical": "C26", "化工": "C26", "pharmaceuticals": "C27", "pharmaceutical": "C27",
    "制药": "C27", "plastics": "C29", "rubber": "C29", "塑料": "C29", "塑胶": "C29", "橡胶": "C29",
    "textile": "C17", "apparel": "C18", "garments": "C18", "clothing": "C18", "服装": "C18", "footwear": "C19",
    "shoes": "C19", "leather": "C19", "鞋业": "C19", "皮革": "C19", "wood": "C20", "木业": "C20", "food": "C14",
    "beverages": "C15", "饮料": "C15", "paper": "C22", "toys": "C24", "玩具": "C24", "glass": "C30",
    "ceramics": "C30", "cement": "C30", "building materials": "C30", "玻璃": "C30", "陶瓷": "C30", "水泥": "C30",
    "建材": "C30", "shipbuilding": "C37", "aerospace": "C37", "船舶": "C37", "航空航天": "C37", "石化": "C25",
    "trade": "F51", "trading": "F51", "import and export": "F51", "贸易": "F51", "外贸": "F51", "进出口": "F51",
    "e-commerce": "F52", "电子商务": "F52", "电商": "F52",
    "logistics": "G", "物流": "G", "warehousing": "G59", "仓储": "G59",
    "hotel": "H61", "hotels": "H61", "酒店": "H61", "restaurant": "H62", "restaurants": "H62", "餐饮": "H62",
    "software": "I65", "it services": "I65", "软件": "I65", "internet": "I64", "互联网": "I64",
    "telecom": "I63", "telecommunications": "I63", "电信": "I63",
    "bank": "J66", "banking": "J66", "银行": "J66", "consulting": "L72", "咨询": "L72",
    "research": "M73", "研发": "M73", "hospital": "Q84", "healthcare": "Q84", "医院": "Q84", "医疗": "Q84",
    "power": "D44", "electricity": "D44", "电力": "D44",
}
_ENDINGS = ("制造业", "制品业", "业")
_ENGLISH_STARTS = ("manufacture of ", "processing of ")
_EXTRA = re.compile(r"(行业|产业|\s+(industry|sector))$")
_SPACES = re.compile(r"\s+")


def _fold(text):
    """Width, case and spacing ignored; the words 行业 / 产业 / industry at the end dropped."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").lower()).strip(" .,;:，。；：")
    return _EXTRA.sub("", text).strip()


def _names():
    """Folded name -> code: each name of the standard, and its Chinese name without 业 / 制造业 /
    制品业, its English name without "Manufacture of". A name two codes share is the division's
    (房地产业 is K and K70: K70); one shared by two divisions names neither."""
    found = {}
    for code, zh, en, parent in ENTRIES:
        forms = {_fold(zh), _fold(en)}
        forms.update(_fold(zh[:-len(end)]) for end in _ENDINGS if zh.endswith(end) and len(zh) > len(end) + 1)
        forms.update(_fold(en[len(start):]) for start in _ENGLISH_STARTS if en.lower().startswith(start))
        for form in forms:
            found.setdefault(form, set()).add(code)
    named = {}
    for form, codes in found.items():
        divisions = [code for code in codes if _BY_CODE[code][2] is not None]
        if len(codes) == 1 or len(divisions) == 1:
            named[form] = divisions[0] if divisions else next(iter(codes))
    return named


NAMES = _names()
# What ``match`` looks for inside a text, longest first: the synonyms, and the names of three
# characters or more (卫生 in 卫生洁具 is no hospital).
_WORDS = sorted([item for item in NAMES.items() if len(item[0]) >= 3] + list(SYNONYMS.items()),
                key=lambda item: -len(item[0]))


def canonical(value):
    """The code ``value`` is (``c36``, ``C 36`` and a bare division number ``36`` read as ``C36``), or None."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()
    if text in _BY_CODE:
        return text
    return _SECTION_OF_NUMBER[text] + text if text in _SECTION_OF_NUMBER else None


def match(text):
    """The code free text names, or None: a code; a name of the standard or a word of ``SYNONYMS``,
    exactly; else the longest such name or word found inside the text, if only one code has a
    match that long ("汽车零部件制造" is C36; "汽车电子" names two and maps to none)."""
    code = canonical(text)
    if code or not (text or "").strip():
        return code
    folded = _fold(text)
    if folded in SYNONYMS or folded in NAMES:
        return SYNONYMS.get(folded) or NAMES[folded]
    found, length = set(), 0
    for word, code in _WORDS:
        if len(word) < length:
            break
        if _contains(folded, word):
            found.add(code)
            length = len(word)
    return found.pop() if len(found) == 1 else None


def _contains(text, word):
    if word.isascii():
        return re.search(r"(?<![a-z0-9])%s(?![a-z0-9])" % re.escape(word), text) is not None
    return word in text


def section_of(code):
    """The section of a code (itself for a section), or None for an unknown code."""
    known = _BY_CODE.get(code)
    return None if known is None else known[2] or code


def keys(code):
    """The codes a customer of ``code`` is found by: its division and its section (a section: itself)."""
    section = section_of(code)
    return [] if section is None else sorted({code, section})


def labels(code):
    """``{"zh-CN": name, "en": name}`` of a code, or None."""
    known = _BY_CODE.get(code)
    return None if known is None else {"zh-CN": known[0], "en": known[1]}
