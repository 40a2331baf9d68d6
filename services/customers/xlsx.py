"""One sheet of an XLSX workbook (the first, or one named), read with bounded memory, disk and work
(no zip bombs).

Before anything is parsed, the archive's directory is checked: number of entries, declared
uncompressed sizes (each part and in all) and the compression ratio of every big part. The parts
are then read through streams that count the bytes actually inflated, whatever the directory
claims, and parsed by expat as they stream; a document type declaration (and so any entity) is
refused. Shared strings go to a temporary file with an index of offsets, so the workbook's texts
are never all in memory; a cell holds at most Excel's 32 767 characters, a row at most
MAX_COLUMNS cells (wider rows keep a marker, which the import reports as extra values) and
MAX_ROW_CHARS characters in all (a longer row comes as None, unreadable, as a CSV record over
its limit does).
"""
import array
import mmap
import posixpath
import re
import tempfile
import zipfile
import zlib
from xml.parsers import expat

import eventlet

MAX_ENTRIES = 1000
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
MAX_STRINGS = 2_000_000
MAX_CELL_CHARS = 32767
MAX_COLUMNS = 256
MAX_ROW_CHARS = 256 * 1024
EXCEL_COLUMNS = 16384
READ_BYTES = 64 * 1024
WIDER = "(more columns)"
MAX_SHEET_NAME = 255
# Relationship types of sheets without rows.
NOT_WORKSHEETS = ("/chartsheet", "/dialogsheet", "/macrosheet")
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
UNREADABLE = "The file is not a readable XLSX workbook."
TOO_BIG = "The workbook expands to more than %d MB; split it into smaller files." % (MAX_TOTAL_BYTES // 2 ** 20)


class WorkbookError(Exception):
    """The workbook cannot be read within the limits (the message says why, for the job's error)."""


def check_archive(archive):
    """WorkbookError unless the zip directory stays within the limits."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise WorkbookError("The workbook holds more than %d parts." % MAX_ENTRIES)
    if sum(entry.file_size for entry in entries) > MAX_TOTAL_BYTES or any(
            entry.file_size > MAX_PART_BYTES for entry in entries):
        raise WorkbookError(TOO_BIG)
    for entry in entries:
        if entry.file_size > RATIO_FROM_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise WorkbookError("The workbook is compressed more than %d times (%s): it is not an ordinary "
                                "spreadsheet." % (MAX_RATIO, entry.filename))


class Budget:
    """Bytes the parts of one workbook may still inflate to."""

    def __init__(self, total=MAX_TOTAL_BYTES):
        self.left = total


class Capped:
    """A part's stream that fails once more bytes come out of it than allowed, whatever was declared."""

    def __init__(self, raw, budget):
        self.raw, self.budget, self.read_bytes = raw, budget, 0

    def read(self, size):
        data = self.raw.read(size)
        self.read_bytes += len(data)
        self.budget.left -= len(data)
        if self.read_bytes > MAX_PART_BYTES or self.budget.left < 0:
            raise WorkbookError(TOO_BIG)
        return data


def _local(name):
    return name.rsplit(" ", 1)[-1]


def _no_dtd(*args):
    raise WorkbookError("The workbook declares a document type, which spreadsheets never do.")


def parse(archive, name, budget, start, end, text):
    """Feed part ``name`` through expat with the handlers given (element names without namespace);
    a generator that yields after each block read, so its caller can hand on what was parsed."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = lambda tag, attrs: start(_local(tag), attrs)
    parser.EndElementHandler = lambda tag: end(_local(tag))
    parser.CharacterDataHandler = text
    try:
        with archive.open(name) as raw:
            stream = Capped(raw, budget)
            while True:
                data = stream.read(READ_BYTES)
                parser.Parse(data, not data)
                yield
                if not data:
                    return
                eventlet.sleep(0)
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError,
            RuntimeError, ValueError):
        raise WorkbookError(UNREADABLE)


def unescape(text):
    """Text with Excel's ``_xHHHH_`` escapes (how a workbook stores control characters) decoded."""
    return ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text) if "_x" in text else text


