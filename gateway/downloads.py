"""Tabular downloads: CSV streamed as UTF-8 with a BOM (so Excel reads Chinese correctly), XLSX
written row by row to a temporary file. Neither holds more than one page of rows in memory.

A page is ``{"columns": [...], "rows": [[...], ...], "next_cursor": ...}``; ``pages`` is an
iterator of them. Every cell goes through ``safe_cell``: text a spreadsheet would run as a formula
is prefixed with an apostrophe, and characters a file cannot hold (control characters, which XML
forbids) become U+FFFD, so data stored before input was checked still exports.
"""
import csv
import io
import re
import tempfile

from openpyxl import Workbook

from services.common.schemas import CONTROL_IN_TEXT

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9 ().-]*")


def safe_cell(value):
    """A cell value a spreadsheet shows as data: lists joined, formula-like text defused, unwritable
    characters replaced."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    if isinstance(value, str):
        value = CONTROL_IN_TEXT.sub("\ufffd", value)
    if isinstance(value, str) and value and (
            value.startswith(_FORMULA_START) or value[0] in "+-" and not _SIGNED_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def csv_lines(pages):
    """The CSV text of ``pages`` as UTF-8 byte strings, one per page, the BOM and header first."""
    header_sent = False
    for page in pages:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        if not header_sent:
            text.write(BOM)
            writer.writerow(page["columns"])
            header_sent = True
        writer.writerows([safe_cell(value) for value in row] for row in page["rows"])
        yield text.getvalue().encode("utf-8")


def xlsx_file(pages, title="Customers"):
    """``(rows written, an open temporary file holding the workbook)``; the file vanishes once closed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    count = 0
    header_sent = False
    for page in pages:
        if not header_sent:
            sheet.append(page["columns"])
            header_sent = True
        for row in page["rows"]:
            sheet.append([safe_cell(value) for value in row])
            count += 1
    handle = tempfile.TemporaryFile()
    try:
        book.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return count, handle
