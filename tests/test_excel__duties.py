"""Duty lists in Excel: an organisation's list and a level's lists export as the sheet offices print; the sheet
imports back unchanged; edited rows replace a list's lines after a validated preview; a wrong row stops the whole
import (nothing half-imported), with the error by sheet, row and column; a confirmed list is refused; hostile files
are refused before any parser sees them, and through the screen the uploader confirms the preview."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from flows.excel import reading
from flows.excel.importers import duties as excel_duties
from flows.models import AuditEntry, User
from flows.models.duties import DutyLine
from tests import duty_helpers as dh
from tests.test_excel__hostile import plain_workbook, rezip

pytestmark = pytest.mark.django_db

XML_BOMB = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><worksheet/>'


def sheet_rows(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data), read_only=True)["责任清单"]
    return [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]


def export_of(codes) -> bytes:
    lists = [dh.duty_list(code) for code in codes]
    return excel_duties.export(lists, title="河塘镇责任清单", subtitle="2026")


def write(tmp_path, data: bytes, name="duties.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def edited(data: bytes, change) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb["责任清单"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def snapshot():
    return (
        list(DutyLine.objects.order_by("pk").values_list("pk", "text", "duty_list_id")),
        AuditEntry.objects.filter(action="dutylist.edit").count(),
    )


def test_the_export_looks_like_the_printed_sheet_and_imports_back_unchanged(tmp_path, demo):
    data = export_of(["JC-QS-HT-01", "JC-QS-HT-03"])
    rows = sheet_rows(data)
    assert rows[0][:7] == ["组织代码*", "组织名称", "类别*", "岗位*", "分工领域", "责任人", "内容*"]
    assert any(r[0] == "JC-QS-HT-01" and r[7] == "是" for r in rows[1:])  # the secretary's project
    assert any(r[0] == "JC-QS-HT-03" and r[3] == "书记" and r[9] == "D1.1" for r in rows[1:])
    only_draft = export_of(["JC-QS-HT-03"])
    before = snapshot()
    report = excel_duties.run(write(tmp_path, only_draft), dh.officer(), cycle=dh.city_cycle(), commit=True)
    assert report.ok and report.counts["unchanged"] == 1 and report.counts["changed"] == 0
    assert snapshot() == before


def test_edited_rows_replace_the_lines_after_a_preview(tmp_path, demo):
    dl = dh.duty_list("JC-QS-HT-03")

    def add_project(ws):
        ws.append(
            [
                "JC-QS-HT-03",
                "南坳村",
                "年度任务",
                "书记",
                "",
                "丁建国",
                "书记项目：修缮村党群服务中心",
                "是",
                "2026-10-31",
                "D4.5",
            ]
        )

    path = write(tmp_path, edited(export_of(["JC-QS-HT-03"]), add_project))
    preview = excel_duties.run(path, dh.officer(), cycle=dh.city_cycle())
    assert preview.ok and preview.counts["changed"] == 1 and not preview.applied
    assert not dl.lines.filter(kind="task").exists()  # a preview writes nothing
    report = excel_duties.run(path, dh.officer(), cycle=dh.city_cycle(), commit=True)
    assert report.applied
    task = dl.lines.get(kind="task")
    assert task.secretary_project and task.holder.username == "dingjianguo" and task.indicators.get().code == "D4.5"


def test_one_wrong_row_imports_nothing_and_names_its_cell(tmp_path, demo):
    def change(ws):
        ws.append(["JC-QS-HT-03", "南坳村", "年度任务", "书记", "", "", "新的年度任务", "", "", ""])
        ws.append(["JC-QS-HT-05", "北山村", "职责", "校长", "", "", "职责", "", "", ""])  # no such role
        ws.append(["JC-QS-HT-01", "东坪村", "职责", "书记", "", "", "职责", "", "", ""])  # confirmed: refused

    before = snapshot()
    path = write(tmp_path, edited(export_of(["JC-QS-HT-03"]), change))
    report = excel_duties.run(path, dh.officer(), cycle=dh.city_cycle(), commit=True)
    assert not report.applied
    where = {(e.column, e.message) for e in report.errors}
    assert any(col == "D" for col, _m in where)  # 岗位 of the 北山村 row
    assert any("东坪村" in m for _c, m in where)
    assert snapshot() == before


def test_someone_elses_organisation_is_refused(tmp_path, demo):
    path = write(tmp_path, export_of(["JC-QS-HT-03"]))
    other = User.objects.get(username="shuji")  # 东坪村's secretary
    report = excel_duties.run(path, other, cycle=dh.city_cycle(), commit=True)
    assert not report.applied and report.errors


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not a workbook at all", id="not-xlsx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, id="old-xls"),
        pytest.param(rezip(plain_workbook(), replace={"xl/worksheets/sheet1.xml": XML_BOMB}), id="xml-bomb"),
        pytest.param(rezip(plain_workbook(), add={"xl/vbaProject.bin": b"macro"}), id="macros"),
    ],
)
def test_hostile_files_are_refused_before_parsing_and_change_nothing(data, tmp_path, demo, monkeypatch):
    calls = []
    monkeypatch.setattr(reading, "load_workbook", lambda *a, **k: calls.append(a))
    before = snapshot()
    report = excel_duties.run(write(tmp_path, data), dh.officer(), cycle=dh.city_cycle(), commit=True)
    assert report.refused and not report.applied and not calls
    assert snapshot() == before


def test_through_the_screens_upload_preview_confirm_and_export(client, demo):
    client.force_login(dh.officer())
    cycle = dh.city_cycle()
    export = client.get(reverse("duty_cycle_export", args=[cycle.pk]) + "?root=JC-QS-HT")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("duty_list_export", args=[dh.pk_of("JC-QS-HT-01")])).status_code == 200

    def change(ws):
        ws.append(["JC-QS-HT-03", "南坳村", "年度任务", "书记", "", "", "书记项目：党员积分超市", "是", "", ""])

    data = edited(export_of(["JC-QS-HT-03"]), change)
    upload = SimpleUploadedFile("duties.xlsx", data)
    response = client.post(reverse("duty_import", args=[cycle.pk]), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and "南坳村" in preview.content.decode()
    assert not dh.duty_list("JC-QS-HT-03").lines.filter(kind="task").exists()
    confirm = response["Location"] + "confirm/"
    assert client.post(confirm).status_code == 302
    assert dh.duty_list("JC-QS-HT-03").lines.filter(kind="task", secretary_project=True).exists()
    assert client.post(confirm, follow=True).status_code == 200  # a second click: already handled
    hostile = SimpleUploadedFile("bad.xlsx", b"not a workbook")
    refused = client.post(reverse("duty_import", args=[cycle.pk]), {"file": hostile})
    page = client.get(refused["Location"]).content.decode()
    assert "refused" in page or "不是" in page or "not an Excel" in page
