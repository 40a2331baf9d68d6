"""The XLSX reader: the values openpyxl would give, within limits a workbook cannot talk its way past."""
import io
import random
import string
import zipfile

import pytest

from services.customers import xlsx
from tests.customers import workbooks

RICH = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s"><si><t>客户名称</t></si>'
        '<si><r><rPr><b/></rPr><t>苏州</t></r><r><t xml:space="preserve"> 精密 </t></r>'
        '<rPh sb="0" eb="2"><t>スズ</t></rPh></si><si><t/></si></sst>' % workbooks.MAIN)


def opened(tmp_path, data):
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return xlsx.Workbook(str(path))


def rows_of(tmp_path, data):
    book = opened(tmp_path, data)
    try:
        return list(book.rows)
    finally:
        book.close()


def refused(tmp_path, data, words):
    with pytest.raises(xlsx.WorkbookError) as error:
        rows_of(tmp_path, data)
    assert words in str(error.value)


def test_values_as_a_spreadsheet_shows_them(tmp_path):
    sheet = workbooks.sheet([
        [("s", 0), None, ("inline", "备注")],
        [("s", 1), ("n", "12"), ("n", "1.5"), None, ("s", 2)],
    ])
    rows = rows_of(tmp_path, workbooks.workbook(sheet, RICH))
    assert rows == [(1, ["客户名称", None, "备注"]), (2, ["苏州 精密 ", 12, 1.5])]


def test_excel_escapes_of_control_characters_are_decoded(tmp_path):
    sheet = workbooks.sheet([[("s", 0)], [("s", 1), ("inline", "Tab_x0009_and_x001B_")], [("s", 2)]])
    rows = rows_of(tmp_path, workbooks.workbook(sheet, workbooks.shared_strings(["客户名称", "Bad_x0007_Name", "_xD800_"])))
    assert [cells for _, cells in rows][1:] == [["Bad\x07Name", "Tab\tand\x1b"], ["\ud800"]]


def test_rows_keep_their_numbers_and_a_wide_row_keeps_a_marker(tmp_path):
    wide = [None] * 300 + [("n", "1")]
    sheet = workbooks.sheet([[("inline", "客户名称")], [], [("inline", "甲")], wide]).replace('<row r="2"></row>', "")
    rows = rows_of(tmp_path, workbooks.workbook(sheet))
    assert [number for number, _ in rows] == [1, 3, 4]
    assert len(rows[2][1]) == xlsx.MAX_COLUMNS + 1 and rows[2][1][-1] == xlsx.WIDER


def test_a_shared_strings_bomb_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    loaded = []
    monkeypatch.setattr(xlsx.SharedStrings, "load", lambda *args: loaded.append(args))
    refused(tmp_path, workbooks.shared_strings_bomb(20), "compressed more than 100 times")
    assert loaded == []


def test_a_part_that_inflates_past_its_declared_size_is_unreadable(tmp_path):
    refused(tmp_path, workbooks.understated_bomb(20), "not a readable XLSX")


def test_actual_bytes_are_capped_whatever_the_ratio(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_PART_BYTES", 1024 * 1024)
    texts = ["".join(random.choices(string.ascii_letters, k=2000)) for _ in range(1000)]
    data = workbooks.workbook(workbooks.sheet([[("s", 0)]]), workbooks.shared_strings(texts))
    refused(tmp_path, data, "expands to more than")
    monkeypatch.setattr(xlsx, "MAX_PART_BYTES", 256 * 1024 * 1024)
    monkeypatch.setattr(xlsx, "MAX_TOTAL_BYTES", 1024 * 1024)
    refused(tmp_path, data, "expands to more than")


def test_the_directory_is_checked_for_entries_and_declared_sizes(tmp_path, monkeypatch):
    data = workbooks.customers_workbook(["甲"])
    monkeypatch.setattr(xlsx, "MAX_ENTRIES", 4)
    refused(tmp_path, data, "more than 4 parts")
    monkeypatch.setattr(xlsx, "MAX_ENTRIES", 1000)
    monkeypatch.setattr(xlsx, "MAX_TOTAL_BYTES", 100)
    refused(tmp_path, data, "expands to more than")


def test_entities_and_document_types_are_refused(tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
              '<sst xmlns="%s"><si><t>&b;</t></si></sst>' % workbooks.MAIN)
    refused(tmp_path, workbooks.workbook(workbooks.sheet([[("s", 0)]]), laughs), "document type")


def test_a_cell_longer_than_excel_allows_and_too_many_texts_are_refused(tmp_path, monkeypatch):
    long_cell = workbooks.workbook(workbooks.sheet([[("inline", "x" * 40000)]]))
    refused(tmp_path, long_cell, "more than 32767 characters")
    monkeypatch.setattr(xlsx, "MAX_STRINGS", 10)
    refused(tmp_path, workbooks.customers_workbook(["n%d" % n for n in range(20)]), "more than 10 different texts")


def test_a_missing_shared_string_or_a_broken_part_is_unreadable(tmp_path):
    refused(tmp_path, workbooks.workbook(workbooks.sheet([[("s", 5)]]), workbooks.shared_strings(["a"])),
            "does not have")
    refused(tmp_path, workbooks.workbook("<worksheet><sheetData><row>"), "not a readable XLSX")
    refused(tmp_path, b"PK\x03\x04 not a zip at all", "not a readable XLSX")


def test_shared_strings_stay_on_disk_not_in_memory(tmp_path):
    names = ["客户%05d" % n for n in range(5000)]
    book = opened(tmp_path, workbooks.customers_workbook(names))
    try:
        assert len(book.shared.offsets) == 5002 and isinstance(book.shared.view, xlsx.mmap.mmap)
        assert [cells[0] for _, cells in book.rows][1:] == names
    finally:
        book.close()


def test_a_workbook_written_by_openpyxl_reads_the_same(tmp_path):
    from tests.customers import samples

    data = samples.xlsx_bytes([samples.customer_row(n) for n in range(3)])
    rows = rows_of(tmp_path, data)
    assert rows[0][1] == samples.HEADERS_CN and rows[1][1][0] == samples.customer_row(0)[0]
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_a_row_longer_than_its_limit_comes_unreadable_even_from_shared_texts(tmp_path):
    big = "x" * 30000
    row = [("s", 1)] * 10  # ten references to one 30 000-character text: 300 000 characters
    sheet = workbooks.sheet([[("s", 0)], row, [("s", 2)]])
    rows = rows_of(tmp_path, workbooks.workbook(sheet, workbooks.shared_strings(["客户名称", big, "甲"])))
    assert rows == [(1, ["客户名称"]), (2, None), (3, ["甲"])]
