"""In a real browser: an officer downloads the roster template, fills it in, uploads it, reads the preview,
confirms, and finds the new organisation in the tree; a wrong row is shown and nothing is written."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from flows.models import Organisation
from tests.excel_helpers import header_columns

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_in(data: bytes, tmp_path, *, kind="党支部", code="JC-QS-HT-20") -> str:
    wb = load_workbook(io.BytesIO(data))
    ws = wb["组织"]
    col = header_columns(ws)
    r = ws.max_row + 1
    for label, value in {
        "组织编码": code,
        "组织名称": "中共青山县河塘镇东山村支部委员会",
        "组织类别": kind,
        "领域": "农村",
        "层级": "基层",
        "上级党组织编码": "JC-QS-HT",
    }.items():
        ws.cell(r, col[label], value)
    path = tmp_path / f"{code}.xlsx"
    wb.save(path)
    return str(path)


def test_an_officer_uploads_previews_and_confirms(page, log_in, demo, tmp_path):
    from tests.cycle_helpers import county_officer

    log_in(county_officer().username)
    page.click("nav.mainnav >> text=Excel")
    with page.expect_download() as download:
        page.click("a[href$='/excel/export/roster.xlsx']")
    data = open(download.value.path(), "rb").read()  # noqa: PTH123
    path = fill_in(data, tmp_path)

    page.select_option("select[name=kind]", "organisations")
    page.set_input_files("input[name=file]", path)
    page.click("#excel-upload button[type=submit]")
    expect(page.locator("[data-count=new]")).to_have_text("1")
    expect(page.locator("table.excel-preview")).to_contain_text("JC-QS-HT-20")
    assert not Organisation.objects.filter(code="JC-QS-HT-20").exists()

    page.click("#excel-confirm")
    expect(page.locator("h1 .tag")).to_have_attribute("data-state", "done")
    assert Organisation.objects.get(code="JC-QS-HT-20").leading.code == "JC-QS-HT"
    page.goto(page.base_url + "/orgs/JC-QS-HT-20/")
    expect(page.locator("h1")).to_contain_text("东山村")


def test_a_wrong_row_is_shown_by_sheet_row_and_column_and_nothing_is_written(page, log_in, demo, tmp_path):
    from flows.excel import templates
    from flows.models import OversightOffice
    from tests.cycle_helpers import county_officer

    officer = county_officer()
    scope = OversightOffice.objects.get(code="QS-ZZB").scope
    path = fill_in(templates.organisations_template(scope.subtree()), tmp_path, kind="居委会", code="JC-QS-HT-21")
    log_in(officer.username)
    page.goto(page.base_url + "/excel/")
    page.set_input_files("input[name=file]", path)
    page.click("#excel-upload button[type=submit]")
    expect(page.locator("table.excel-errors")).to_contain_text("居委会")
    expect(page.locator("#excel-confirm")).to_have_count(0)
    with page.expect_download() as download:
        page.click("a.download")
    marked = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))["组织"]  # noqa: PTH123
    assert any(c.comment for row in marked.iter_rows() for c in row)
    assert not Organisation.objects.filter(code="JC-QS-HT-21").exists()