def _drain(generator):
    for _ in generator:
        pass


class Text:
    """Character data gathered while ``on``, at most MAX_CELL_CHARS."""

    def __init__(self):
        self.parts, self.size, self.on = [], 0, False

    def add(self, data):
        if self.on:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise WorkbookError("A cell holds more than %d characters, more than Excel allows." % MAX_CELL_CHARS)
            self.parts.append(data)

    def take(self):
        value = "".join(self.parts)
        self.parts, self.size = [], 0
        return value


def _relationships(archive, part, budget):
    """``{id: (type, target path)}`` of ``part``'s relationships."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    found = {}

    def start(tag, attrs):
        if tag == "Relationship" and attrs.get("Id") and attrs.get("Target"):
            target = attrs["Target"]
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs["Id"]] = (attrs.get("Type", ""), path)

    if name in archive.NameToInfo:
        _drain(parse(archive, name, budget, start, lambda tag: None, lambda data: None))
    return found


def contents(archive, budget):
    """([(name, part)] of the worksheets in workbook order, shared strings part or None) as the
    workbook names them; sheets without rows (charts) and without a part are left out, names are
    cut at MAX_SHEET_NAME characters and at most MAX_ENTRIES sheets are read."""
    rels = _relationships(archive, "", budget)
    workbook = next((path for kind, path in rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
    declared = []

    def start(tag, attrs):
        if tag == "sheet" and len(declared) < MAX_ENTRIES:
            declared.append((attrs.get("name", "")[:MAX_SHEET_NAME], attrs.get(RELATIONSHIPS + " id") or next(
                (value for key, value in attrs.items() if _local(key) == "id" and " " in key), None)))

    if workbook not in archive.NameToInfo:
        raise WorkbookError(UNREADABLE)
    _drain(parse(archive, workbook, budget, start, lambda tag: None, lambda data: None))
    parts = _relationships(archive, workbook, budget)
    sheets = [(name, parts[ref][1]) for name, ref in declared
              if ref in parts and parts[ref][1] in archive.NameToInfo and not parts[ref][0].endswith(NOT_WORKSHEETS)]
    strings = next((path for kind, path in parts.values() if kind.endswith("/sharedStrings")), None)
    return sheets, strings if strings in archive.NameToInfo else None


def choose(sheets, sheet=None):
    """(name, part) of the sheet named ``sheet`` among ``contents``' sheets (exactly, else ignoring
    case and surrounding spaces, as Excel compares names), or of the first when ``sheet`` is None or blank."""
    if not sheets:
        raise WorkbookError("The workbook has no sheet.")
    if sheet is None or not str(sheet).strip():
        return sheets[0]
    wanted = str(sheet).strip().casefold()
    found = next((entry for entry in sheets if entry[0] == sheet), None) or next(
        (entry for entry in sheets if entry[0].strip().casefold() == wanted), None)
    if found is None:
        raise WorkbookError("The workbook has no sheet named %s." % str(sheet)[:MAX_SHEET_NAME])
    return found


def _open_archive(path):
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WorkbookError(UNREADABLE)


def sheet_names(path):
    """The names of an XLSX file's worksheets, in workbook order (within the limits ``Workbook`` keeps)."""
    archive = _open_archive(path)
    try:
        check_archive(archive)
        return [name for name, _ in contents(archive, Budget())[0]]
    finally:
        archive.close()


