"""Reading an uploaded customer file (CSV in UTF-8/GBK, or XLSX) row by row from stored chunks.

A read position is ``{"seq", "offset", "row"}``: for CSV the chunk and byte where the next record
starts, for XLSX only ``row``; ``row`` is the file row last consumed (1 = the header). Nothing
holds the whole file: CSV is split into records at the byte level (a newline ends a record outside
a quoted field; newline, quote and delimiter bytes never occur inside a UTF-8 or GB18030
character), XLSX is read from a temporary file by ``xlsx``, which bounds what a workbook may expand to.
"""
import codecs
import csv
import datetime
import io
import os
import re
import tempfile
import unicodedata

from services.common import messages
from services.customers import company_sizes, xlsx

BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
MAX_RECORD_BYTES = 256 * 1024
# A header cell longer than this names no known column (it is not even looked up).
MAX_HEADER_CHARS = 200
# Python's csv refuses a field over 128 KiB by default; a record may be up to 8 * MAX_RECORD_BYTES.
csv.field_size_limit(8 * MAX_RECORD_BYTES)
ENCODINGS = ("utf-8", "gb18030")

ADDRESS_FIELDS = ("street", "city", "province", "postal_code")
LIST_FIELDS = ("tags", "main_products")
LIST_SEPARATORS = re.compile(r"[,，、;；|]")

HEADERS = {field: field for field in (
    "legal_name", "short_name", "tax_id", "external_code", "country", "industry", "industry_code", "company_size",
    "employees", "annual_revenue", "main_products", "website", "phone", "email", "source_channel", "tags", "notes",
    "status", "account_type",
) + ADDRESS_FIELDS}
HEADERS.update({
    "客户名称": "legal_name", "公司名称": "legal_name", "企业名称": "legal_name", "名称": "legal_name",
    "name": "legal_name", "company": "legal_name", "companyname": "legal_name", "legalname": "legal_name",
    "简称": "short_name", "客户简称": "short_name", "shortname": "short_name",
    "统一社会信用代码": "tax_id", "信用代码": "tax_id", "税号": "tax_id", "纳税人识别号": "tax_id",
    "uscc": "tax_id", "taxid": "tax_id",
    "外部编码": "external_code", "客户编码": "external_code", "编码": "external_code",
    "externalcode": "external_code", "code": "external_code",
    "国家": "country", "国家地区": "country", "行业": "industry", "所属行业": "industry",
    "行业代码": "industry_code", "行业编码": "industry_code", "国民经济行业代码": "industry_code",
    "员工人数": "employees", "员工数": "employees", "人数": "employees", "从业人员": "employees",
    "从业人数": "employees", "staff": "employees",
    "规模": "company_size", "企业规模": "company_size", "公司规模": "company_size", "companysize": "company_size",
    "年营业额": "annual_revenue", "营业额": "annual_revenue", "年收入": "annual_revenue",
    "annualrevenue": "annual_revenue", "revenue": "annual_revenue",
    "主要产品": "main_products", "主营产品": "main_products", "mainproducts": "main_products",
    "products": "main_products",
    "网站": "website", "网址": "website", "官网": "website",
    "电话": "phone", "公司电话": "phone", "联系电话": "phone", "telephone": "phone", "tel": "phone",
    "邮箱": "email", "电子邮箱": "email", "电子邮件": "email", "e-mail": "email", "mail": "email",
    "来源": "source_channel", "客户来源": "source_channel", "来源渠道": "source_channel",
    "sourcechannel": "source_channel", "source": "source_channel",
    "标签": "tags", "tag": "tags", "备注": "notes", "note": "notes",
    "省份": "province", "省": "province", "省市": "province", "state": "province",
    "城市": "city", "市": "city",
    "地址": "street", "详细地址": "street", "街道": "street", "address": "street",
    "邮编": "postal_code", "邮政编码": "postal_code", "postcode": "postal_code", "zip": "postal_code",
})

HEADERS = {re.sub(r"[\s*_]+", "", name.lower()): field for name, field in HEADERS.items()}

# Columns of an export that an import reads past (system-kept or not the customer's own data), and
# their headers (by ``header_key``; ``_recognise_export_headers``).
READ_ONLY = set()
READ_ONLY_FIELDS = {"id", "site_id", "owner_id", "parent_id", "tier", "lifecycle_stage", "churn_risk", "completeness",
                   "last_order_date", "next_followup_date", "last_verified_at", "created_at", "updated_at",
                   "primary_contact", "contact_phone", "contact_email"}
FIELDS = set(HEADERS.values())


class FileError(Exception):
    """The file as a whole cannot be imported (format, encoding, header)."""


def header_key(text):
    """A header cell reduced for lookup: width, case, spaces, ``*`` and bracketed hints ignored."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", text)  # linear: no backtracking over open brackets
    return re.sub(r"[\s*_]+", "", text)


def _recognise_export_headers():
    """An exported file imports again in either language: each column's header (the ``columns``
    catalogue the export's header is written with) names its field, or a column an import reads past."""
    for field, labels in messages.labelled("", "columns").items():
        for label in labels.values():
            key = header_key(label)
            if field in READ_ONLY_FIELDS:
                READ_ONLY.add(key)
            elif field in FIELDS:
                HEADERS.setdefault(key, field)


