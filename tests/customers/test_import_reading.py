"""Reading files other systems export: UTF-16 "Unicode text", delimiters and Excel's ``sep=`` hint,
GBK and UTF-8 with a BOM, workbooks of several sheets, and the preview of a file's first rows."""
import pytest

from services.common import messages
from services.customers import tabular, xlsx
from tests.customers import samples

EMOJI_TEXT = "legal_name\tnotes\r\nAcme 😀 Co\t客户\r\n"


def stream(parts, read=None):
    """A job's ``chunks_from`` over ``parts``; ``read`` collects the seqs handed out."""
    def chunks_from(seq):
        for i, part in enumerate(parts):
            if i >= seq:
                if read is not None:
                    read.append(i)
                yield i, part
    return chunks_from


def rows_of(parts, encoding, delimiter, position):
    return [(number, cells) for number, cells, _ in tabular.CsvRows(stream(parts), encoding, delimiter).rows(position)]


def read_stored(raw, size):
    """A file uploaded in chunks of ``size``, read as a job does: the header from the stored chunks,
    the rows from the chunks as rewritten with ``transcode_utf16`` for a UTF-16 file."""
    parts = samples.chunks(raw, size)
    encoding, delimiter, header, after = tabular.header_of_csv(stream(parts)(0), parts[0])
    if tabular.is_utf16(parts[0]):
        parts = list(tabular.transcode_utf16(parts))
    return encoding, delimiter, header, rows_of(parts, encoding, delimiter, after)


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("size", [2, 3, 5, 7, 64, 1 << 20])
def test_excel_unicode_text_reads_as_tab_separated_utf16(size, big_endian):
    raw = samples.unicode_text_bytes(samples.zoho_rows(), samples.ZOHO_HEADERS, big_endian)
    assert raw.startswith(b"\xfe\xff" if big_endian else b"\xff\xfe") and len(raw) % 2 == 0
    assert tabular.sniff(raw[:size]) == "csv" and tabular.is_utf16(raw[:size])
    encoding, delimiter, header, rows = read_stored(raw, size)
    assert (encoding, delimiter, header) == ("utf-16", "\t", samples.ZOHO_HEADERS)
    assert rows == [(number, row) for number, row in enumerate(samples.zoho_rows(), 2)]
    assert rows[0][1][6] == 'Says "call first"\nthen e-mail' and rows[2][1][0] == "Delta 😀 Tools"


def test_transcoding_keeps_one_chunk_for_each_and_drops_the_bom():
    raw = b"\xff\xfe" + EMOJI_TEXT.encode("utf-16-le")
    for size in range(1, 12):
        parts = samples.chunks(raw, size)
        out = list(tabular.transcode_utf16(parts))
        assert len(out) == len(parts) and b"".join(out) == EMOJI_TEXT.encode()
    assert list(tabular.transcode_utf16(iter([]))) == []


def test_a_chunk_boundary_inside_a_character_or_a_surrogate_pair():
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        raw = bom + EMOJI_TEXT.encode(codec)
        emoji = len(bom) + EMOJI_TEXT.index("😀") * 2  # its surrogate pair: four bytes from here
        cjk = len(bom) + (EMOJI_TEXT.index("客") + 1) * 2  # after the pair, one code unit more in
        for cut in (emoji + 1, emoji + 2, emoji + 3, cjk + 1):
            parts = [raw[:cut], raw[cut:]]
            out = list(tabular.transcode_utf16(parts))
            assert b"".join(out) == EMOJI_TEXT.encode()
            encoding, delimiter, header, rows = read_stored(raw, cut)
            assert rows == [(2, ["Acme 😀 Co", "客户"])]
        pair_cut = list(tabular.transcode_utf16([raw[:emoji + 2], raw[emoji + 2:emoji + 4], raw[emoji + 4:]]))
        assert pair_cut[1] == "😀".encode()  # the pair is written whole with its second half


def test_an_odd_byte_count_or_a_lone_surrogate_spoils_one_row_only():
    good = b"\xff\xfe" + "legal_name\r\nFirst\r\n".encode("utf-16-le")
    lone = "Bad ".encode("utf-16-le") + b"\x00\xd8" + "\r\n".encode("utf-16-le")
    last = "Last\r\n".encode("utf-16-le")
    for raw in (good + lone + last, good + last + b"A"):
        for size in (3, 4, 1 << 20):
            encoding, _, header, rows = read_stored(raw, size)
            assert encoding == "utf-16" and header == ["legal_name"]
            assert [cells for _, cells in rows].count(None) == 1
            assert ["First"] in [cells for _, cells in rows] and ["Last"] in [cells for _, cells in rows]
    _, _, _, rows = read_stored(good + last + b"A", 5)
    assert rows == [(2, ["First"]), (3, ["Last"]), (4, None)]


