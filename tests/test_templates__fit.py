"""Indicator templates that fit (issue 17): a cycle opens only with templates whose regular items total 100 (or
that are explicitly scaled to 100) and with a weight that counts; bonus and deduction items (加分项 / 扣分项) add and
take points up to the template's caps; each organisation gets the template of its sector and level, so no township
committee is scored on a school's items; the indicator sheet carries all of it and round-trips unchanged."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.domain import scoring
from flows.excel import templates as sheets
from flows.models import (
    CycleState,
    CycleTemplate,
    Dimension,
    Indicator,
    IndicatorTemplate,
    Organisation,
    Outcome,
    OversightOffice,
    ReviewCycle,
    Role,
    Stage,
    User,
)
from flows.models.indicators import IndicatorKind
from flows.selectors import task_url
from flows.services import assessments as svc
from flows.services import cycles as cycle_svc
from flows.services.indicators import templates_load_defaults
from tests import cycle_helpers as h
from tests.excel_helpers import edit, header_columns, imported, save

pytestmark = pytest.mark.django_db

VILLAGE = "JC-QS-HT-01"


def make_template(code, *, regular=(60, 40), bonus=(), deduction=(), bonus_cap=0, deduction_cap=0, normalise=False):
    t = IndicatorTemplate.objects.create(
        code=code,
        name=f"{code} 考核指标",
        sector="",
        bonus_cap=Decimal(bonus_cap),
        deduction_cap=Decimal(deduction_cap),
        normalise=normalise,
    )
    d = Dimension.objects.create(template=t, code="D1", name="领导班子好")
    n = 0
    for kind, points in (
        [(IndicatorKind.REGULAR, p) for p in regular]
        + [(IndicatorKind.BONUS, p) for p in bonus]
        + [(IndicatorKind.DEDUCTION, p) for p in deduction]
    ):
        n += 1
        Indicator.objects.create(
            template=t, dimension=d, code=f"I{n}", name=f"指标{n}", max_points=Decimal(points), kind=kind, order=n
        )
    Indicator.objects.create(
        template=t, dimension=d, code="V", name="班子成员严重违纪违法", max_points=0, veto=True, order=n + 1
    )
    return t


def draft_cycle(template, *, year=2031, **fields):
    return cycle_svc.cycle_create(
        by=h.county_officer(),
        office=OversightOffice.objects.get(code="QS-ZZB"),
        templates={"": template},
        year=year,
        name=f"{year}年度考核",
        explicit=[Organisation.objects.get(code=VILLAGE)],
        **(cycle_svc.due_dates_for_year(year) | fields),
    )


def launched(template, **fields):
    cycle = draft_cycle(template, **fields)
    cycle_svc.cycle_open(by=h.county_officer(), cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    return h.assessment_of(ReviewCycle.objects.get(pk=cycle.pk))


def points_by_code(a, **by_code):
    """{indicator id: (points, note)} from {indicator code: points}."""
    ids = dict(a.template.indicators.values_list("code", "pk"))
    return {ids[code]: (str(points), "") for code, points in by_code.items()}


def save_self(a, **by_code):
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    return svc.self_assessment_save(assessment=a, by=deputy, scores=points_by_code(a, **by_code), report="述职报告")


# ---- totals of 100, checked when the cycle opens ---------------------------------------------------------------


def test_a_template_whose_regular_items_do_not_total_100_is_refused_when_the_cycle_opens(demo):
    template = make_template("SHORT", regular=(50, 40), bonus=(5,), bonus_cap=5)  # 90 regular; bonus not counted
    cycle = draft_cycle(template)
    with pytest.raises(ValidationError) as refused:
        cycle_svc.cycle_open(by=h.county_officer(), cycle=cycle)
    [message] = refused.value.messages
    assert "SHORT" in message and template.name in message and "90" in message and "100" in message
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT and not cycle.assessments.exists()
    assert not template.is_frozen  # nothing froze: the office can still fix the points in place


def test_a_template_marked_to_be_scaled_opens_and_its_totals_are_scaled_to_100(demo):
    template = make_template("SCALED", regular=(50, 40), normalise=True)
    a = launched(template)
    assert a.cycle.state == CycleState.OPEN
    a = save_self(a, I1=45, I2=36)  # 81 of 90 points
    assert a.self_score == Decimal("90.00")


def test_a_scaled_template_without_regular_points_is_still_refused(demo):
    template = make_template("EMPTY", regular=(), bonus=(5,), bonus_cap=5, normalise=True)
    with pytest.raises(ValidationError) as refused:
        cycle_svc.cycle_open(by=h.county_officer(), cycle=draft_cycle(template))
    assert "EMPTY" in refused.value.messages[0]


def test_bonus_items_without_a_cap_are_refused_when_the_cycle_opens(demo):
    template = make_template("NOCAP", regular=(60, 40), bonus=(3,), bonus_cap=0)
    with pytest.raises(ValidationError) as refused:
        cycle_svc.cycle_open(by=h.county_officer(), cycle=draft_cycle(template))
    assert "NOCAP" in refused.value.messages[0]


def test_a_cycle_whose_weights_are_all_zero_is_refused(demo):
    cycle = draft_cycle(
        make_template("ZEROW"),
        weight_self=Decimal(0),
        weight_mass=Decimal(0),
        weight_superior=Decimal(0),
        weight_social=Decimal(0),
    )
    with pytest.raises(ValidationError):
        cycle_svc.cycle_open(by=h.county_officer(), cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT


def test_every_default_template_totals_100_with_capped_bonus_and_deduction_items(demo):
    templates_load_defaults()
    for t in IndicatorTemplate.objects.all():
        assert t.total_points() == 100, t.code
    for code in ("COUNTY-2026", "TOWNSHIP-2026", "SCHOOL-2026", "HOSPITAL-2026", "RESEARCH-2026"):
        t = IndicatorTemplate.objects.get(code=code)
        kinds = set(t.indicators.values_list("kind", flat=True))
        assert {IndicatorKind.BONUS, IndicatorKind.DEDUCTION} <= kinds, code
        assert (t.bonus_cap, t.deduction_cap) == (5, 10), code
        assert t.indicators.filter(veto=True).count() == 1, code


# ---- bonus and deduction items with caps, through the real services ----------------------------------------


def test_the_self_assessment_total_adds_capped_bonus_and_takes_capped_deductions(demo):
    template = make_template(
        "CAPS", regular=(60, 40), bonus=(4, 4), deduction=(8, 8), bonus_cap=5, deduction_cap=10
    )  # I1, I2 regular; I3, I4 bonus; I5, I6 deduction
    a = launched(template)
    a = save_self(a, I1=50, I2=30, I3=4, I4=3, I5=2, I6=0)
    assert a.self_score == Decimal("83.00")  # 80 + min(7, 5) − min(2, 10)
    a = save_self(a, I1=2, I2=0, I3=0, I4=0, I5=8, I6=8)
    assert a.self_score == Decimal("0.00")  # 2 − min(16, 10) would be −8: never below 0
    a = save_self(a, I1=50, I2=30, I3=0, I4=0, I5=8, I6=8)
    assert a.self_score == Decimal("70.00")  # 80 − 10: the deduction cap


def test_the_superior_review_total_adds_capped_bonus_and_takes_capped_deductions(demo):
    template = make_template("CAPR", regular=(60, 40), bonus=(4, 4), deduction=(8, 8), bonus_cap=5, deduction_cap=10)
    a = launched(template)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    svc.self_assessment_save(
        assessment=a, by=deputy, scores=points_by_code(a, I1=55, I2=35, I3=0, I4=0, I5=0, I6=0), report="述职报告"
    )
    svc.self_assessment_submit(assessment=a, by=deputy)
    h.approve_self(a)
    h.close_mass(a, "88")
    a = h.assessment_of(a.cycle)
    assert a.state == Stage.SUPERIOR_REVIEW
    reviewer = h.reviewer_of(a)
    scores = points_by_code(a, I1=50, I2=40, I3=4, I4=4, I5=3, I6=0)
    svc.review_save(assessment=a, by=reviewer, scores=scores, comment="考评意见")
    svc.review_submit(assessment=a, by=reviewer, outcome=Outcome.NONE)
    a = h.assessment_of(a.cycle)
    assert a.superior_score == Decimal("92.00")  # 90 + min(8, 5) − min(3, 10)
    # weights 20/20/60: (90 × 20 + 88 × 20 + 92 × 60) / 100
    assert a.combined_score == Decimal("90.80") and a.rating == "good"


def test_a_bonus_item_is_scored_within_its_own_maximum(demo):
    a = launched(make_template("BMAX", regular=(60, 40), bonus=(4,), bonus_cap=5))
    with pytest.raises(ValidationError) as refused:
        save_self(a, I1=50, I2=30, I3=6)
    assert "I3" in str(refused.value)


def test_points_total_scales_regular_points_before_the_caps():
    class T:
        normalise, bonus_cap, deduction_cap = True, Decimal(5), Decimal(10)

    def ind(pk, points, kind=IndicatorKind.REGULAR, veto=False):
        return Indicator(pk=pk, max_points=Decimal(points), kind=kind, veto=veto)

    items = [ind(1, 30), ind(2, 20), ind(3, 5, IndicatorKind.BONUS), ind(4, 10, IndicatorKind.DEDUCTION), ind(5, 0)]
    items[4].veto = True
    # 40 of 50 regular points → 80, + 5 bonus, − 4 deduction
    assert scoring.points_total(T, items, {1: Decimal(25), 2: Decimal(15), 3: Decimal(5), 4: Decimal(4)}) == 81


def test_the_caps_of_a_template_in_use_cannot_change(demo):
    template = make_template("FROZEN", regular=(60, 40), bonus=(3,), bonus_cap=5)
    launched(template)
    template.bonus_cap = Decimal(20)
    with pytest.raises(ValidationError):
        template.save()
    template.refresh_from_db()
    assert template.bonus_cap == 5


# ---- the template that fits the organisation's sector and level -------------------------------------------


def test_the_choice_goes_by_sector_and_level_then_sector_then_level_then_general():
    table = {
        ("village", ""): "village",
        ("", "township"): "township",
        ("school", ""): "school",
        ("agency", "county"): "county agency",
        ("agency", ""): "agency",
        ("", ""): "general",
    }
    assert CycleTemplate.pick(table, "village", "grassroots") == "village"
    assert CycleTemplate.pick(table, "", "township") == "township"
    assert CycleTemplate.pick(table, "school", "grassroots") == "school"
    assert CycleTemplate.pick(table, "agency", "county") == "county agency"
    assert CycleTemplate.pick(table, "agency", "city") == "agency"
    assert CycleTemplate.pick(table, "", "county") == "general"
    assert CycleTemplate.pick({("village", ""): "village"}, "", "township") is None  # nothing fits: refused


def city_cycle():
    """The city organisation department's cycle over the whole city, with the default templates."""
    templates_load_defaults()
    officer = User.objects.get(username="zuzhibu")
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=OversightOffice.objects.get(code="JC-ZZB"),
        templates=cycle_svc.default_cycle_templates(),
        year=2032,
        name="2032年度江川市基层党建工作责任制考核",
        **cycle_svc.due_dates_for_year(2032),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    return ReviewCycle.objects.get(pk=cycle.pk)


