"""XLSX files written part by part, to test the reader's limits: shared strings, rich text, and bombs."""
import io
import zipfile
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def column_name(number):
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def shared_strings(texts):
    items = "".join("<si><t>%s</t></si>" % escape(text) for text in texts)
    return '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s" count="%d">%s</sst>' % (MAIN, len(texts), items)


def sheet(rows):
    """Rows of cells, each cell ``("s", index)``, ``("n", number)``, ``("inline", text)`` or None."""
    out = []
    for r, cells in enumerate(rows, 1):
        parts = []
        for c, cell in enumerate(cells, 1):
            if cell is None:
                continue
            kind, value = cell
            ref = "%s%d" % (column_name(c), r)
            if kind == "s":
                parts.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, value))
            elif kind == "inline":
                parts.append('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, escape(value)))
            else:
                parts.append('<c r="%s"><v>%s</v></c>' % (ref, value))
        out.append('<row r="%d">%s</row>' % (r, "".join(parts)))
    return '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>' % (
        MAIN, "".join(out))


def workbook(sheet_xml, strings_xml=None, extra=()):
    """The bytes of an XLSX holding ``sheet_xml`` (and ``strings_xml``); ``extra`` = more ``(name, text)`` parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if strings_xml is not None:
            archive.writestr("xl/sharedStrings.xml", strings_xml)
        for name, text in extra:
            archive.writestr(name, text)
    return out.getvalue()


def customers_workbook(names):
    """A plain workbook: a header ``客户名称`` and one customer name per row, all as shared strings."""
    texts = ["客户名称"] + list(names)
    return workbook(sheet([[("s", i)] for i in range(len(texts))]), shared_strings(texts))


def shared_strings_bomb(expanded_mb=20):
    """A header and one row whose shared strings expand about ``expanded_mb`` MB from a few tens of KB."""
    filler = "A" * (1024 * 1024)
    texts = "".join("<si><t>%s</t></si>" % filler for _ in range(expanded_mb))
    strings = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s"><si><t>客户名称</t></si>%s</sst>' % (MAIN, texts)
    return workbook(sheet([[("s", 0)], [("s", 1)]]), strings)


def understated_bomb(expanded_mb=20):
    """A shared strings bomb whose zip directory understates the part's size (claims 1 KB)."""
    data = bytearray(shared_strings_bomb(expanded_mb))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/sharedStrings.xml")
    small = (1024).to_bytes(4, "little")
    data[info.header_offset + 22:info.header_offset + 26] = small  # local header: uncompressed size
    central = bytes(data).rfind(b"PK\x01\x02", 0, len(data))
    while central >= 0:
        name_length = int.from_bytes(data[central + 28:central + 30], "little")
        if bytes(data[central + 46:central + 46 + name_length]) == b"xl/sharedStrings.xml":
            data[central + 24:central + 28] = small  # central directory: uncompressed size
            break
        central = bytes(data).rfind(b"PK\x01\x02", 0, central)
    return bytes(data)
