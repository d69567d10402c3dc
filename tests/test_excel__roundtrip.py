"""Export → fill in → import, for every workbook kind: the preview tells new, changed and unchanged rows, the
confirmed import writes through the services (audit rows included), and the same file a second time changes
nothing."""

import datetime
from decimal import Decimal

import pytest

from flows.excel import ledgers, templates
from flows.models import (
    AuditEntry,
    IndicatorTemplate,
    ItemScore,
    ItemState,
    Organisation,
    Outcome,
    RectificationItem,
    Role,
    RoleAssignment,
    Stage,
    User,
)
from flows.policy import access
from flows.selectors import results
from tests import cycle_helpers as h
from tests.excel_helpers import edit, header_columns, imported, rows_where, save

pytestmark = pytest.mark.django_db


def roster_template(user):
    orgs = access.overseen_organisations(user)
    return templates.organisations_template(orgs, RoleAssignment.objects.current().filter(organisation__in=orgs))


def test_the_organisation_roster_round_trip(tmp_path, demo):
    officer = h.county_officer()
    data = roster_template(officer)
    untouched = imported("organisations", save(tmp_path, data), officer, commit=False)
    assert untouched.ok and untouched.counts["new"] == 0 and untouched.counts["changed"] == 0
    assert untouched.counts["unchanged"] > 10

    def fill(wb):
        ws = wb["组织"]
        col = header_columns(ws)
        row = rows_where(ws, col["组织编码"], "JC-QS-HT-02", 2)[0]
        ws.cell(row, col["组织名称"], "中共青山县河塘镇西岭村支部委员会（新）")
        ws.cell(row, col["软弱涣散"], "是")
        new = ws.max_row + 1
        for label, value in {
            "组织编码": "ＪＣ－ＱＳ－ＨＴ－12 ",  # full-width, trailing space: what people type
            "组织名称": "  中共青山县河塘镇东山村支部委员会 ",
            "组织类别": "党支部",
            "领域": "农村",
            "层级": "基层",
            "上级党组织编码": "JC-QS-HT",
            "管理体制": "属地管理",
            "软弱涣散": "否",
        }.items():
            ws.cell(new, col[label], value)
        rs = wb["任职"]
        rc = header_columns(rs)
        r = rs.max_row + 1
        for label, value in {
            "用户名": "dongshan",
            "姓名": "王东山",
            "职务": "村党支部书记",
            "组织编码": "JC-QS-HT-12",
            "角色": "书记",
            "任职开始日期": "2026年3月1日",
        }.items():
            rs.cell(r, rc[label], value)

    path = edit(tmp_path, data, fill)
    preview = imported("organisations", path, officer, commit=False)
    assert preview.ok, preview.lines()
    assert preview.counts["new"] == 2 and preview.counts["changed"] == 1
    assert not Organisation.objects.filter(code="JC-QS-HT-12").exists()  # the preview writes nothing

    done = imported("organisations", path, officer)
    assert done.applied
    new = Organisation.objects.get(code="JC-QS-HT-12")
    assert new.name == "中共青山县河塘镇东山村支部委员会" and new.leading.code == "JC-QS-HT"
    assert Organisation.objects.get(code="JC-QS-HT-02").weak_and_lax
    person = User.objects.get(username="dongshan")
    ra = RoleAssignment.objects.get(user=person, organisation=new)
    assert ra.role == Role.SECRETARY and ra.start == datetime.date(2026, 3, 1)
    assert not person.has_usable_password()
    assert AuditEntry.objects.filter(action="organisation.create", subject_id=str(new.pk)).exists()
    assert AuditEntry.objects.filter(action="role.assign", subject_id=str(ra.pk)).exists()

    audit_rows = AuditEntry.objects.count()
    again = imported("organisations", path, officer)
    assert again.counts["new"] == 0 and again.counts["changed"] == 0
    assert AuditEntry.objects.count() == audit_rows


def test_an_officer_imports_only_within_the_office_scope(tmp_path, demo):
    officer = h.county_officer()  # 青山县 office

    def fill(wb):
        ws = wb["组织"]
        col = header_columns(ws)
        r = ws.max_row + 1
        for label, value in {
            "组织编码": "JC-BH-LS-09",
            "组织名称": "越界村支部",
            "组织类别": "党支部",
            "层级": "基层",
            "上级党组织编码": "JC-BH-LS",  # 白河县: another county
        }.items():
            ws.cell(r, col[label], value)

    report = imported("organisations", edit(tmp_path, roster_template(officer), fill), officer)
    assert not report.applied and not report.ok
    assert any(e.column == "G" and "JC-BH-LS" in e.message for e in report.errors)
    assert not Organisation.objects.filter(code="JC-BH-LS-09").exists()
    # a village secretary is no officer: every row refused
    shuji = User.objects.get(username="shuji")
    refused = imported("organisations", save(tmp_path, roster_template(officer)), shuji)
    assert refused.errors and refused.counts["unchanged"] == 0


