"""Tabular downloads: CSV streamed as UTF-8 with a BOM (so Excel reads Chinese correctly), XLSX
written row by row to a temporary file. Neither holds more than one page of rows in memory.

A page is ``{"columns": [...], "rows": [[...], ...], "next_cursor": ...}``; ``pages`` is an
iterator of them. Every cell goes through ``safe_cell``: text a spreadsheet would run as a formula
is prefixed with an apostrophe, and characters a file cannot hold (control characters, which XML
forbids) become U+FFFD, so data stored before input was checked still exports.

A page may also name each column's kind (``"kinds": ["text", "date", ...]``, as ``columns`` runs).
The CSV writes every value as it comes (ISO 8601 dates and times); the workbook writes a date or a
time as a date cell and an amount as a number cell, each with its number format
(``NUMBER_FORMATS``). A time keeps the wall clock of the zone it was written in, as a spreadsheet
has no time zones.
"""
import csv
import datetime
import io
import re
import tempfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from services.common.schemas import CONTROL_IN_TEXT

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9 ().-]*")
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "yyyy-mm-dd hh:mm", "amount": "#,##0.00", "count": "#,##0"}
FIRST_EXCEL_DAY = datetime.date(1900, 3, 1)  # earlier serial days are off by Excel's 1900 leap-year bug


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


def csv_lines(pages, header=list):
    """The CSV text of ``pages`` as UTF-8 byte strings, one per page, the BOM and header first
    (``header``: the header row of the page's ``columns``)."""
    header_sent = False
    for page in pages:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        if not header_sent:
            text.write(BOM)
            writer.writerow(header(page["columns"]))
            header_sent = True
        writer.writerows([safe_cell(value) for value in row] for row in page["rows"])
        yield text.getvalue().encode("utf-8")


def _typed(value, kind):
    """The value a cell of ``kind`` holds: ISO text as a date or a (zone-less) datetime, a number as
    it is; None where the value is not of its kind, so it is written as text."""
    if kind in ("amount", "count"):
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if not isinstance(value, str):
        return None
    try:
        if kind == "date":
            typed = datetime.date.fromisoformat(value)
            return typed if typed >= FIRST_EXCEL_DAY else None
        if kind == "time":
            typed = datetime.datetime.fromisoformat(value).replace(tzinfo=None)
            return typed if typed.date() >= FIRST_EXCEL_DAY else None
    except ValueError:
        return None
    return None


def xlsx_row(sheet, values, kinds=()):
    """One row of a write-only ``sheet``: typed cells with their number format where ``kinds`` says so."""
    cells = []
    for index, value in enumerate(values):
        kind = kinds[index] if index < len(kinds) else None
        typed = _typed(value, kind) if kind in NUMBER_FORMATS else None
        if typed is None:
            cells.append(safe_cell(value))
            continue
        cell = WriteOnlyCell(sheet, typed)
        cell.number_format = NUMBER_FORMATS[kind]
        cells.append(cell)
    return cells


def xlsx_file(pages, title="Customers", header=list):
    """``(rows written, an open temporary file holding the workbook)``; the file vanishes once closed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    count = 0
    header_sent = False
    for page in pages:
        if not header_sent:
            sheet.append(header(page["columns"]))
            header_sent = True
        kinds = page.get("kinds") or ()
        for row in page["rows"]:
            sheet.append(xlsx_row(sheet, row, kinds))
            count += 1
    handle = tempfile.TemporaryFile()
    try:
        book.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return count, handle
