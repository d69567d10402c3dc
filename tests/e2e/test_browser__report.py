"""In a real browser: the city's organisation department (zuzhibu) opens the written report (书面报告) of the demo
cycle for the whole city, downloads it as PDF and as Excel, and both files are what they claim to be."""

import io
import zipfile

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_oversight_office_downloads_the_written_report(page, log_in, demo):
    from tests.e2e.conftest import ARTIFACTS

    log_in("zuzhibu")
    page.click("nav.mainnav >> text=书面报告")
    expect(page.locator("h1")).to_contain_text("书面报告")
    page.locator("table.report-targets a", has_text="中共江川市委员会 2026年度").first.click()
    expect(page.locator(".report-preview")).to_contain_text("2026年度江川市基层党建工作责任制考核")
    expect(page.locator("input[name=scope][value=subtree]")).to_be_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "written-report-page.png"), full_page=True)

    with page.expect_download() as pdf_download:
        page.click("button[data-format=pdf]")
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    pdf = open(pdf_download.value.path(), "rb").read()  # noqa: PTH123
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000 and b"/Type /Page" in pdf
    (ARTIFACTS / "written-report.pdf").write_bytes(pdf)

    with page.expect_download() as xlsx_download:
        page.click("button[data-format=xlsx]")
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    data = open(xlsx_download.value.path(), "rb").read()  # noqa: PTH123
    assert zipfile.is_zipfile(io.BytesIO(data))
    wb = load_workbook(io.BytesIO(data))
    assert wb["书面报告"]["A1"].value == "中共江川市委员会 2026年度基层党建工作责任制落实情况书面报告"
    assert wb["各党组织考核结果"].max_row > 10  # every organisation the city's cycle assesses
