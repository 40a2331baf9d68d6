"""Customer files for import tests: valid USCC ids, CSV and XLSX bytes, chunking."""
import base64
import csv
import io

import openpyxl

from services.customers.identifiers import uscc_check_digit

HEADERS_EN = ["legal_name", "short_name", "tax_id", "external_code", "industry", "phone", "email", "tags",
              "province", "city", "street", "annual_revenue"]
HEADERS_CN = ["客户名称", "简称", "统一社会信用代码", "客户编码", "行业", "电话", "邮箱", "标签", "省份", "城市", "地址",
              "年营业额"]


def uscc(n):
    first17 = "91320100%09d" % n
    return first17 + uscc_check_digit(first17)


def customer_row(n, name="华东精密零件%d有限公司"):
    return [name % n, "精密%d" % n, uscc(n), "C-%05d" % n, "machinery", "0512-6688%04d" % (n % 10000),
            "buyer%d@example.com" % n, "oem、vip", "江苏", "苏州", "工业园区星湖街%d号" % n, str(1000000 + n)]


def csv_bytes(rows, headers=HEADERS_EN, encoding="utf-8", bom=False):
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, headers=HEADERS_CN):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def chunks(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def b64_chunks(data, size):
    return [base64.b64encode(piece).decode() for piece in chunks(data, size)]


ZOHO_HEADERS = ["Account Name", "Account Owner", "Phone", "Website", "Billing Street", "Billing City",
                "Description", "Created Time"]


def zoho_rows():
    """Accounts as a Zoho CRM export holds them: commas, quotes, a line break, CJK and an emoji."""
    return [
        ["Acme, Inc.", "Li Wei", "+86 512 6688 0001", "acme.example.com", "1 Xinghu St, SIP", "Suzhou",
         'Says "call first"\nthen e-mail', "2023-04-01 09:30:00"],
        ["华东精密零件有限公司", "王芳", "0512-66880002", "", "工业园区星湖街2号", "苏州", "重点客户 🚀",
         "2023-05-02 10:00:00"],
        ["Delta 😀 Tools", "", "", "", "", "", "", "2023-06-03 11:15:00"],
    ]


def delimited_bytes(rows, headers=HEADERS_EN, delimiter=",", encoding="utf-8", sep_hint=False):
    """A CSV as a spreadsheet saves it with ``delimiter``; ``sep_hint`` adds Excel's ``sep=`` first line."""
    text = io.StringIO(newline="")
    if sep_hint:
        text.write("sep=%s\r\n" % delimiter)
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def unicode_text_bytes(rows, headers=HEADERS_EN, big_endian=False):
    """Excel's "Unicode text": tab-separated, CRLF, UTF-16 with its BOM (LE as Excel writes it, or BE)."""
    data = delimited_bytes(rows, headers, "\t").decode("utf-8")
    if big_endian:
        return b"\xfe\xff" + data.encode("utf-16-be")
    return b"\xff\xfe" + data.encode("utf-16-le")


def workbook_bytes(sheets):
    """An XLSX with a sheet for each ``{name: rows}`` item (the header is the first row), in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
