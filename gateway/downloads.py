"""Tabular downloads: CSV streamed as UTF-8 with a BOM (so Excel reads Chinese correctly), XLSX
written row by row to a temporary file. Neither holds more than one page of rows in memory.

A page is ``{"columns": [...], "rows": [[...], ...], "next_cursor": ...}``; ``pages`` is an
iterator of them. Every cell goes through ``safe_cell``: text a spreadsheet would run as a formula
is prefixed with an apostrophe, and characters a file cannot hold (control characters, which XML
forbids) become U+FFFD, so data stored before input was checked still exports.

A page may also name each column's kind (``"kinds": ["text", "date", ...]``, as ``columns`` runs).
The CSV writes every value as it comes (ISO 8601 dates and times); the workbook writes a date or a
time as a date cell and an amount as a number cell, each with its number format: a date's as the
caller's language writes dates (``DATE_FORMATS``), an amount's ``NUMBER_FORMATS``. A time keeps
the wall clock of the zone it was written in, as a spreadsheet has no time zones.
"""
import csv
import datetime
import io
import re
import tempfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from services.common.schemas import CONTROL_IN_TEXT

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9 ().-]*")
NUMBER_FORMATS = {"amount": "#,##0.00", "count": "#,##0"}
# How each language writes a date and a time in a workbook, as the UI writes them (ui/src/format.js):
# (Excel number format, the column width it needs, in characters). zh-CN: 2026年3月1日 14:05; en:
# Mar 1, 2026 2:05 PM, its month names and AM/PM English whatever the reader's Excel speaks
# ([$-409]). None, where no caller's language is known: ISO 8601, 2026-03-01 14:05.
DATE_FORMATS = {
    "zh-CN": {"date": ('yyyy"年"m"月"d"日"', 16), "time": ('yyyy"年"m"月"d"日" hh:mm', 22)},
    "en": {"date": ("[$-409]mmm d, yyyy", 14), "time": ("[$-409]mmm d, yyyy h:mm AM/PM", 22)},
    None: {"date": ("yyyy-mm-dd", 12), "time": ("yyyy-mm-dd hh:mm", 18)},
}
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


def number_formats(language=None):
    """``{kind: number format}`` of the typed cells of a workbook for a reader of ``language``."""
    return dict(NUMBER_FORMATS, **{kind: written[0] for kind, written in DATE_FORMATS[language].items()})


def xlsx_row(sheet, values, kinds=(), formats=None):
    """One row of a write-only ``sheet``: typed cells with their number format (``formats``, by
    default ``number_formats()``) where ``kinds`` says so."""
    formats = formats or number_formats()
    cells = []
    for index, value in enumerate(values):
        kind = kinds[index] if index < len(kinds) else None
        typed = _typed(value, kind) if kind in formats else None
        if typed is None:
            cells.append(safe_cell(value))
            continue
        cell = WriteOnlyCell(sheet, typed)
        cell.number_format = formats[kind]
        cells.append(cell)
    return cells


def xlsx_file(pages, title="Customers", header=list, language=None):
    """``(rows written, an open temporary file holding the workbook)``, its dates written as
    ``language`` writes them (``DATE_FORMATS``); the file vanishes once closed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    formats = number_formats(language)
    count = 0
    header_sent = False
    for page in pages:
        kinds = page.get("kinds") or ()
        if not header_sent:
            for index, kind in enumerate(kinds):  # wide enough for its dates (before the first row)
                if kind in DATE_FORMATS[language]:
                    sheet.column_dimensions[get_column_letter(index + 1)].width = DATE_FORMATS[language][kind][1]
            sheet.append(header(page["columns"]))
            header_sent = True
        for row in page["rows"]:
            sheet.append(xlsx_row(sheet, row, kinds, formats))
            count += 1
    handle = tempfile.TemporaryFile()
    try:
        book.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return count, handle