def test_one_bad_row_and_nothing_is_written(tmp_path, demo):
    officer = h.county_officer()

    def fill(wb):
        ws = wb["组织"]
        col = header_columns(ws)
        good, bad = ws.max_row + 1, ws.max_row + 2
        for r, code, kind in ((good, "JC-QS-HT-06", "党支部"), (bad, "JC-QS-HT-07", "居委会")):
            for label, value in {
                "组织编码": code,
                "组织名称": f"村{code}",
                "组织类别": kind,
                "层级": "基层",
                "上级党组织编码": "JC-QS-HT",
            }.items():
                ws.cell(r, col[label], value)

    report = imported("organisations", edit(tmp_path, roster_template(officer), fill), officer)
    assert not report.applied
    [error] = report.errors
    assert error.sheet == "组织" and error.column == "D" and "居委会" in error.message
    assert not Organisation.objects.filter(code__in=["JC-QS-HT-06", "JC-QS-HT-07"]).exists()


def test_the_indicator_template_round_trip(tmp_path, demo):
    from flows.services.indicators import templates_load_defaults

    templates_load_defaults()
    officer = h.county_officer()
    template = (
        IndicatorTemplate.objects.get(code="VILLAGE", version=1)
        if IndicatorTemplate.objects.filter(code="VILLAGE").exists()
        else IndicatorTemplate.objects.first()
    )
    data = templates.indicators_template(template)
    assert imported("indicators", save(tmp_path, data), officer, commit=False).counts["changed"] == 0

    def fill(wb):
        ws = wb["指标"]
        col = header_columns(ws)
        ws.cell(2, col["模板编码"], "NEW-TPL")
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col["模板编码"], "NEW-TPL")
            ws.cell(r, col["版本"], None)
            ws.cell(r, col["模板名称"], "新指标体系")
        ws.cell(2, col["分值"], "５")  # a number stored as full-width text

    path = edit(tmp_path, data, fill)
    report = imported("indicators", path, officer)
    assert report.applied, report.lines()
    new = IndicatorTemplate.objects.get(code="NEW-TPL")
    assert new.indicators.count() == template.indicators.count()
    assert new.indicators.order_by("order").first().max_points == Decimal(5)
    again = imported("indicators", path, officer)
    assert again.counts["new"] == 0 and again.counts["changed"] == 0


def test_a_frozen_template_refuses_changes(tmp_path, demo):
    cycle = h.open_cycle()
    officer = h.county_officer()
    template = h.assessment_of(cycle).template

    def fill(wb):
        ws = wb["指标"]
        col = header_columns(ws)
        ws.cell(2, col["分值"], 1)

    report = imported("indicators", edit(tmp_path, templates.indicators_template(template), fill), officer)
    [error] = report.errors
    assert not report.applied and error.row == 2 and error.column == "A" and template.code in error.message
    assert template.indicators.order_by("order").first().max_points != 1


def test_the_self_assessment_score_sheet_round_trip(tmp_path, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    data = templates.scores_template(cycle.assessments.filter(pk=a.pk))

    def fill(wb):
        ws = wb["评分"]
        col = header_columns(ws)
        assert ws.column_dimensions["A"].hidden  # the row key
        assert ws.protection.sheet and ws.cell(2, col["指标名称"]).protection.locked
        assert not ws.cell(2, col["自评得分"]).protection.locked  # only the input cells are open
        assert wb.sheetnames[0] == "说明" and ws.data_validations.dataValidation
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col["分值"]).value:
                ws.cell(r, col["自评得分"], f"{ws.cell(r, col['分值']).value}")  # as text
                ws.cell(r, col["自评说明"], "已完成 ")

    path = edit(tmp_path, data, fill)
    # the secretary is not the person in direct charge: refused row by row, nothing saved
    secretary = h.holder(a.organisation.code, Role.SECRETARY)
    refused = imported("scores", path, secretary)
    assert refused.errors and not ItemScore.objects.filter(assessment=a).exists()

    report = imported("scores", path, deputy)
    assert report.applied, report.lines()
    scored = ItemScore.objects.filter(assessment=a, self_points__isnull=False)
    assert scored.count() == a.template.indicators.filter(veto=False).count()
    assert all(s.self_note == "已完成" for s in scored)
    a.refresh_from_db()
    assert a.self_score == sum(i.max_points for i in a.template.indicators.filter(veto=False))
    assert AuditEntry.objects.filter(action="assessment.self_save", subject_id=str(a.pk)).count() == 1
    again = imported("scores", path, deputy)
    assert again.counts["changed"] == 0
    assert AuditEntry.objects.filter(action="assessment.self_save", subject_id=str(a.pk)).count() == 1


