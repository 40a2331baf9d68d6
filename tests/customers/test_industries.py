"""The GB/T 4754-2017 data, its codes, and free text mapped onto them (no database)."""
import pytest

from services.customers import industries


def test_the_data_holds_the_20_sections_and_97_divisions_each_under_a_section():
    assert industries.SECTIONS == tuple("ABCDEFGHIJKLMNOPQRST")
    assert len(industries.DIVISIONS) == 97
    assert [code[1:] for code in industries.DIVISIONS] == ["%02d" % number for number in range(1, 98)]
    parents = {code: parent for code, _, _, parent in industries.ENTRIES}
    assert all(parents[code] in industries.SECTIONS and code[0] == parents[code] for code in industries.DIVISIONS)
    assert all(zh and en for _, zh, en, _ in industries.ENTRIES)
    counts = {section: sum(1 for code in industries.DIVISIONS if code[0] == section) for section in "ABCDG"}
    assert counts == {"A": 5, "B": 7, "C": 31, "D": 3, "G": 8}


def test_names_of_well_known_divisions():
    assert industries.labels("C36") == {"zh-CN": "汽车制造业", "en": "Manufacture of automobiles"}
    assert industries.labels("C39")["zh-CN"] == "计算机、通信和其他电子设备制造业"
    assert industries.labels("C")["zh-CN"] == "制造业"
    assert industries.labels("T97")["zh-CN"] == "国际组织"
    assert industries.labels("C99") is None and industries.labels(None) is None


@pytest.mark.parametrize("value, code", [
    ("C36", "C36"), ("c36", "C36"), (" C 36 ", "C36"), ("36", "C36"), ("01", "A01"), ("ｃ３６", "C36"), ("t", "T"),
    ("C99", None), ("U", None), ("98", None), ("", None), (None, None), ("C3", None),
])
def test_canonical_codes(value, code):
    assert industries.canonical(value) == code


def test_keys_of_a_division_are_it_and_its_section():
    assert industries.keys("C36") == ["C", "C36"]
    assert industries.keys("C") == ["C"]
    assert industries.keys("nonsense") == []
    assert industries.section_of("K70") == "K" and industries.section_of("K") == "K"


@pytest.mark.parametrize("text, code", [
    ("automotive", "C36"), ("Automotive industry", "C36"), ("汽车零部件", "C36"), ("汽车行业", "C36"),
    ("汽车零部件制造", "C36"), ("electronics", "C39"), ("电子", "C39"), ("电子元件", "C39"), ("半导体", "C39"),
    ("machinery", "C34"), ("机械", "C34"), ("机械制造", "C34"), ("精密机械", "C34"), ("textile machinery", "C34"),
    ("汽车制造业", "C36"), ("汽车制造", "C36"), ("Manufacture of automobiles", "C36"), ("furniture", "C21"),
    ("家具", "C21"), ("制造业", "C"), ("房地产", "K70"), ("电子商务", "F52"), ("C36", "C36"), ("c", "C"),
])
def test_free_text_naming_an_industry_maps_onto_its_code(text, code):
    assert industries.match(text) == code


@pytest.mark.parametrize("text", ["汽车电子", "卫生洁具", "industry-集团", "auto", "xyz", "", None, "   "])
def test_free_text_naming_none_or_two_maps_to_nothing(text):
    assert industries.match(text) is None
