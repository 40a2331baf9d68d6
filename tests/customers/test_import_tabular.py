"""Reading customer files: headers, CSV records across chunk boundaries, encodings, XLSX, resuming."""
import pytest

from services.customers import import_convert, import_mapping, tabular
from tests.customers import samples


def stream(parts):
    return lambda seq: ((i, part) for i, part in enumerate(parts) if i >= seq)


def read_all(reader, position):
    return [(number, cells) for number, cells, _ in reader.rows(position)]


def columns(headers, mapping=None):
    """``(fields, skipped)`` of a file's header row, as an import job places it."""
    found, skipped, _ = import_mapping.columns_of("customers", headers, [[] for _ in headers], mapping)
    return found, skipped


def test_headers_in_chinese_or_english_map_to_fields():
    found, skipped = columns(["客户名称*", "统一社会信用代码（必填）", "E-mail", " Tags ", "", "id", "地址"])
    assert found == ["legal_name", "tax_id", "email", "tags", None, None, "street"] and skipped == []
    assert columns(samples.HEADERS_CN) == columns(samples.HEADERS_EN)


def test_unknown_columns_are_skipped_and_listed_and_a_file_without_names_cannot_be_imported():
    assert columns(["客户名称", "颜色", "size"]) == (["legal_name", None, None], ["颜色", "size"])
    assert columns(["客户名称", "公司名称"]) == (["legal_name", None], ["公司名称"])
    assert import_mapping.problems("customers", [None], ["税号 x"]) == ["The file has no column for legal_name."]
    twice = ["legal_name", "legal_name"]
    assert "both hold legal_name" in import_mapping.problems("customers", twice, ["A", "B"])[0]
    mapped = columns(["公司", "备注", "颜色"], {"公司": "legal_name", "备注": None})
    assert mapped == (["legal_name", None, None], ["备注", "颜色"])


def test_a_hostile_header_is_skipped_and_read_in_linear_time():
    """Unclosed brackets once made the bracket-stripping pattern quadratic (seconds per cell,
    with the whole service process stopped); a cell over MAX_HEADER_CHARS is not looked up."""
    found, skipped = columns(["客户名称", "(" * 100_000])
    assert found == ["legal_name", None] and len(skipped[0]) <= import_mapping.MAX_HEADER_CHARS
    assert tabular.header_key("(" * 100_000 + "legal name") == "(" * 100_000 + "legalname"
    assert tabular.header_key("客户名称（必填）[text]") == "客户名称"


def test_a_csv_field_over_128_kib_is_read_not_a_crash():
    field = "x" * 140_000
    raw = ("legal_name,notes\r\nAcme,%s\r\n" % field).encode()
    encoding, delimiter, header, after = tabular.header_of_csv(stream(samples.chunks(raw, 65536))(0), raw[:65536])
    rows = read_all(tabular.CsvRows(stream(samples.chunks(raw, 65536)), encoding, delimiter), after)
    assert header == ["legal_name", "notes"] and rows == [(2, ["Acme", field])]


def test_csv_records_span_chunks_and_quoted_newlines():
    body = "".join("Co %d,n\r\n" % i for i in range(50))
    data = 'legal_name,notes\r\n"Acme, Ltd","two\r\nlines"\r\n' + body + "Last,x"
    raw = data.encode()
    for size in (1, 7, 64, len(raw)):
        encoding, delimiter, header, after = tabular.header_of_csv(stream(samples.chunks(raw, size))(0), raw[:size])
        assert header == ["legal_name", "notes"] and delimiter == ","
        rows = read_all(tabular.CsvRows(stream(samples.chunks(raw, size)), encoding, delimiter), after)
        assert rows[0] == (2, ["Acme, Ltd", "two\r\nlines"])
        assert rows[-1] == (53, ["Last", "x"]) and len(rows) == 52


def test_quotes_are_read_as_the_csv_module_reads_them(monkeypatch):
    raw = ('legal_name,notes\n5" Pipe Co,x\n"Say ""hi"" Ltd","a\nb"\nPlain,y\n"Never closed,z\n'
           + "After %d,w\n" * 3 % (1, 2, 3)).encode()
    monkeypatch.setattr(tabular, "MAX_RECORD_BYTES", 30)
    parts = samples.chunks(raw, 5)
    _, _, _, position = tabular.header_of_csv(stream(parts)(0), parts[0])
    rows = read_all(tabular.CsvRows(stream(parts), "utf-8", ","), position)
    assert rows[:3] == [(2, ['5" Pipe Co', "x"]), (3, ['Say "hi" Ltd', "a\nb"]), (4, ["Plain", "y"])]
    assert rows[3:] == [(5, None), (6, ["After 3", "w"])]