def test_each_organisation_gets_the_template_of_its_level_and_sector(demo):
    cycle = city_cycle()
    expected = {
        "JC-QS": "COUNTY-2026",  # 县委
        "JC-BH": "COUNTY-2026",
        "JC-QS-HT": "TOWNSHIP-2026",  # 乡镇党委
        "JC-BH-LS": "TOWNSHIP-2026",
        "JC-QS-HT-01": "VILLAGE-2026",
        "JC-QS-HT-04": "COMMUNITY-2026",
        "JC-YZ": "SCHOOL-2026",
        "JC-YZ-01": "SCHOOL-2026",
        "JC-RMYY-01": "HOSPITAL-2026",
        "JC-NKS": "RESEARCH-2026",
        "JC-QS-JGGW": "AGENCY-2026",
        "JC-GDGS": "SOE-2026",
    }
    got = dict(
        cycle.assessments.filter(organisation__code__in=expected).values_list("organisation__code", "template__code")
    )
    assert got == expected
    for code in ("JC-QS-HT", "JC-QS", "JC-QS-HT-01"):
        names = " ".join(h.assessment_of(cycle, code).template.indicators.values_list("name", flat=True))
        assert "校" not in names and "医" not in names, code  # no school or hospital items for them
    assert cycle.template_for("", "township").code == "TOWNSHIP-2026"
    assert cycle.template_for("school", "grassroots").code == "SCHOOL-2026"
    assert cycle.template_for("village", "grassroots").code == "VILLAGE-2026"


