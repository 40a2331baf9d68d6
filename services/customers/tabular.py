"""Reading an uploaded customer file (CSV in UTF-8/GBK/UTF-16, or XLSX) row by row from stored chunks.

A read position is ``{"seq", "offset", "row"}``: for CSV the chunk and byte where the next record
starts, for XLSX only ``row``; ``row`` is the file row last consumed (1 = the header). Nothing
holds the whole file: CSV is split into records at the byte level (a newline ends a record outside
a quoted field; newline, quote and delimiter bytes never occur inside a UTF-8 or GB18030
character), XLSX is read from a temporary file by ``xlsx``, which bounds what a workbook may expand to.
UTF-16 (Excel's "Unicode text") is transcoded to UTF-8 chunk for chunk (``transcode_utf16``) before
it is split, so its positions are those of the UTF-8 text.
"""
import codecs
import csv
import datetime
import io
import os
import re
import tempfile
import unicodedata

from services.customers import xlsx

BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
MAX_RECORD_BYTES = 256 * 1024
# A header cell longer than this names no known column (it is not even looked up).
MAX_HEADER_CHARS = 200
# Python's csv refuses a field over 128 KiB by default; a record may be up to 8 * MAX_RECORD_BYTES.
csv.field_size_limit(8 * MAX_RECORD_BYTES)
ENCODINGS = ("utf-8", "gb18030")
UTF16 = "utf-16"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF32_LE_BOM = b"\xff\xfe\x00\x00"
# Bytes that cannot be part of UTF-8 or GB18030 text stand for what UTF-16 cannot decode (a lone
# surrogate, an odd last byte), so that record reads as unreadable, as any undecodable one does.
UNREADABLE_UTF16 = "crm-unreadable-utf16"
codecs.register_error(UNREADABLE_UTF16, lambda error: ("\udcff" * (error.end - error.start), error.end))
# The delimiters a header is split with, in the order a tie between them is decided.
DELIMITERS = ("\t", ";", ",")
# A quote opens a field after any of these while the delimiter is not yet known (the header).
ANY_DELIMITER = ",;\t|"
# Excel's hint of the delimiter, a first line such as ``sep=;``.
SEPARATOR_HINT = re.compile(r'"?sep=([,;\t|])"?[,;\t|]*\Z')
SAMPLE_ROWS = 50
MAX_SAMPLE_CHARS = 200

class FileError(Exception):
    """The file as a whole cannot be imported (format, encoding, header)."""


def header_key(text):
    """A header cell reduced for lookup: width, case, spaces, ``*`` and bracketed hints ignored."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", text)  # linear: no backtracking over open brackets
    return re.sub(r"[\s*_]+", "", text)


def clean(value):
    """A cell as text (None when empty); whole numbers from spreadsheets lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def is_utf16(first_chunk):
    """Whether a file starts with a UTF-16 byte order mark (LE ``FF FE`` or BE ``FE FF``; not UTF-32)."""
    return first_chunk.startswith(UTF16_BOMS) and not first_chunk.startswith(UTF32_LE_BOM)


def transcode_utf16(chunks):
    """UTF-16 byte chunks (with their BOM) as UTF-8 ones, the BOM dropped: one out for each chunk in
    (an empty one when a chunk ends inside the character it started), at most 1.5 times its size
    plus 4 bytes. What does not decode (a lone surrogate, an odd last byte) becomes a byte no
    UTF-8 text holds, so its record reads as unreadable."""
    return (data for _, data in _transcoded(enumerate(chunks)))


def _transcoded(chunks):
    """``(seq, bytes)`` chunks of UTF-16 as ``(seq, UTF-8 bytes)``, one for one."""
    decoder = codecs.getincrementaldecoder(UTF16)(UNREADABLE_UTF16)
    pending = None
    for seq, data in chunks:
        if pending is not None:
            yield pending
        pending = seq, decoder.decode(data).encode("utf-8", "surrogateescape")
    if pending is not None:
        yield pending[0], pending[1] + decoder.decode(b"", final=True).encode("utf-8", "surrogateescape")


def utf8_chunks_from(chunks_from, first_chunk):
    """``chunks_from`` as UTF-8: unchanged, or for a UTF-16 file transcoded from the start on each
    call (for reading the first rows; a job reads chunks rewritten with ``transcode_utf16``)."""
    if not is_utf16(first_chunk):
        return chunks_from
    return lambda seq: ((at, data) for at, data in _transcoded(chunks_from(0)) if at >= seq)


def sniff(first_chunk):
    """``"csv"`` or ``"xlsx"`` from the first bytes; FileError for anything else."""
    if first_chunk.startswith(ZIP_MAGIC):
        return "xlsx"
    if first_chunk.startswith(OLE_MAGIC):
        raise FileError("Old Excel (.xls) files are not supported; save the sheet as .xlsx or CSV.")
    if is_utf16(first_chunk):
        return "csv"
    if b"\x00" in first_chunk[:4096]:
        raise FileError("The file is neither CSV nor XLSX.")
    return "csv"