class SharedStrings:
    """The workbook's shared strings in a temporary file, looked up by index through an offset table."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.offsets = array.array("q", [0])
        self.view = None

    def load(self, archive, name, budget):
        text, depth = Text(), {"si": 0, "rPh": 0}

        def start(tag, attrs):
            if tag in depth:
                depth[tag] += 1
            text.on = tag == "t" and depth["si"] and not depth["rPh"]

        def end(tag):
            text.on = False
            if tag in depth:
                depth[tag] -= 1
            if tag == "si":
                self.add(unescape(text.take()))

        _drain(parse(archive, name, budget, start, end, text.add))
        if self.offsets[-1]:
            self.file.flush()
            self.view = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)

    def add(self, value):
        if len(self.offsets) > MAX_STRINGS:
            raise WorkbookError("The workbook holds more than %d different texts." % MAX_STRINGS)
        data = value.encode("utf-8", "surrogatepass")
        self.file.write(data)
        self.offsets.append(self.offsets[-1] + len(data))

    def __getitem__(self, index):
        if not 0 <= index < len(self.offsets) - 1:
            raise WorkbookError("A cell refers to a shared text the workbook does not have.")
        start, end = self.offsets[index], self.offsets[index + 1]
        return self.view[start:end].decode("utf-8", "surrogatepass") if end > start else ""

    def close(self):
        if self.view is not None:
            self.view.close()
        self.file.close()


def column(reference):
    """The 1-based column of a cell reference such as ``AB12``."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        else:
            break
    if not 1 <= number <= EXCEL_COLUMNS:
        raise WorkbookError(UNREADABLE)
    return number


def _number(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def cell_value(kind, text, shared):
    if kind == "s":
        try:
            return shared[int(text)]
        except ValueError:
            raise WorkbookError(UNREADABLE)
    if kind == "b":
        return text.strip() == "1"
    if kind in ("inlineStr", "str"):
        return unescape(text)
    if kind in ("e", "d"):
        return text
    return _number(text) if text.strip() else None


class SheetRows:
    """``(row number, cells)`` of one sheet as it streams; values as openpyxl gives them (``data_only``)."""

    def __init__(self, archive, name, shared, budget):
        self.archive, self.name, self.shared, self.budget = archive, name, shared, budget

    def __iter__(self):
        done, text = [], Text()
        state = {"row": 0, "column": 0, "cells": {}, "size": 0, "cell": None, "rPh": 0}

        def start(tag, attrs):
            if tag == "row":
                state["row"] = int(attrs["r"]) if attrs.get("r", "").isdigit() else state["row"] + 1
                state["cells"], state["column"], state["size"] = {}, 0, 0
            elif tag == "c":
                reference = attrs.get("r")
                state["column"] = column(reference) if reference else min(state["column"] + 1, EXCEL_COLUMNS)
                state["cell"] = (state["column"], attrs.get("t", "n"))
            elif tag == "rPh":
                state["rPh"] += 1
            text.on = state["cell"] is not None and not state["rPh"] and (
                tag == "v" or tag == "t" and state["cell"][1] == "inlineStr")

        def end(tag):
            text.on = False
            if tag == "rPh":
                state["rPh"] -= 1
            elif tag == "c" and state["cell"] is not None:
                number, kind = state["cell"]
                value = cell_value(kind, text.take(), self.shared)
                state["size"] += len(value) if isinstance(value, str) else 0
                if value is not None and value != "" and state["size"] <= MAX_ROW_CHARS:
                    state["cells"][min(number, MAX_COLUMNS + 1)] = WIDER if number > MAX_COLUMNS else value
                state["cell"] = None
            elif tag == "row":
                cells = state["cells"]
                done.append((state["row"], None if state["size"] > MAX_ROW_CHARS else
                             [cells.get(i) for i in range(1, max(cells, default=0) + 1)]))

        for _ in parse(self.archive, self.name, self.budget, start, end, text.add):
            yield from done
            done.clear()


class Workbook:
    """An XLSX file opened for reading the rows of its sheet named ``sheet`` (None: the first);
    ``sheets`` are the names of all, ``sheet`` the one read; ``close`` frees the shared strings."""

    def __init__(self, path, sheet=None):
        self.shared = SharedStrings()
        try:
            self.archive = _open_archive(path)
        except WorkbookError:
            self.shared.close()
            raise
        try:
            check_archive(self.archive)
            budget = Budget()
            sheets, strings = contents(self.archive, budget)
            self.sheets = [name for name, _ in sheets]
            self.sheet, part = choose(sheets, sheet)
            if strings:
                self.shared.load(self.archive, strings, budget)
            self.rows = SheetRows(self.archive, part, self.shared, budget)
        except BaseException:
            self.close()
            raise

    def close(self):
        self.shared.close()
        self.archive.close()