def test_the_general_template_no_longer_scores_schools_and_hospitals(demo):
    templates_load_defaults()
    general = cycle_svc.default_cycle_templates()[("", "")]
    names = " ".join(general.indicators.values_list("name", flat=True))
    assert general.code == "GENERAL-2026" and "校（院）长负责制" not in names and "医德" not in names


def test_a_cycle_with_no_template_for_a_level_is_refused_naming_it(demo):
    templates_load_defaults()
    village = IndicatorTemplate.objects.get(code="VILLAGE-2026")
    cycle = cycle_svc.cycle_create(
        by=h.county_officer(),
        office=OversightOffice.objects.get(code="QS-ZZB"),
        templates={("village", ""): village},
        year=2033,
        name="2033年度考核",
        scope_levels=["township", "grassroots"],
        **cycle_svc.due_dates_for_year(2033),
    )
    with pytest.raises(ValidationError) as refused:
        cycle_svc.cycle_open(by=h.county_officer(), cycle=cycle)
    assert refused.value.messages
    assert not cycle.assessments.exists()


def test_the_demo_cycles_score_townships_and_schools_on_their_own_templates(demo):
    from flows.services.demo import DEMO_CYCLE_YEAR, DEMO_PAST_YEARS

    for year in (*DEMO_PAST_YEARS, DEMO_CYCLE_YEAR):
        cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=year)
        got = dict(cycle.assessments.values_list("organisation__code", "template__code"))
        assert got["JC-QS-HT"] == "TOWNSHIP-2026" and got["JC-BH-CG"] == "TOWNSHIP-2026", year
        assert got["JC-YZ"] == "SCHOOL-2026" and got["JC-RMYY"] == "HOSPITAL-2026", year
        assert got["JC-NKS"] == "RESEARCH-2026" and got["JC-QS"] == "COUNTY-2026", year
        assert got["JC-QS-HT-02"] == "VILLAGE-2026", year