def map_headers(cells):
    """The customer field of each column (None for a blank header); FileError naming unknown ones."""
    columns, unknown, seen = [], [], {}
    for cell in cells:
        text = clean(cell)
        if not text:
            columns.append(None)
            continue
        if len(text) > MAX_HEADER_CHARS:
            unknown.append(text[:MAX_HEADER_CHARS] + "…")
            columns.append(None)
            continue
        key = header_key(text)
        field = HEADERS.get(key) or HEADERS.get(key.replace("-", ""))
        if field is None and key in READ_ONLY:
            columns.append(None)
            continue
        if field is None:
            unknown.append(text)
        elif field in seen:
            raise FileError("Columns %r and %r both hold %s." % (seen[field], text, field))
        else:
            seen[field] = text
        columns.append(field)
    if unknown:
        raise FileError("Unknown column(s): %s." % ", ".join(unknown))
    if "legal_name" not in seen:
        raise FileError("The file has no column for the customer name (客户名称 / legal_name).")
    return columns


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


def sniff(first_chunk):
    """``"csv"`` or ``"xlsx"`` from the first bytes; FileError for anything else."""
    if first_chunk.startswith(ZIP_MAGIC):
        return "xlsx"
    if first_chunk.startswith(OLE_MAGIC):
        raise FileError("Old Excel (.xls) files are not supported; save the sheet as .xlsx or CSV.")
    if b"\x00" in first_chunk[:4096]:
        raise FileError("The file is neither CSV nor XLSX.")
    return "csv"


def detect_encoding(first_chunk):
    """``utf-8`` (with or without BOM) if the first chunk decodes as such, else ``gb18030`` (GBK)."""
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
    """A CSV record's text: the job's encoding first, then the other one; None if neither fits."""
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
    counts = {d: header_text.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


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
    quote opens a field only at its start; inside one, ``""`` is a quote and ``"`` closes it."""
    i = buffer.find(b'"', start)
    while i >= 0:
        if quoted:
            if buffer[i + 1:i + 2] == b'"':
                i = buffer.find(b'"', i + 2)
                continue
            quoted = False
        elif i == start or buffer[i - 1:i] == delimiter:
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
    """(encoding, delimiter, header cells, position after the header)."""
    encoding = detect_encoding(first_chunk)
    start = {"seq": 0, "offset": len(BOM) if first_chunk.startswith(BOM) else 0, "row": 0}
    for record, after in csv_records(chunks, start):
        text = decode(record, encoding)
        if text is None:
            raise FileError("The header row is not readable text.")
        text = text.rstrip("\r\n")
        delimiter = guess_delimiter(text)
        return encoding, delimiter, parse_record(text, delimiter), after
    raise FileError("The file is empty.")


class XlsxRows:
    """Rows of the first sheet of an XLSX file, assembled from the chunks into a temporary file and
    read by ``xlsx.Workbook`` (bounded: see that module).

    The open reader is kept between batches (``rows`` continues where it stopped); a position it
    is not at (another process worked on the job) means reopening and skipping to it.
    """

    def __init__(self, job_id, chunks_from):
        self.path = os.path.join(tempfile.gettempdir(), "crm-import-%s.xlsx" % job_id)
        self.chunks_from = chunks_from
        self.workbook = None
        self.iterator = None
        self.row = None

    def _open(self):
        self.close()
        if not os.path.exists(self.path):
            partial = self.path + ".part"
            with open(partial, "wb") as out:
                for _, data in self.chunks_from(0):
                    out.write(data)
            os.replace(partial, self.path)
        try:
            self.workbook = xlsx.Workbook(self.path)
        except xlsx.WorkbookError as exc:
            self.discard()
            raise FileError(str(exc))
        self.iterator = iter(self.workbook.rows)
        self.row = 0

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


def size(cells):
    """About how much memory a row's cells hold (characters of its text)."""
    return sum(len(cell) if isinstance(cell, str) else 8 for cell in cells or ())


def is_blank(cells):
    return cells is not None and all(clean(cell) is None for cell in cells)


def split_list(text):
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]


def number(text):
    """A revenue cell as a number where it reads as one ("1,200,000", "¥5000"); else unchanged."""
    if isinstance(text, (int, float)):
        return text
    compact = re.sub(r"[\s,，¥￥元]", "", text)
    try:
        return float(compact)
    except ValueError:
        return text


def whole(text):
    """A head count as a whole number where it reads as one ("1,200", "1200人"); else unchanged."""
    found = number(re.sub(r"[人名]$", "", text))
    return int(found) if isinstance(found, float) and found.is_integer() else text


def row_data(columns, cells):
    """The customer data of one row (fields with a value only) and the cells beyond the header."""
    data, address = {}, {}
    for index, field in enumerate(columns):
        if field is None or index >= len(cells):
            continue
        raw = cells[index]
        value = raw if field == "annual_revenue" and isinstance(raw, (int, float)) else clean(raw)
        if value is None:
            continue
        if field in LIST_FIELDS:
            value = split_list(value)
        elif field == "annual_revenue":
            value = number(value)
        elif field == "employees":
            value = whole(value)
        elif field == "company_size":
            value = company_sizes.code_of(value) or value
        if field in ADDRESS_FIELDS:
            address[field] = value
        else:
            data[field] = value
    if address:
        data["addresses"] = [dict(address, type="billing")]
    extra = [clean(cell) for cell in cells[len(columns):] if clean(cell) is not None]
    return data, extra


_recognise_export_headers()
