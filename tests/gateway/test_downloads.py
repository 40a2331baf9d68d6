"""Downloads: in the workbook a date is a date cell and an amount a number cell, each with its number
format, a date's as the reader's language writes dates; the CSV keeps ISO 8601 text."""
import datetime
import io

import openpyxl
import pytest

from gateway import downloads

PAGE = {
    "columns": ["legal_name", "annual_revenue", "last_order_date", "created_at", "next_followup_date"],
    "kinds": ["text", "amount", "date", "time", "date"],
    "rows": [
        ["苏州精密", 12345678.5, "2026-03-01", "2026-03-01T20:05:07.123000+08:00", None],
        ["=SUM(A1)", None, "soon", "2026-03-02T01:00:00+00:00", "1899-12-31"],
    ],
    "next_cursor": None,
}


def workbook_of(pages, language=None):
    count, handle = downloads.xlsx_file(pages, language=language)
    try:
        return count, openpyxl.load_workbook(io.BytesIO(handle.read())).active
    finally:
        handle.close()


def test_dates_times_and_amounts_are_typed_cells_with_their_number_format():
    count, sheet = workbook_of([PAGE])
    assert count == 2
    assert [cell.value for cell in sheet[1]] == PAGE["columns"]
    name, amount, day, time, _ = sheet[2]
    assert name.value == "苏州精密" and name.data_type == "s"
    assert (amount.value, amount.data_type, amount.number_format) == (12345678.5, "n", "#,##0.00")
    assert day.is_date and day.value == datetime.datetime(2026, 3, 1) and day.number_format == "yyyy-mm-dd"
    assert time.is_date and time.number_format == "yyyy-mm-dd hh:mm"
    assert time.value.replace(microsecond=0) == datetime.datetime(2026, 3, 1, 20, 5, 7)  # the site's wall clock


@pytest.mark.parametrize("language, day_format, time_format, written", [
    ("zh-CN", 'yyyy"年"m"月"d"日"', 'yyyy"年"m"月"d"日" hh:mm', "2026年3月1日"),
    ("en", "[$-409]mmm d, yyyy", "[$-409]mmm d, yyyy h:mm AM/PM", "Mar 1, 2026"),
])
def test_a_date_cell_is_written_as_the_readers_language_writes_dates(language, day_format, time_format, written):
    _, sheet = workbook_of([PAGE], language)
    _, amount, day, time, _ = sheet[2]
    assert (day.is_date, day.value, day.number_format) == (True, datetime.datetime(2026, 3, 1), day_format)
    assert time.is_date and time.number_format == time_format
    assert amount.number_format == "#,##0.00"  # a number reads alike in both
    # each format is the only one of its language, and its column is wide enough for what it writes
    assert downloads.number_formats(language) == {"date": day_format, "time": time_format,
                                                  "amount": "#,##0.00", "count": "#,##0"}
    assert sheet.column_dimensions["C"].width >= len(written) + sum(ord(c) > 0x2e80 for c in written)
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["C"].width


def test_values_that_are_not_of_their_kind_stay_text():
    _, sheet = workbook_of([PAGE])
    formula, amount, day, time, old_day = sheet[3]
    assert formula.value == "'=SUM(A1)" and amount.value is None
    assert (day.value, day.data_type) == ("soon", "s")
    assert time.is_date and time.value == datetime.datetime(2026, 3, 2, 1, 0)
    assert (old_day.value, old_day.data_type) == ("1899-12-31", "s")  # before Excel's first reliable day


def test_a_page_without_kinds_is_written_as_it_comes():
    _, sheet = workbook_of([{key: value for key, value in PAGE.items() if key != "kinds"}])
    assert [cell.value for cell in sheet[2]][1:4] == [12345678.5, "2026-03-01", "2026-03-01T20:05:07.123000+08:00"]
    assert not sheet["C2"].is_date


def test_the_csv_keeps_iso_text():
    text = b"".join(downloads.csv_lines([PAGE])).decode("utf-8-sig")
    assert text.split("\r\n")[1] == "苏州精密,12345678.5,2026-03-01,2026-03-01T20:05:07.123000+08:00,"