# ---- screens ----------------------------------------------------------------------------------------------------


def test_the_self_assessment_screen_shows_a_bonus_item_with_its_kind_and_cap(client, demo):
    a = launched(make_template("SCREEN", regular=(60, 40), bonus=(4,), deduction=(6,), bonus_cap=5, deduction_cap=8))
    client.force_login(h.holder(a.organisation.code, Role.DEPUTY))
    task = Task.objects.get(process=a.process, status__in=[STATUS.NEW, STATUS.ASSIGNED])
    body = client.get(task_url(task)).content.decode()
    assert body.count('class="tag item-kind"') == 1 and body.count('class="tag warn item-kind"') == 1
    bonus_row = body[body.index("I3 指标3") :][:600]
    deduction_row = body[body.index("I4 指标4") :][:600]
    assert " 5 " in bonus_row and " 8 " in deduction_row  # the template's caps


def test_the_cycle_create_page_lists_the_template_of_each_sector_and_level(client, demo):
    templates_load_defaults()
    client.force_login(h.county_officer())
    body = client.get(reverse("cycle_create")).content.decode()
    for code in ("TOWNSHIP-2026", "COUNTY-2026", "SCHOOL-2026", "GENERAL-2026"):
        assert IndicatorTemplate.objects.filter(code=code).latest("version").name in body


# ---- the indicator sheet ------------------------------------------------------------------------------------


def test_the_indicator_sheet_carries_kind_caps_level_and_scale_and_round_trips_unchanged(tmp_path, demo):
    templates_load_defaults()
    officer = h.county_officer()
    township = IndicatorTemplate.objects.get(code="TOWNSHIP-2026")
    data = sheets.indicators_template(township)
    untouched = imported("indicators", save(tmp_path, data), officer, commit=False)
    assert untouched.ok and untouched.counts["changed"] == 0 and untouched.counts["new"] == 0, untouched.lines()
    assert untouched.counts["unchanged"] == township.indicators.count()

    def fill(wb):
        ws = wb["指标"]
        col = header_columns(ws)
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col["模板编码"], "TOWNSHIP-COPY")
            ws.cell(r, col["版本"], None)
            ws.cell(r, col["加分上限"], "３")  # full-width, as typed with a Chinese input method
            ws.cell(r, col["扣分上限"], 6)
            ws.cell(r, col["折算为百分制"], "是")
            if ws.cell(r, col["指标编码"]).value == "D5.3":
                ws.cell(r, col["指标类型"], "加分项")
                ws.cell(r, col["分值"], 2)

    path = edit(tmp_path, data, fill)
    report = imported("indicators", path, officer)
    assert report.applied, report.lines()
    copy = IndicatorTemplate.objects.get(code="TOWNSHIP-COPY")
    assert (copy.level, copy.bonus_cap, copy.deduction_cap, copy.normalise) == ("township", 3, 6, True)
    assert copy.indicators.get(code="D5.3").kind == IndicatorKind.BONUS
    assert copy.indicators.get(code="K1").kind == IndicatorKind.DEDUCTION
    assert copy.total_points() == township.total_points() - township.indicators.get(code="D5.3").max_points
    again = imported("indicators", save(tmp_path, sheets.indicators_template(copy), "copy.xlsx"), officer)
    assert again.counts["new"] == 0 and again.counts["changed"] == 0, again.lines()


