"""The contact points and visits ledger: export → fill in → import with a validated preview (new, unchanged, errors
by sheet, row and column), nothing half-imported, the same file twice changes nothing, hostile files refused."""

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from flows.excel import reading
from flows.excel import visits as ledger
from flows.excel.importers import IMPORTERS
from flows.excel.importers.contacts import ContactsImporter
from flows.excel.importing import run_import
from flows.models import AuditEntry, OversightOffice, User
from flows.models.contacts import ContactPoint, Visit
from flows.models.people import today
from tests.excel_helpers import edit, header_columns, save
from tests.test_excel__hostile import rezip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registered(monkeypatch):
    monkeypatch.setitem(IMPORTERS, "contacts", ContactsImporter)


def office():
    return OversightOffice.objects.get(code="QS-ZZB")


def officer():
    return User.objects.get(username="houhongmei")


def counts():
    return ContactPoint.objects.count(), Visit.objects.count(), AuditEntry.objects.count()


def test_the_exported_ledger_reads_back_unchanged_and_a_filled_one_imports(tmp_path, demo):
    data = ledger.ledger(office(), today().year)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["联系点", "走访督导"]
    untouched = run_import("contacts", save(tmp_path, data), officer(), commit=False)
    assert untouched.ok, untouched.lines()
    assert untouched.counts["new"] == 0 and untouched.counts["unchanged"] >= 5
    day = today() - datetime.timedelta(days=3)

    def fill(wb):
        ws = wb["联系点"]
        col = header_columns(ws)
        r = ws.max_row + 1
        for label, value in {"年度": today().year, "领导账号": " fangting ", "组织编码": "JC-QS-HT-02"}.items():
            ws.cell(r, col[label], value)
        ws = wb["走访督导"]
        col = header_columns(ws)
        r = ws.max_row + 1
        for label, value in {
            "走访日期": day.strftime("%Y年%m月%d日"),
            "组织编码": "JC-QS-HT-04",
            "类型": "督导",
            "领导账号": "dingxuejun、fangting",
            "看到的情况": "检查社区党建阵地",
            "发现的问题": "制度未上墙\n台账不全",
        }.items():
            ws.cell(r, col[label], value)

    path = edit(tmp_path, data, fill)
    preview = run_import("contacts", path, officer(), commit=False)
    assert preview.ok and preview.counts["new"] == 2, preview.lines()
    before = counts()
    assert counts() == before  # the preview wrote nothing
    done = run_import("contacts", path, officer(), commit=True)
    assert done.applied
    visit = Visit.objects.get(organisation__code="JC-QS-HT-04", date=day)
    assert [p.text for p in visit.problems.order_by("order")] == ["制度未上墙", "台账不全"]
    assert set(visit.leaders.values_list("username", flat=True)) == {"dingxuejun", "fangting"}
    assert ContactPoint.objects.filter(leader__username="fangting", organisation__code="JC-QS-HT-02").exists()
    again = run_import("contacts", path, officer(), commit=True)
    assert again.counts["new"] == 0 and counts() == (before[0] + 1, before[1] + 1, counts()[2])


def test_one_bad_row_imports_nothing_and_names_its_cell(tmp_path, demo):
    data = ledger.ledger(office(), today().year)

    def fill(wb):
        ws = wb["走访督导"]
        col = header_columns(ws)
        good = ws.max_row + 1
        for label, value in {
            "走访日期": (today() - datetime.timedelta(days=2)).isoformat(),
            "组织编码": "JC-QS-HT-03",
            "类型": "观摩",
            "领导账号": "dingxuejun",
            "看到的情况": "观摩主题党日",
        }.items():
            ws.cell(good, col[label], value)
        bad = good + 1
        for label, value in {
            "走访日期": (today() - datetime.timedelta(days=2)).isoformat(),
            "组织编码": "JC-BH-LS-01",  # 白河县: not under 青山县委组织部
            "类型": "观摩",
            "领导账号": "dingxuejun",
            "看到的情况": "越界",
        }.items():
            ws.cell(bad, col[label], value)
        worse = bad + 1
        for label, value in {
            "走访日期": "明天",
            "组织编码": "JC-QS-HT-03",
            "类型": "喝茶",
            "领导账号": "nobody",
            "看到的情况": "x",
        }.items():
            ws.cell(worse, col[label], value)

    before = counts()
    report = run_import("contacts", edit(tmp_path, data, fill), officer(), commit=True)
    assert not report.applied and not report.ok
    where = {(e.sheet, e.column) for e in report.errors}
    assert ("走访督导", "B") in where and ("走访督导", "A") in where
    assert counts() == before


def test_a_leader_outside_the_organisation_is_refused(tmp_path, demo):
    wb = Workbook()
    ws = wb.active
    ws.title = "联系点"
    ws.append(["年度", "领导账号", "组织编码"])
    ws.append([today().year, "huxinmin", "JC-QS-HT-01"])  # 龙山乡's secretary does not lead 东坪村
    out = io.BytesIO()
    wb.save(out)
    report = run_import("contacts", save(tmp_path, out.getvalue()), officer(), commit=True)
    assert not report.applied and report.errors[0].column == "B"


def test_a_workbook_without_either_sheet_is_refused(tmp_path, demo):
    wb = Workbook()
    wb.active.append(["姓名", "电话"])
    out = io.BytesIO()
    wb.save(out)
    report = run_import("contacts", save(tmp_path, out.getvalue()), officer(), commit=True)
    assert report.refused and "走访日期" in report.refused


def test_hostile_files_are_refused_before_the_parser(tmp_path, demo, monkeypatch, settings):
    settings.EXCEL_IMPORT_MAX_UNCOMPRESSED = 2 * 1024 * 1024
    data = ledger.ledger(office(), today().year)
    calls = []
    monkeypatch.setattr(reading, "load_workbook", lambda *a, **k: calls.append(a))
    bomb = rezip(data, add={"xl/media/huge.bin": b"\0" * (8 * 1024 * 1024)})
    entity = rezip(
        data,
        replace={
            "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
        },
    )
    before = counts()
    for name, body in (("bomb.xlsx", bomb), ("entity.xlsx", entity), ("ledger.csv", b"a,b\n1,2\n")):
        report = run_import("contacts", save(tmp_path, body, name), officer(), commit=True)
        assert report.refused and not report.applied, name
    assert not calls and counts() == before