def test_the_review_score_sheet_goes_to_the_reviewer_only(tmp_path, demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    reviewer = h.reviewer_of(a)
    data = templates.scores_template(cycle.assessments.filter(pk=a.pk))

    def fill(wb):
        ws = wb["评分"]
        col = header_columns(ws)
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col["分值"]).value:
                ws.cell(r, col["考核得分"], ws.cell(r, col["分值"]).value)

    path = edit(tmp_path, data, fill)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    assert not imported("scores", path, deputy).applied
    report = imported("scores", path, reviewer)
    assert report.applied, report.lines()
    a.refresh_from_db()
    # the imported scores are the reviewer's draft: they would rate 好, but count only once the review is submitted
    assert a.state == Stage.SUPERIOR_REVIEW and a.rating == "" and results.draft_result(a).rating == "good"
    assert imported("scores", path, reviewer).counts["changed"] == 0


def test_the_rectification_ledger_round_trip(tmp_path, demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    owner = h.holder(a.organisation.code, Role.DEPUTY)
    h.review(
        a,
        fraction=Decimal("0.7"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {
                "problem": '=HYPERLINK("x")组织生活不规范',
                "requirement": "按月开展",
                "owner": owner,
                "due": h.next_week(),
            }
        ],
    )
    items = RectificationItem.objects.filter(assessment__cycle=cycle)
    data = templates.rectification_ledger(items, title="整改台账")

    def fill(wb):
        ws = wb["整改"]
        col = header_columns(ws)
        r = col["_row"] + 1
        assert ws.cell(r, col["存在问题"]).data_type == "s"  # formula injection written as text
        ws.cell(r, col["整改情况"], "已按月开展主题党日")

    path = edit(tmp_path, data, fill)
    other = h.holder(a.organisation.code, Role.SECRETARY)
    assert not imported("rectification", path, other).applied
    report = imported("rectification", path, owner)
    assert report.applied, report.lines()
    item = items.get()
    assert item.state == ItemState.REPORTED and item.report == "已按月开展主题党日"
    assert imported("rectification", path, owner).counts["changed"] == 0


def test_the_results_ledger_has_title_merged_headers_and_print_setup(tmp_path, demo):
    from openpyxl import load_workbook

    cycle = h.open_cycle()
    data = ledgers.results_ledger(cycle)
    wb = load_workbook(save(tmp_path, data))
    ws = wb["考核结果"]
    assert ws["A1"].value.endswith("结果台账")
    assert "E3:H3" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["E3"].value == "得分" and ws["E4"].value == "自评"
    assert ws.print_title_rows == "$1:$4" and ws.page_setup.orientation == "landscape"
    names = {ws.cell(r, 2).value for r in range(5, ws.max_row + 1)}
    assert "中共江川市青山县河塘镇东坪村支部委员会" in names


def test_a_second_secretary_is_refused_at_its_row_in_the_preview(tmp_path, demo):
    officer = h.county_officer()

    def fill(wb):
        rs = wb["任职"]
        rc = header_columns(rs)
        r = rs.max_row + 1
        for label, value in {
            "用户名": "second",
            "姓名": "钱二",
            "组织编码": "JC-QS-HT-01",  # 东坪村 has a secretary (刘建国) with no end date
            "角色": "书记（第一责任人）",
            "任职开始日期": "2026-06-01",
        }.items():
            rs.cell(r, rc[label], value)

    report = imported("organisations", edit(tmp_path, roster_template(officer), fill), officer, commit=False)
    [error] = report.errors
    assert error.sheet == "任职" and error.column == "E" and "刘建国" in error.message
    assert not User.objects.filter(username="second").exists()


def test_a_score_sheet_with_notes_only_keeps_the_points_and_a_note_without_points_is_refused(tmp_path, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    from flows.services import assessments as svc

    first = a.template.indicators.filter(veto=False).order_by("order").first()
    svc.self_assessment_save(assessment=a, by=deputy, scores={first.pk: ("1.5", "")}, report="述职")
    data = templates.scores_template(cycle.assessments.filter(pk=a.pk))

    def note_only(wb):
        ws = wb["评分"]
        col = header_columns(ws)
        row = rows_where(ws, col["指标编码"], first.code, 2)[0]
        ws.cell(row, col["自评得分"], None)
        ws.cell(row, col["自评说明"], "补充说明")

    path = edit(tmp_path, data, note_only)
    assert imported("scores", path, deputy).counts["changed"] == 1
    score = ItemScore.objects.get(assessment=a, indicator=first)
    assert score.self_points == Decimal("1.5") and score.self_note == "补充说明"
    assert imported("scores", path, deputy).counts["changed"] == 0

    second = a.template.indicators.filter(veto=False).order_by("order")[1]

    def note_without_points(wb):
        ws = wb["评分"]
        col = header_columns(ws)
        ws.cell(rows_where(ws, col["指标编码"], second.code, 2)[0], col["自评说明"], "只有说明")

    refused = imported("scores", edit(tmp_path, data, note_without_points, name="x.xlsx"), deputy)
    assert not refused.applied and refused.errors[0].column == "F"
