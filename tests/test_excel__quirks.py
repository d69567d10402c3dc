"""Real-world sheets: what people type and what other spreadsheet programs write, read as they meant it."""

import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from flows.excel import reading
from flows.excel.importing import run_import
from flows.models import Organisation, RoleAssignment
from tests import cycle_helpers as h


@pytest.mark.parametrize(
    "typed",
    [
        datetime.datetime(2026, 3, 1),
        46082,  # the Excel serial of 2026-03-01
        46082.0,
        "46082",
        "2026年3月1日",
        "2026-03-01",
        "2026/3/1",
        "２０２６年３月１日 ",
        "2026.3.1",
    ],
)
def test_dates_as_serials_or_text(typed):
    assert reading.date(typed) == datetime.date(2026, 3, 1)


@pytest.mark.parametrize("typed", ["2026年13月1日", "三月一日", "2026-02-30"])
def test_what_is_not_a_date_is_refused(typed):
    with pytest.raises(ValueError):
        reading.date(typed)


@pytest.mark.parametrize(
    "typed,expected", [("８.５", "8.5"), (" 10 ", "10"), ("1,000", "1000"), ("9分", "9"), (7, "7")]
)
def test_numbers_stored_as_text(typed, expected):
    assert reading.number(typed) == Decimal(expected)


def test_full_width_codes_and_spaces():
    assert reading.code("ＪＣ－ＱＳ　０１ ") == "JC-QS01"
    assert reading.text("  东坪村\u3000党支部 \u00a0") == "东坪村 党支部"
    assert reading.label("组织编码*") == "组织编码"


def _roster_sheet(ws, *, title_rows=True, hide=True):
    if title_rows:
        ws.append(["青山县党组织花名册"])
        ws.merge_cells("A1:G1")
        ws.append(["基本信息", None, None, "任职", None, None, None])  # a merged group header above the header
        ws.merge_cells("A2:C2")
        ws.merge_cells("D2:G2")
    ws.append(["用户名 ", "姓　名", "职务", "组织编码", "角色", "开始日期", "结束日期"])
    ws.append(["ｘｉｌｉｎｇ０１", "李西岭 ", "委员", "JC-QS-HT-02", "班子成员", 46082, None])
    ws.append(["xiling02", "赵西岭", "党员", "JC-QS-HT-02", "党员", "2026/3/1", "2026年12月31日"])
    if hide:
        ws.column_dimensions["C"].hidden = True
        ws.row_dimensions[ws.max_row].hidden = True  # a hidden row is still a row of the table


def test_title_rows_merged_headers_hidden_rows_and_columns(tmp_path, demo):
    wb = Workbook()
    ws = wb.active
    ws.title = "任职"
    _roster_sheet(ws)
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    report = run_import("organisations", path, h.county_officer(), commit=True)
    assert report.applied, report.lines()
    ras = RoleAssignment.objects.filter(organisation__code="JC-QS-HT-02", user__username__startswith="xiling")
    assert {(r.user.username, r.user.real_name, r.role, r.start, r.end) for r in ras} == {
        ("xiling01", "李西岭", "member", datetime.date(2026, 3, 1), None),
        ("xiling02", "赵西岭", "party_member", datetime.date(2026, 3, 1), datetime.date(2026, 12, 31)),
    }


PKG = "http://schemas.openxmlformats.org/package/2006"
PKG_CT = "application/vnd.openxmlformats"
SML = PKG_CT + "-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def minimal_xlsx(rows, *, dimension="A1") -> bytes:
    """A workbook as small generators and some WPS/LibreOffice exports write it: inline strings, no shared
    strings, no styles, and a dimension that does not cover the data."""
    cells = []
    for r, values in enumerate(rows, 1):
        row = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            if isinstance(v, str)
            else f'<c r="{chr(65 + c)}{r}"><v>{v}</v></c>'
            for c, v in enumerate(rows[r - 1])
            if v is not None
        )
        cells.append(f'<row r="{r}">{row}</row>')
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
        f'<dimension ref="{dimension}"/><sheetData>{"".join(cells)}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PKG}/content-types">'
            f'<Default Extension="rels" ContentType="{PKG_CT}-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{REL}"><sheets>'
            '<sheet name="组织" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def test_a_workbook_with_inline_strings_and_a_wrong_dimension(tmp_path, demo):
    data = minimal_xlsx(
        [
            ["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"],
            ["JC-QS-HT-09", "河塘镇新村支部", "党支部", "基层", "JC-QS-HT"],
            ["JC-QS-HT-10", "河塘镇后村支部", "党支部", "基层", "JC-QS-HT"],
        ]
    )
    path = tmp_path / "wps.xlsx"
    path.write_bytes(data)
    report = run_import("organisations", path, h.county_officer(), commit=True)
    assert report.applied and report.counts["new"] == 2, report.lines()
    assert Organisation.objects.filter(code__in=["JC-QS-HT-09", "JC-QS-HT-10"]).count() == 2


def test_a_sheet_without_the_needed_header_is_refused_precisely(tmp_path, demo):
    wb = Workbook()
    wb.active.append(["编号", "名字"])
    path = tmp_path / "other.xlsx"
    wb.save(path)
    report = run_import("indicators", path, h.county_officer())
    assert report.refused and "模板编码" in report.refused


def test_a_bad_date_is_reported_by_sheet_row_and_column(tmp_path, demo):
    wb = Workbook()
    ws = wb.active
    ws.title = "任职"
    ws.append(["用户名", "姓名", "组织编码", "角色", "开始日期"])
    ws.append(["xiling03", "钱西岭", "JC-QS-HT-02", "党员", "三月一日"])
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    report = run_import("organisations", path, h.county_officer(), commit=True)
    [error] = report.errors
    assert (error.sheet, error.row, error.column) == ("任职", 2, "E")


LIBREOFFICE_ROSTER = Path(__file__).resolve().parent.parent / "fixtures" / "excel" / "roster-saved-by-libreoffice.xlsx"


def test_a_roster_template_filled_in_and_saved_by_libreoffice_calc_imports(demo):
    """The county's exported roster template, a village and its secretary added, saved through LibreOffice Calc
    (.xlsx → .ods → .xlsx with its 'Calc MS Excel 2007 XML' filter): LibreOffice rewrites every part of the file."""
    with zipfile.ZipFile(LIBREOFFICE_ROSTER) as z:
        assert "<Application>LibreOffice/" in z.read("docProps/app.xml").decode()
    officer = h.county_officer()
    preview = run_import("organisations", LIBREOFFICE_ROSTER, officer, commit=False)
    assert preview.ok, preview.lines()
    assert (preview.counts["new"], preview.counts["changed"]) == (2, 0)
    assert not Organisation.objects.filter(code="JC-QS-HT-06").exists()

    done = run_import("organisations", LIBREOFFICE_ROSTER, officer, commit=True)
    assert done.applied
    village = Organisation.objects.get(code="JC-QS-HT-06")
    assert village.name == "中共青山县河塘镇石桥村支部委员会" and village.leading.code == "JC-QS-HT"
    secretary = RoleAssignment.objects.get(organisation=village, user__username="shiqiao")
    assert secretary.user.real_name == "陈石桥" and secretary.start == datetime.date(2026, 4, 1)
    again = run_import("organisations", LIBREOFFICE_ROSTER, officer, commit=True)
    assert (again.counts["new"], again.counts["changed"]) == (0, 0)