def detect_encoding(first_chunk):
    """``utf-16`` after a UTF-16 BOM; ``utf-8`` (with or without BOM) if the first chunk decodes as
    such, else ``gb18030`` (GBK)."""
    if is_utf16(first_chunk):
        return UTF16
    if first_chunk.startswith(BOM):
        return "utf-8"
    for name in ENCODINGS:
        try:
            codecs.getincrementaldecoder(name)().decode(first_chunk, final=False)
            return name
        except UnicodeDecodeError:
            continue
    raise FileError("The CSV file is neither UTF-8 nor GBK text.")


def decode(record, encoding):
    """A CSV record's text: the job's encoding first, then the other one; None if neither fits.
    A UTF-16 file's records are read transcoded, as UTF-8."""
    encoding = "utf-8" if encoding == UTF16 else encoding
    for name in (encoding,) + tuple(e for e in ENCODINGS if e != encoding):
        try:
            return record.decode(name)
        except UnicodeDecodeError:
            continue
    return None


def parse_record(text, delimiter):
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as exc:
        raise FileError("A row of the file cannot be read as CSV (%s)." % exc)
    return rows[0] if rows else []


def guess_delimiter(header_text):
    """The delimiter that splits the header into the most fields, quotes read as the csv module
    reads them; on a tie tab, then semicolon, then comma (a file quotes its own delimiter in a
    header, not another one). Comma when nothing splits it."""
    fields = {d: len(parse_record(header_text, d)) for d in DELIMITERS}
    best = max(fields, key=fields.get)
    return best if fields[best] > 1 else ","


def csv_records(chunks, position, delimiter=","):
    """``(record_bytes, next_position)`` from ``position`` over ``chunks`` (``(seq, bytes)`` from
    ``position["seq"]`` on). A record longer than MAX_RECORD_BYTES (a quote never closed) is cut
    at the next line end (a line without end at eight times that), so the rows after it import."""
    record, line_start, quoted, row = bytearray(), 0, False, position["row"]
    seq, pos = position["seq"], position["offset"]
    for seq, data in chunks:
        while pos < len(data):
            newline = data.find(b"\n", pos)
            end = len(data) if newline < 0 else newline + 1
            record += data[pos:end]
            pos = end
            if newline >= 0:
                quoted = _quoted_after(record, line_start, quoted, delimiter.encode())
                line_start = len(record)
            if (newline >= 0 and (not quoted or len(record) > MAX_RECORD_BYTES)) or len(record) > 8 * MAX_RECORD_BYTES:
                row += 1
                yield bytes(record), _after(seq, pos, len(data), row)
                record, line_start, quoted = bytearray(), 0, False
        pos = 0
    if record:
        yield bytes(record), {"seq": seq + 1, "offset": 0, "row": row + 1}


def _quoted_after(buffer, start, quoted, delimiter):
    """Whether the line from ``start`` ends inside a quoted field, as the csv module reads it: a
    quote opens a field only at its start (after any byte of ``delimiter``); inside one, ``""``
    is a quote and ``"`` closes it."""
    i = buffer.find(b'"', start)
    while i >= 0:
        if quoted:
            if buffer[i + 1:i + 2] == b'"':
                i = buffer.find(b'"', i + 2)
                continue
            quoted = False
        elif i == start or buffer[i - 1:i] in delimiter:
            quoted = True
        i = buffer.find(b'"', i + 1)
    return quoted


def _after(seq, pos, size, row):
    return {"seq": seq + 1, "offset": 0, "row": row} if pos >= size else {"seq": seq, "offset": pos, "row": row}


class CsvRows:
    """Rows of a CSV job from a position: ``(row_number, cells or None if undecodable, next_position)``."""

    def __init__(self, chunks_from, encoding, delimiter):
        self.chunks_from = chunks_from
        self.encoding = encoding
        self.delimiter = delimiter

    def rows(self, position):
        for record, after in csv_records(self.chunks_from(position["seq"]), position, self.delimiter):
            text = decode(record, self.encoding)
            if text is None or len(record) > MAX_RECORD_BYTES:
                yield after["row"], None, after
                continue
            yield after["row"], parse_record(text.rstrip("\r\n"), self.delimiter), after

    def close(self):
        pass


def header_of_csv(chunks, first_chunk):
    """(encoding, delimiter, header cells, position after the header). ``chunks`` are the stored
    ones from 0; a UTF-16 file's are read transcoded (positions are the UTF-8 text's, as in chunks
    rewritten with ``transcode_utf16``). A first line ``sep=;`` names the delimiter and is skipped:
    the header is still row 1."""
    encoding = detect_encoding(first_chunk)
    if encoding == UTF16:
        chunks = _transcoded(chunks)
    start = {"seq": 0, "offset": len(BOM) if first_chunk.startswith(BOM) else 0, "row": 0}
    hinted = None
    for record, after in csv_records(chunks, start, ANY_DELIMITER):
        text = decode(record, encoding)
        if text is None:
            raise FileError("The header row is not readable text.")
        text = text.rstrip("\r\n")
        hint = SEPARATOR_HINT.match(text) if after["row"] == 1 else None
        if hint:
            hinted = hint.group(1)
            continue
        if hinted:
            after = dict(after, row=after["row"] - 1)
        delimiter = hinted or guess_delimiter(text)
        return encoding, delimiter, parse_record(text, delimiter), after
    raise FileError("The file is empty.")


