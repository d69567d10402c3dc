"""Hostile files are refused before any parser sees them, with a clear message, and nothing is written."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from flows.excel import reading
from flows.excel.importing import run_import
from flows.models import AuditEntry, Organisation
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def plain_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    ws.append(["JC-QS-HT-08", "新村支部", "党支部", "基层", "JC-QS-HT"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, *, replace=None, add=None) -> bytes:
    """The same archive with some parts replaced or added."""
    replace, add = replace or {}, add or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, body in add.items():
            z.writestr(name, body)
    return out.getvalue()


@pytest.fixture
def refused(tmp_path, demo, monkeypatch):
    """Import `data` as the county officer; assert it is refused, that openpyxl never parsed it, and that the
    database is unchanged. Returns the refusal message."""

    def _refused(data: bytes, name="upload.xlsx", *, parsed_allowed=False):
        path = tmp_path / name
        path.write_bytes(data)
        calls = []
        if not parsed_allowed:
            monkeypatch.setattr(reading, "load_workbook", lambda *a, **k: calls.append(a))
        before = (Organisation.objects.count(), AuditEntry.objects.count())
        report = run_import("organisations", path, h.county_officer(), commit=True)
        assert report.refused and not report.applied
        assert not calls, "the file reached the parser"
        assert (Organisation.objects.count(), AuditEntry.objects.count()) == before
        return report.refused

    return _refused


def test_the_plain_workbook_itself_imports(tmp_path, demo):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(plain_workbook())
    assert run_import("organisations", path, h.county_officer(), commit=True).applied


def test_a_file_that_is_not_an_xlsx(refused):
    assert "xlsx" in refused(b"%PDF-1.4 not a workbook", "report.pdf")
    assert "xlsx" in refused("组织编码,组织名称\nJC,市委\n".encode(), "roster.csv")


def test_a_word_document_in_an_xlsx_name(refused):
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert "xlsx" in refused(docx.getvalue())


def test_an_opendocument_spreadsheet(refused):
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert ".ods" in refused(ods.getvalue(), "roster.ods")


def test_an_old_xls_file(refused):
    assert ".xls" in refused(reading.OLE_MAGIC + b"\x00" * 4000 + "Workbook".encode("utf-16-le"), "old.xls")


def test_a_password_protected_workbook(refused):
    # an encrypted xlsx is an OLE compound file holding an "EncryptedPackage" stream (MS-OFFCRYPTO)
    body = reading.OLE_MAGIC + b"\x00" * 1024 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048
    message = refused(body, "secret.xlsx")
    assert "password" in message or "密码" in message


def test_a_zip_bomb_is_refused_by_its_declared_size(refused, settings):
    settings.EXCEL_IMPORT_MAX_UNCOMPRESSED = 2 * 1024 * 1024
    bomb = rezip(plain_workbook(), add={"xl/media/padding.bin": b"\x00" * (8 * 1024 * 1024)})
    assert len(bomb) < 100_000  # small on disk, large unpacked
    assert "MB" in refused(bomb)


def test_a_zip_bomb_of_many_entries(refused, settings):
    settings.EXCEL_IMPORT_MAX_ENTRIES = 50
    many = rezip(plain_workbook(), add={f"xl/media/p{i}.bin": b"x" for i in range(200)})
    assert "超出正常工作簿" in refused(many)


def test_an_xml_bomb(refused):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    bomb = rezip(plain_workbook(), replace={"xl/worksheets/sheet1.xml": laughs.encode()})
    assert "XML" in refused(bomb)


def test_a_file_over_the_size_limit(refused, settings):
    settings.EXCEL_IMPORT_MAX_BYTES = 1000
    assert "MB" in refused(plain_workbook())


def test_the_size_limit_defaults_to_20_mb():
    from django.conf import settings as real

    assert real.EXCEL_IMPORT_MAX_BYTES == 20 * 1024 * 1024


def test_a_macro_enabled_workbook(refused):
    data = plain_workbook()
    types = (
        zipfile.ZipFile(io.BytesIO(data))
        .read("[Content_Types].xml")
        .replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    )
    xlsm = rezip(data, replace={"[Content_Types].xml": types}, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert "xlsm" in refused(xlsm, "book.xlsm")


def test_a_sheet_claiming_a_million_empty_formatted_rows(refused):
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    ws.cell(1_048_576, 5).fill = PatternFill("solid", fgColor="FFFF00")  # formatted to the last row
    out = io.BytesIO()
    wb.save(out)
    assert "1048576" in refused(out.getvalue(), parsed_allowed=True)


def test_thousands_of_empty_formatted_rows_below_a_table_are_not_read_one_by_one(tmp_path, demo):
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    ws.append(["JC-QS-HT-08", "新村支部", "党支部", "基层", "JC-QS-HT"])
    fill = PatternFill("solid", fgColor="FFFF00")
    for r in range(3, 8000):
        for c in range(1, 6):
            ws.cell(r, c).fill = fill
    path = tmp_path / "styled.xlsx"
    wb.save(path)
    report = run_import("organisations", path, h.county_officer(), commit=True)
    assert report.applied and report.counts["new"] == 1


def formula_workbook(formula: str) -> bytes:
    """The plain workbook with the organisation's name as a formula, written by a program (no cached result)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    ws.append(["JC-QS-HT-08", formula, "党支部", "基层", "JC-QS-HT"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_formula_whose_result_the_file_does_not_keep_is_refused_with_its_cell(refused):
    """Read for its cached value, such a cell would be empty and would empty the stored value on import."""
    message = refused(formula_workbook('=HYPERLINK("http://x","新村支部")'), parsed_allowed=True)
    assert "组织!B2" in message and "公式" in message


def test_a_formula_saved_by_excel_imports_its_result(tmp_path, demo):
    """Excel and WPS keep each formula's last result in the file: that value is what is imported."""
    data = formula_workbook('="新村"&"支部"')
    sheet = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet).decode()
    saved = xml.replace('<c r="B2"><f>', '<c r="B2" t="str"><f>').replace("<v></v>", "<v>新村支部</v>")
    assert saved != xml
    path = tmp_path / "saved.xlsx"
    path.write_bytes(rezip(data, replace={sheet: saved.encode()}))
    assert run_import("organisations", path, h.county_officer(), commit=True).applied
    assert Organisation.objects.get(code="JC-QS-HT-08").name == "新村支部"


def test_a_text_longer_than_its_column_takes_is_an_error_of_the_check_at_its_cell(tmp_path, demo):
    """The check says so, at the cell, before anything is confirmed (the database refused it only at confirming,
    in its own words)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    ws.append(["JC-QS-HT-08", "新" * 1000, "党支部", "基层", "JC-QS-HT"])
    path = tmp_path / "long.xlsx"
    wb.save(path)
    report = run_import("organisations", path, h.county_officer(), commit=False)
    assert not report.ok and not report.applied
    assert [str(e) for e in report.errors] == ["组织!B2：最多 120 个字符；此单元格有 1000 个字符。"]
