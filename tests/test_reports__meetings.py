"""The annual written report's 述职评议考核 section: the cycle's confirmed report-and-review meetings within the
report's scope (holder, date, place, attendance) and each reporter's result, the same in the PDF, the workbook and
the Word file."""

import io
import re
import subprocess

import docx
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows.models import Organisation, PersonResult, ReviewCycle, Role
from flows.reports.annual import annual_report
from flows.reports.annual_docx import annual_report_docx
from flows.reports.annual_pdf import annual_report_pdf
from flows.reports.annual_xlsx import annual_report_workbook
from tests import cycle_helpers as h
from tests import meeting_helpers as mh
from tests.meeting_helpers import confirmed_meeting

pytestmark = pytest.mark.django_db


def org(code):
    return Organisation.objects.get(code=code)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return re.sub(r"\s+", "", out)  # the layout's line breaks and spaces aside


@pytest.fixture
def meeting(demo):
    return confirmed_meeting()


def test_the_county_report_lists_the_meeting_and_every_reporters_result(meeting):
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    [listed] = report["meetings"]
    assert listed["title"] == meeting.title and listed["holder"] == org(mh.TOWNSHIP).name
    assert listed["date"] == "2026年12月20日" and listed["place"] == meeting.place and listed["attendance"] == 28
    reporters = list(meeting.reporters.order_by("order").select_related("person", "result"))
    assert [r["name"] for r in listed["reporters"]] == [r.person.real_name for r in reporters]
    first, shuji = listed["reporters"][0], reporters[0]
    assert first["post"] == shuji.title and first["organisation"] == shuji.organisation.name
    assert first["appraisal"] == float(shuji.appraisal_score) and first["comment_rating"] == "好"
    assert first["score"] == float(shuji.result.score) and first["rating"] in ("好", "较好", "一般", "差")
    assert f"召开述职评议会 1 次，{len(reporters)} 名党组织书记" in report["text"]["meetings"]


def test_the_pdf_has_the_section(meeting, tmp_path):
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    text = pdf_text(annual_report_pdf(report), tmp_path)
    assert "七、述职评议考核" in text and report["text"]["meetings"].replace(" ", "") in text
    assert re.sub(r"\s+", "", meeting.title) in text
    assert f"召开单位：{org(mh.TOWNSHIP).name}；时间：2026年12月20日；地点：{meeting.place}；参会人数：28人" in text
    for r in meeting.reporters.select_related("person", "result"):
        assert r.person.real_name in text
    assert "述职顺序" in text and "现场测评" in text and "领导点评" in text
    assert text.index("七、述职评议考核") < text.index("书记（签字）")  # before the signature block


def test_the_workbook_has_the_section_and_a_sheet_of_the_reporters(meeting):
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    wb = openpyxl.load_workbook(io.BytesIO(annual_report_workbook(report)))
    assert wb.sheetnames == ["书面报告", "综合得分排名", "各党组织考核结果", "述职评议考核"]
    main = [r for r in wb["书面报告"].iter_rows(values_only=True)]
    assert any(r[0] == "七、述职评议考核（见“述职评议考核”表）" for r in main)
    facts = {r[0]: r[1] for r in main if r[0]}
    assert facts[f"（1）{meeting.title}"].endswith("参会人数：28 人")
    table = wb["述职评议考核"]
    header = [c.value for c in table[3]]
    assert header[:6] == ["序号", "述职评议会", "召开单位", "召开日期", "地点", "参会人数"]
    assert header[6:] == ["述职顺序", "姓名", "职务", "单位", "现场测评", "领导点评", "综合得分", "等次"]
    rows = [dict(zip(header, r, strict=True)) for r in table.iter_rows(min_row=4, values_only=True)]
    results = {p.person.real_name: p for p in PersonResult.objects.filter(reporter__meeting=meeting)}
    assert {r["姓名"] for r in rows} == set(results) and len(rows) == meeting.reporters.count()
    for r in rows:
        assert r["述职评议会"] == meeting.title and r["参会人数"] == 28
        assert r["现场测评"] == float(results[r["姓名"]].appraisal_score)  # a number, not text
        assert r["综合得分"] == float(results[r["姓名"]].score) and r["等次"] in ("好", "较好", "一般", "差")
    assert table.print_title_rows == "$1:$3" and table.page_setup.orientation == "landscape"


def test_the_word_file_has_the_section(meeting):
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    document = docx.Document(io.BytesIO(annual_report_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "七、述职评议考核" in text and meeting.title in text and "参会人数：28 人" in text
    table = document.tables[-1]
    assert [c.text for c in table.rows[0].cells][:2] == ["述职顺序", "姓名"]
    assert len(table.rows) == 1 + meeting.reporters.count()


def test_one_villages_report_has_its_own_secretary_only(meeting, tmp_path):
    report = annual_report(cycle=meeting.cycle, organisation=org(h.VILLAGE), by=h.county_officer())
    [listed] = report["meetings"]  # the township held it; the village's secretary reported at it
    assert [r["name"] for r in listed["reporters"]] == [h.holder(h.VILLAGE, Role.SECRETARY).real_name]
    text = pdf_text(annual_report_pdf(report), tmp_path)
    assert "七、述职评议考核" in text and "召开述职评议会1次，1名党组织书记" in text
    assert h.holder("JC-QS-HT-02", Role.SECRETARY).real_name not in text


def test_a_meeting_not_yet_confirmed_is_not_in_the_report(demo, tmp_path):
    meeting = confirmed_meeting(confirm=False)
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    assert report["meetings"] == []
    assert report["text"]["meetings"] == "本考核周期内没有已确认结果的述职评议会。"
    text = pdf_text(annual_report_pdf(report), tmp_path)
    assert "七、述职评议考核" in text and "本考核周期内没有已确认结果的述职评议会。" in text
    wb = openpyxl.load_workbook(io.BytesIO(annual_report_workbook(report)))
    assert "述职评议考核" not in wb.sheetnames  # no table without a meeting
    assert any(r[0] == "七、述职评议考核" for r in wb["书面报告"].iter_rows(values_only=True))


def test_a_report_elsewhere_has_none_of_the_meeting(meeting):
    # 石桥镇's villages neither held nor reported at 河塘镇's meeting
    report = annual_report(cycle=meeting.cycle, organisation=org("JC-QS-SQ"), subtree=True, by=h.county_officer())
    assert report["meetings"] == []


def test_the_section_takes_the_same_queries_whatever_the_size(meeting):
    counts = []
    for code in ("JC-QS-HT", "JC-QS"):
        cycle, root = ReviewCycle.objects.get(pk=meeting.cycle_id), org(code)
        with CaptureQueriesContext(connection) as queries:
            report = annual_report(cycle=cycle, organisation=root, subtree=True, by=h.county_officer())
        assert report["meetings"]
        counts.append((report["subtree"]["total"], len(queries)))
    assert counts[0][0] < counts[1][0] and counts[0][1] == counts[1][1]