class XlsxRows:
    """Rows of one sheet of an XLSX file (``sheet`` by name; None: the first), assembled from the
    chunks into a temporary file and read by ``xlsx.Workbook`` (bounded: see that module).

    The open reader is kept between batches (``rows`` continues where it stopped); a position it
    is not at (another process worked on the job) means reopening and skipping to it.
    """

    def __init__(self, job_id, chunks_from, sheet=None):
        self.path = os.path.join(tempfile.gettempdir(), "crm-import-%s.xlsx" % job_id)
        self.chunks_from = chunks_from
        self.sheet = sheet
        self.workbook = None
        self.iterator = None
        self.row = None

    def _assemble(self):
        if not os.path.exists(self.path):
            partial = self.path + ".part"
            with open(partial, "wb") as out:
                for _, data in self.chunks_from(0):
                    out.write(data)
            os.replace(partial, self.path)

    def _open(self):
        self.close()
        self._assemble()
        try:
            self.workbook = xlsx.Workbook(self.path, self.sheet)
        except xlsx.WorkbookError as exc:
            self.discard()
            raise FileError(str(exc))
        self.iterator = iter(self.workbook.rows)
        self.row = 0

    def sheet_names(self):
        """The workbook's sheet names, in workbook order."""
        if self.workbook is not None:
            return list(self.workbook.sheets)
        self._assemble()
        try:
            return xlsx.sheet_names(self.path)
        except xlsx.WorkbookError as exc:
            self.discard()
            raise FileError(str(exc))

    def sheet_read(self):
        """The name of the sheet the rows come from (opening the workbook if need be)."""
        if self.workbook is None:
            self._open()
        return self.workbook.sheet

    def header(self):
        self._open()
        for number, cells, after in self.rows({"row": 0}):
            if cells is None:
                raise FileError("The header row is longer than %d characters." % xlsx.MAX_ROW_CHARS)
            return list(cells), after
        raise FileError("The sheet is empty.")

    def rows(self, position):
        if self.iterator is None or self.row != position["row"]:
            self._open()
        try:
            for number, cells in self.iterator:
                self.row = number
                if number <= position["row"]:
                    continue
                yield number, cells, {"seq": 0, "offset": 0, "row": number}
        except xlsx.WorkbookError as exc:
            raise FileError(str(exc))

    def close(self):
        if self.workbook is not None:
            self.workbook.close()
        self.workbook = self.iterator = self.row = None

    def discard(self):
        self.close()
        if os.path.exists(self.path):
            os.remove(self.path)


def preview(chunks_from, first_chunk, job_id, sheet=None, rows=5):
    """What the start of a file holds, for choosing its columns' fields: ``format``, ``encoding``,
    ``delimiter`` (CSV), ``sheets`` and ``sheet`` (XLSX), ``header`` (cleaned texts, blanks ""),
    ``samples`` (per column the first ``rows`` non-empty cleaned values among the first SAMPLE_ROWS
    data rows, each cut at MAX_SAMPLE_CHARS) and ``rows_read`` (data rows read). Reads only those
    rows of a CSV (a UTF-16 one transcoded on the way); an XLSX goes through the temporary file,
    removed again."""
    shown = {"format": sniff(first_chunk), "encoding": None, "delimiter": None, "sheets": [], "sheet": None}
    if shown["format"] == "csv":
        utf8_from = utf8_chunks_from(chunks_from, first_chunk)
        encoding, delimiter, header, after = header_of_csv(chunks_from(0), first_chunk)
        shown.update(encoding=encoding, delimiter=delimiter)
        shown.update(first_values(header, CsvRows(utf8_from, encoding, delimiter).rows(after), rows))
        return shown
    reader = XlsxRows(job_id, chunks_from, sheet)
    try:
        header, after = reader.header()
        shown.update(sheets=reader.sheet_names(), sheet=reader.sheet_read())
        shown.update(first_values(header, reader.rows(after), rows))
    finally:
        reader.discard()
    return shown


def first_values(header, data_rows, rows=5):
    """``header``, ``samples`` and ``rows_read`` from the rows after the header (``(number, cells,
    position)`` as a reader gives them): what a preview shows, and what places a column by its values."""
    samples, read = [[] for _ in header], 0
    for _, cells, _ in data_rows:
        read += 1
        for index, value in enumerate((cells or [])[:len(header)]):
            text = clean(value)
            if text is not None and len(samples[index]) < rows:
                samples[index].append(text if len(text) <= MAX_SAMPLE_CHARS else text[:MAX_SAMPLE_CHARS] + "…")
        if read >= SAMPLE_ROWS:
            break
    return {"header": [clean(cell) or "" for cell in header], "samples": samples, "rows_read": read}


def size(cells):
    """About how much memory a row's cells hold (characters of its text)."""
    return sum(len(cell) if isinstance(cell, str) else 8 for cell in cells or ())


def is_blank(cells):
    return cells is not None and all(clean(cell) is None for cell in cells)
