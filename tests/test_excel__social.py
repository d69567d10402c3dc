"""The social evaluation (社会评价) by Excel: the office fills 组织代码 · 年度 · 社会评价得分 · 评价来源; the same
service as the screen applies it; unchanged rows are unchanged; hostile numbers are refused with the column."""

from decimal import Decimal

import pytest
from openpyxl import Workbook

from flows.excel.importing import run_import
from flows.models import Stage, User
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def sheet(tmp_path, rows, name="social.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = "社会评价"
    ws.append(["组织代码", "组织名称", "年度", "社会评价得分", "评价来源"])
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_the_office_imports_social_scores_and_a_second_import_changes_nothing(demo, tmp_path):
    cycle = h.open_cycle(weight_social=Decimal(10), social_source="服务对象满意度测评")
    officer = h.county_officer()
    path = sheet(
        tmp_path, [[h.VILLAGE, "东坪村", 2026, "８６.５分", ""], ["JC-QS-HT-02", "西岭村", 2026, 78, "企业代表评议"]]
    )
    assert not run_import("social", path, User.objects.get(username="dangyuan"), commit=True).applied
    report = run_import("social", path, officer, commit=True)
    assert report.applied and report.counts["changed"] == 2, report.lines()
    a = h.assessment_of(cycle)
    assert (a.social_score, a.social_source) == (Decimal("86.5"), "服务对象满意度测评")
    assert h.assessment_of(cycle, "JC-QS-HT-02").social_source == "企业代表评议"
    again = run_import("social", path, officer, commit=True)
    assert again.counts["changed"] == 0 and again.counts["unchanged"] == 2


@pytest.mark.parametrize("typed", ["NaN", "-nan", "sNaN", "Infinity", "1e999", "1_0", "0x10", "101"])
def test_hostile_social_scores_are_refused_with_the_column(demo, tmp_path, typed):
    cycle = h.open_cycle(weight_social=Decimal(10), social_source="服务对象满意度测评")
    report = run_import(
        "social", sheet(tmp_path, [[h.VILLAGE, "东坪村", 2026, typed, "测评"]]), h.county_officer(), commit=True
    )
    assert not report.applied and any("社会评价得分" in line for line in report.lines()), report.lines()
    assert h.assessment_of(cycle).social_score is None and h.assessment_of(cycle).state == Stage.SELF_ASSESSMENT