def test_reading_resumes_from_a_saved_position():
    raw = samples.csv_bytes([samples.customer_row(n) for n in range(30)])
    parts = samples.chunks(raw, 100)
    reader = tabular.CsvRows(stream(parts), "utf-8", ",")
    _, _, _, position = tabular.header_of_csv(stream(parts)(0), parts[0])
    first = []
    for number, cells, after in reader.rows(position):
        first.append(number)
        position = after
        if len(first) == 12:
            break
    rest = [number for number, _ in read_all(reader, position)]
    assert first + rest == list(range(2, 32))


def test_encodings_utf8_bom_and_gbk():
    rows = [samples.customer_row(1)]
    for data in (samples.csv_bytes(rows, samples.HEADERS_CN, bom=True),
                 samples.csv_bytes(rows, samples.HEADERS_CN, encoding="gbk")):
        for size in (3, 5, 1 << 20):
            parts = samples.chunks(data, size)
            encoding, delimiter, header, after = tabular.header_of_csv(stream(parts)(0), parts[0])
            assert header == samples.HEADERS_CN
            (number, cells), = read_all(tabular.CsvRows(stream(parts), encoding, delimiter), after)
            assert cells[0] == "华东精密零件1有限公司"
    assert tabular.detect_encoding("客户".encode("gbk") * 3) == "gb18030"
    assert tabular.detect_encoding("客户名称".encode()[:-1]) == "utf-8"


def test_unreadable_bytes_spoil_one_row_only():
    data = "legal_name\r\nGood One\r\n".encode() + b"\xff\xfe\xfd\xfc\xff\r\n" + "Good Two\r\n".encode()
    reader = tabular.CsvRows(stream([data]), "utf-8", ",")
    assert read_all(reader, {"seq": 0, "offset": 12, "row": 1}) == [(2, ["Good One"]), (3, None), (4, ["Good Two"])]


def test_sniff_tells_formats_apart():
    assert tabular.sniff(samples.xlsx_bytes([])) == "xlsx"
    assert tabular.sniff(b"legal_name\n") == "csv"
    with pytest.raises(tabular.FileError):
        tabular.sniff(b"\xd0\xcf\x11\xe0 old excel")


def test_xlsx_rows_resume_after_reopening(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular.tempfile, "gettempdir", lambda: str(tmp_path))
    data = samples.xlsx_bytes([samples.customer_row(n) for n in range(10)] + [[None] * 3, ["Tail Co"]])
    reader = tabular.XlsxRows("job1", stream(samples.chunks(data, 1000)))
    header, after = reader.header()
    assert header == samples.HEADERS_CN and after["row"] == 1
    first = [row for _, row in zip(range(4), reader.rows(after))]
    assert [number for number, _, _ in first] == [2, 3, 4, 5]
    again = tabular.XlsxRows("job1", stream(samples.chunks(data, 1000)))
    rows = read_all(again, first[-1][2])
    assert [number for number, _ in rows] == list(range(6, 14))
    assert tabular.is_blank(rows[-2][1]) and rows[-1][1][0] == "Tail Co"
    again.discard()
    reader.close()


def test_a_row_splits_lists_reads_numbers_and_makes_the_address():
    found, _ = columns(samples.HEADERS_CN)
    data, references, problems, remarks = import_convert.convert("customers", found, samples.customer_row(7) + [""])
    assert data["tags"] == ["oem", "vip"] and data["annual_revenue"] == 1000007.0
    assert data["addresses"] == [{"type": "billing", "province": "江苏", "city": "苏州", "street": "工业园区星湖街7号"}]
    assert (references, problems, remarks) == ({}, [], [])
    assert import_convert.convert("customers", ["legal_name"], ["A", "surplus"])[2] == [
        ("_row", import_convert.EXTRA_CELLS)]
    revenue = import_convert.convert("customers", ["legal_name", "annual_revenue"], ["A", "¥1,200,000"])[0]
    assert revenue["annual_revenue"] == 1200000.0