def test_transcoded_chunks_stay_within_half_as_much_again():
    raw = b"\xff\xfe" + ("客户名称,乙\r\n" * 80_000).encode("utf-16-le")
    parts = samples.chunks(raw, 1 << 20)
    assert len(parts) > 1
    assert all(len(out) <= len(part) * 3 // 2 + 4 for out, part in zip(tabular.transcode_utf16(parts), parts))


def test_sniff_takes_utf16_with_its_bom_but_no_other_nul_bytes():
    assert tabular.sniff(b"\xff\xfel\x00e\x00") == tabular.sniff(b"\xfe\xff\x00l\x00e") == "csv"
    for data in (b"legal\x00name\n", b"\xff\xfe\x00\x00l\x00\x00\x00"):
        with pytest.raises(tabular.FileError):
            tabular.sniff(data)
    assert not tabular.is_utf16(b"\xef\xbb\xbflegal_name") and tabular.detect_encoding(b"\xff\xfea\x00") == "utf-16"


@pytest.mark.parametrize("header, delimiter", [
    ('"Company, Inc",Tax ID,"City, Province"', ","),
    ('"Name; alias","Tax; ID",Phone', ","),
    ('Name;"Tax, ID";"Phone, main"', ";"),
    ("Name;Tax ID;Phone, main", ";"),
    ("Company, Inc\tTax ID", "\t"),
    ("legal_name", ","),
])
def test_the_delimiter_splits_the_header_into_the_most_fields(header, delimiter):
    assert tabular.guess_delimiter(header) == delimiter


def test_a_semicolon_file_with_quoted_commas_and_a_line_break_in_its_header():
    raw = 'Name;"Tax, ID";"Phone\nmain"\r\n"Acme, Inc";913201;"0512; 1"\r\n'.encode()
    for size in (1, 4, 1 << 20):
        encoding, delimiter, header, rows = read_stored(raw, size)
        assert delimiter == ";" and header == ["Name", "Tax, ID", "Phone\nmain"]
        assert rows == [(2, ["Acme, Inc", "913201", "0512; 1"])]


@pytest.mark.parametrize("hint", ["sep=;", '"sep=;"', "sep=;;;"])
def test_excels_sep_hint_names_the_delimiter_and_is_skipped(hint):
    rows = [samples.customer_row(1), samples.customer_row(2)]
    body = samples.delimited_bytes(rows, samples.HEADERS_CN, ";")
    for raw in ((hint + "\r\n").encode() + body, b"\xef\xbb\xbf" + (hint + "\n").encode() + body):
        for size in (3, 9, 1 << 20):  # an upload's first chunk holds a BOM whole
            encoding, delimiter, header, read = read_stored(raw, size)
            assert (encoding, delimiter, header) == ("utf-8", ";", samples.HEADERS_CN)
            assert read == [(2, rows[0]), (3, rows[1])]


def test_a_sep_hint_of_a_tab_and_one_in_utf16():
    raw = samples.unicode_text_bytes([["Acme, Inc", "x;y"]], ["legal_name", "notes"])
    hinted = raw[:2] + "sep=\t\r\n".encode("utf-16-le") + raw[2:]
    assert read_stored(hinted, 7) == ("utf-16", "\t", ["legal_name", "notes"], [(2, ["Acme, Inc", "x;y"])])


def test_gbk_and_utf8_with_a_bom():
    rows = [samples.customer_row(1)]
    for raw, expected in ((samples.delimited_bytes(rows, samples.HEADERS_CN, ",", "gbk"), "gb18030"),
                          (samples.csv_bytes(rows, samples.HEADERS_CN, bom=True), "utf-8")):
        for size in (3, 5, 1 << 20):
            encoding, delimiter, header, read = read_stored(raw, size)
            assert (encoding, delimiter, header, read) == (expected, ",", samples.HEADERS_CN, [(2, rows[0])])


def three_sheets():
    return samples.workbook_bytes({
        "Notes": [["Read me first"]],
        "客户": [samples.HEADERS_CN] + [samples.customer_row(n) for n in range(3)],
        "Contacts": [["name", "phone"], ["Li Wei", "13800000000"]],
    })


def test_a_workbook_of_three_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(three_sheets())
    assert xlsx.sheet_names(str(path)) == ["Notes", "客户", "Contacts"]
    book = xlsx.Workbook(str(path), "客户")
    try:
        rows = list(book.rows)
        assert book.sheets == ["Notes", "客户", "Contacts"] and book.sheet == "客户"
        assert rows[0] == (1, samples.HEADERS_CN) and rows[1][1][0] == samples.customer_row(0)[0] and len(rows) == 4
    finally:
        book.close()
    first = xlsx.Workbook(str(path), " ")  # blank: the first
    try:
        assert first.sheet == "Notes" and list(first.rows) == [(1, ["Read me first"])]
    finally:
        first.close()
    upper = xlsx.Workbook(str(path), " contacts ")
    try:
        assert upper.sheet == "Contacts"
    finally:
        upper.close()
    with pytest.raises(xlsx.WorkbookError) as error:
        xlsx.Workbook(str(path), "Orders")
    assert str(error.value) == "The workbook has no sheet named Orders."
    assert messages.localize(str(error.value), "zh-CN")["message"] == "工作簿中没有名为“Orders”的工作表。"


def test_a_chart_sheet_is_no_sheet_to_read(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.active.append(["legal_name"])
    book.create_chartsheet("Chart")
    path = tmp_path / "chart.xlsx"
    book.save(path)
    assert xlsx.sheet_names(str(path)) == ["Data"]


def test_xlsx_rows_read_a_named_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular.tempfile, "gettempdir", lambda: str(tmp_path))
    parts = samples.chunks(three_sheets(), 1000)
    reader = tabular.XlsxRows("job2", stream(parts), sheet="客户")
    assert reader.sheet_names() == ["Notes", "客户", "Contacts"]
    header, after = reader.header()
    assert header == samples.HEADERS_CN and [number for number, _, _ in reader.rows(after)] == [2, 3, 4]
    assert reader.sheet_names() == ["Notes", "客户", "Contacts"] and reader.sheet_read() == "客户"
    reader.discard()
    unknown = tabular.XlsxRows("job3", stream(parts), sheet="Orders")
    with pytest.raises(tabular.FileError) as error:
        unknown.header()
    assert "no sheet named Orders" in str(error.value)


def test_preview_of_utf16_le_and_be():
    for big_endian in (False, True):
        raw = samples.unicode_text_bytes(samples.zoho_rows(), samples.ZOHO_HEADERS, big_endian)
        parts = samples.chunks(raw, 7)
        shown = tabular.preview(stream(parts), parts[0], "u1")
        assert shown["format"] == "csv" and shown["encoding"] == "utf-16" and shown["delimiter"] == "\t"
        assert shown["sheets"] == [] and shown["sheet"] is None and shown["header"] == samples.ZOHO_HEADERS
        assert shown["rows_read"] == 3
        assert shown["samples"][0] == ["Acme, Inc.", "华东精密零件有限公司", "Delta 😀 Tools"]
        assert shown["samples"][3] == ["acme.example.com"] and shown["samples"][6][1] == "重点客户 🚀"


def test_preview_of_semicolon_gbk_and_utf8_bom_files():
    rows = [samples.customer_row(n) for n in range(3)]
    files = [
        (samples.delimited_bytes(rows, samples.HEADERS_CN, ";", sep_hint=True), "utf-8", ";"),
        (samples.delimited_bytes(rows, samples.HEADERS_CN, ",", "gbk"), "gb18030", ","),
        (samples.csv_bytes(rows, samples.HEADERS_CN, bom=True), "utf-8", ","),
    ]
    for raw, encoding, delimiter in files:
        parts = samples.chunks(raw, 5)
        shown = tabular.preview(stream(parts), parts[0], "u2")
        assert (shown["encoding"], shown["delimiter"], shown["header"]) == (encoding, delimiter, samples.HEADERS_CN)
        assert shown["samples"][0] == [row[0] for row in rows] and shown["rows_read"] == 3


def test_preview_keeps_five_non_empty_values_of_fifty_rows_and_reads_no_further():
    rows = [["Co %d" % n, "" if n % 2 else "x" * 300, ""] for n in range(2000)]
    raw = samples.delimited_bytes(rows, ["legal_name", "notes", " "])
    read = []
    parts = samples.chunks(raw, 1000)
    shown = tabular.preview(stream(parts, read), parts[0], "u3", rows=5)
    assert shown["header"] == ["legal_name", "notes", ""] and shown["rows_read"] == 50
    assert shown["samples"][0] == ["Co %d" % n for n in range(5)] and shown["samples"][2] == []
    assert shown["samples"][1] == ["x" * 200 + "…"] * 5
    assert max(read) <= 20 < len(parts)
    utf16 = samples.chunks(samples.unicode_text_bytes(rows, ["legal_name", "notes", "tags"]), 1000)
    read.clear()
    assert tabular.preview(stream(utf16, read), utf16[0], "u4")["rows_read"] == 50 and max(read) <= 40 < len(utf16)


def test_preview_of_a_workbook_names_its_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular.tempfile, "gettempdir", lambda: str(tmp_path))
    parts = samples.chunks(three_sheets(), 1000)
    shown = tabular.preview(stream(parts), parts[0], "u5", sheet="客户")
    assert shown["format"] == "xlsx" and shown["encoding"] is None and shown["delimiter"] is None
    assert shown["sheets"] == ["Notes", "客户", "Contacts"] and shown["sheet"] == "客户"
    assert shown["header"] == samples.HEADERS_CN and shown["rows_read"] == 3
    assert shown["samples"][11] == [str(1000000 + n) for n in range(3)]
    first = tabular.preview(stream(parts), parts[0], "u5")
    assert first["sheet"] == "Notes" and first["header"] == ["Read me first"] and first["rows_read"] == 0
    with pytest.raises(tabular.FileError):
        tabular.preview(stream(parts), parts[0], "u5", sheet="Orders")
    assert list(tmp_path.iterdir()) == []
