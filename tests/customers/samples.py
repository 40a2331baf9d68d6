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