@pytest.mark.parametrize("hostile", ["NaN", "-nan", "sNaN", "Infinity", "1e999", "1_0", "0x10", "101", "-1", "2.55"])
@pytest.mark.parametrize("column", ["分值", "加分上限", "扣分上限"])
def test_hostile_numbers_in_points_and_caps_are_refused_with_the_column_named(tmp_path, demo, hostile, column):
    templates_load_defaults()
    officer = h.county_officer()
    township = IndicatorTemplate.objects.get(code="TOWNSHIP-2026")
    data = sheets.indicators_template(township)

    def fill(wb):
        ws = wb["指标"]
        col = header_columns(ws)
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col["模板编码"], "HOSTILE")
            ws.cell(r, col["版本"], None)
        ws.cell(2, col[column], hostile)

    report = imported("indicators", edit(tmp_path, data, fill), officer)
    assert not report.applied
    [error] = report.errors
    letter = get_column_letter(header_columns(load_workbook(io.BytesIO(data))["指标"])[column])
    assert error.row == 2 and error.column == letter and column in error.message
    assert not IndicatorTemplate.objects.filter(code="HOSTILE").exists()


def test_template_columns_that_disagree_within_a_template_are_refused(tmp_path, demo):
    templates_load_defaults()
    data = sheets.indicators_template(IndicatorTemplate.objects.get(code="SCHOOL-2026"))

    def fill(wb):
        ws = wb["指标"]
        col = header_columns(ws)
        ws.cell(3, col["加分上限"], 8)

    report = imported("indicators", edit(tmp_path, data, fill), h.county_officer())
    assert not report.applied
    [error] = report.errors
    assert error.row == 3 and "加分上限" in error.message and "2" in error.message
    assert IndicatorTemplate.objects.get(code="SCHOOL-2026").bonus_cap == 5


def test_a_renamed_template_in_the_sheet_is_a_change_shown_and_applied(demo, tmp_path):
    """The template's own columns are offered for editing: changing only its name is previewed as a change."""
    from openpyxl import load_workbook

    from flows.excel.importing import run_import
    from flows.excel.templates import indicators_template
    from flows.models import IndicatorTemplate, User
    from flows.services.indicators import templates_load_defaults

    templates_load_defaults()
    template = IndicatorTemplate.objects.get(code="TOWNSHIP-2026")
    path = tmp_path / "indicators.xlsx"
    path.write_bytes(indicators_template(template))
    wb = load_workbook(path)
    ws = wb["指标"]
    header_row = next(r for r in ws.iter_rows() if any(str(c.value or "").startswith("模板名称") for c in r))
    header = {str(c.value).replace("*", "").strip(): c.column for c in header_row if c.value}
    col = header["模板名称"]
    for row in ws.iter_rows(min_row=ws.min_row):
        cell = row[col - 1]
        if cell.value == template.name:
            cell.value = template.name + "（修订）"
    wb.save(path)
    officer = User.objects.get(username="zuzhibu")
    preview = run_import("indicators", path, officer)
    assert preview.counts["changed"] >= 1, preview.lines()
    # the demo's open cycle uses it: the change is refused with the reason, never silently dropped
    done = run_import("indicators", path, officer, commit=True)
    assert not done.applied and any("新建版本" in line for line in done.lines()), done.lines()
    assert not IndicatorTemplate.objects.get(pk=template.pk).name.endswith("（修订）")
