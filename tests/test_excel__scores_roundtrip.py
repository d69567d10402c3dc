"""The score sheet (评分表) round trip: a sheet holds only what its downloader may score now; the same sheet back,
untouched or re-saved by a spreadsheet program, changes nothing and is never an error; filled in, exactly the filled
scores change; a hostile number in any score cell is refused at its cell (Chinese, sheet, row and column), nothing
is stored, the job ends and the command line says so without a traceback."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from flows.excel import exports, importing
from flows.excel import jobs as excel_jobs
from flows.excel.importers import scores as score_importer
from flows.models import ExcelJob, ItemScore, JobState, Organisation, OversightOffice, Role, Stage
from flows.services import assessments as svc
from tests import cycle_helpers as h
from tests.excel_helpers import edit, header_columns, imported, rows_where, save

pytestmark = pytest.mark.django_db

HOSTILE = ["NaN", "-nan", "sNaN", "Infinity", "1e999", "1_0", "0x10"]


def sheet(user, cycle, **params) -> bytes:
    return exports.build("scores", user, {"cycle": cycle.pk, **params})


def upload(path):
    return SimpleUploadedFile("评分表.xlsx", path.read_bytes())


def keys_in(data: bytes) -> set:
    ws = load_workbook(io.BytesIO(data))["评分"]
    return {ws.cell(r, 1).value for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is not None}


NOTHING = (None, "", None, "", False)  # an item without a score row (the review's save writes one for each item)


def changed_between(before: dict, after: dict) -> set:
    return {k for k in before.keys() | after.keys() if after.get(k, NOTHING) != before.get(k, NOTHING)}


def snapshot(cycle) -> dict:
    return {
        (s.assessment_id, s.indicator_id): (s.self_points, s.self_note, s.superior_points, s.superior_note, s.veto_hit)
        for s in ItemScore.objects.filter(assessment__cycle=cycle)
    }


def resaved(tmp_path, data: bytes, how: str, name="resaved.xlsx"):
    """What spreadsheet programs change when they open and save a sheet (LibreOffice Calc 7.4, WPS, Excel): numbers
    come back as floats (6 → 6.0), empty cells as nothing or as empty text, text with spaces gained at its ends or
    runs of spaces closed up. The tests must not need LibreOffice itself: these are the changes, made by hand."""

    def change(wb):
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=2):
                for c in row:
                    v = c.value
                    if isinstance(v, bool):
                        continue
                    if isinstance(v, int):
                        c.value = float(v)
                    elif how == "empty_text" and v is None and c.column > 5:
                        c.value = ""
                    elif how == "empty_text" and v == "":
                        c.value = None
                    elif how == "spaces" and isinstance(v, str):
                        c.value = "\u3000" + v.replace("  ", " ").replace("\n", " \n") + "  "

    return edit(tmp_path, data, change, name=name)


def fill(ws_values: dict):
    """A `fill(wb)` that writes {(item code, column label): value} into the 评分 sheet."""

    def _fill(wb):
        ws = wb["评分"]
        col = header_columns(ws)
        for (code, label), value in ws_values.items():
            ws.cell(rows_where(ws, col["指标编码"], code, 2)[0], col[label], value)

    return _fill


def items(a, n=3):
    return list(a.template.indicators.filter(veto=False).order_by("order")[:n])


@pytest.fixture
def cycle(demo):
    return h.open_cycle()


# ---- what a sheet holds ---------------------------------------------------------------------------------------


def test_a_cycle_sheet_holds_only_the_assessments_waiting_for_the_downloaders_score(client, cycle):
    a1, a2 = h.assessment_of(cycle), h.assessment_of(cycle, "JC-QS-HT-02")
    deputy = h.holder(a1.organisation.code, Role.DEPUTY)
    assert keys_in(sheet(deputy, cycle)) == {a1.pk}  # not the other villages of the cycle

    reviewer = h.reviewer_of(a1)  # 河塘镇 secretary: reviews 东坪村, 西岭村 and 南坳村
    assert keys_in(sheet(reviewer, cycle)) == set()  # all three are still at their self-assessment
    h.through_to_review(cycle)
    h.through_to_review(cycle, "JC-QS-HT-02")
    assert keys_in(sheet(reviewer, cycle)) == {a1.pk, a2.pk}
    assert keys_in(sheet(deputy, cycle)) == set()  # 东坪村's self-assessment is done: nothing waits for its deputy

    client.force_login(reviewer)
    url = reverse("excel_export_scores", kwargs={"pk": cycle.pk})
    response = client.get(url, {"assessment": a2.pk})  # from 西岭村's page: that assessment only
    assert response.status_code == 200 and keys_in(response.content) == {a2.pk}
    assert client.get(url, {"assessment": "x"}).status_code == 404
    home = client.get(reverse("excel_home")).content.decode()
    assert f'href="{url}"' in home and cycle.name in home
    page = client.get(reverse("assessment_detail", kwargs={"pk": a2.pk})).content.decode()
    assert f"{url}?assessment={a2.pk}" in page  # the assessment page links its own sheet

    client.force_login(deputy)  # 东坪村's deputy: nothing waits for them, no link
    page = client.get(reverse("assessment_detail", kwargs={"pk": a1.pk})).content.decode()
    assert "?assessment=" not in page
    # someone who scores nothing of this assessment at any stage gets the same 404 as for nothing at all
    other_deputy = h.holder("JC-QS-SQ-01-01", Role.DEPUTY)
    client.force_login(other_deputy)
    assert client.get(url, {"assessment": a1.pk}).status_code == 404


def test_the_person_in_direct_charge_round_trip_untouched_resaved_and_filled(tmp_path, cycle):
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    first, second, third = items(a)
    svc.self_assessment_save(
        assessment=a,
        by=deputy,
        scores={first.pk: ("1.5", "第一行\n第二行  两个空格"), second.pk: (str(second.max_points), "")},
        report="述职",
    )
    data = sheet(deputy, cycle)
    before = snapshot(cycle)
    for name, path in {
        "untouched": save(tmp_path, data),
        "floats and spaces": resaved(tmp_path, data, "spaces", name="spaces.xlsx"),
        "empty text": resaved(tmp_path, data, "empty_text", name="empty.xlsx"),
    }.items():
        report = imported("scores", path, deputy)
        assert report.ok, (name, report.lines())
        assert (report.counts["changed"], report.counts["new"]) == (0, 0), name
        assert report.counts["unchanged"] == a.template.indicators.count(), name
    assert snapshot(cycle) == before

    path = edit(
        tmp_path,
        data,
        fill({(first.code, "自评得分"): 2, (third.code, "自评得分"): "１．５", (third.code, "自评说明"): "已落实"}),
    )
    report = imported("scores", path, deputy)
    assert report.applied and report.counts["changed"] == 2, report.lines()
    after = snapshot(cycle)
    assert changed_between(before, after) == {(a.pk, first.pk), (a.pk, third.pk)}
    assert after[(a.pk, first.pk)][:2] == (Decimal("2"), "第一行\n第二行  两个空格")  # the note kept as stored
    assert after[(a.pk, third.pk)][:2] == (Decimal("1.5"), "已落实")
    assert imported("scores", path, deputy).counts["changed"] == 0


@pytest.mark.parametrize(
    "code,reviewed_by",
    [
        ("JC-QS-HT-01", "township secretary"),  # 河塘镇党委书记
        ("JC-QS-SQ-01-01", "general branch secretary"),  # 石桥村党总支书记
        ("JC-QS-HT-02", "review office"),  # 河塘镇 given a review office: its officers review
    ],
)
def test_each_reviewer_round_trip_untouched_resaved_and_filled(tmp_path, cycle, code, reviewed_by):
    if reviewed_by == "review office":
        Organisation.objects.filter(code="JC-QS-HT").update(review_office=OversightOffice.objects.get(code="QS-ZZB"))
    a = h.through_to_review(cycle, code)
    reviewer = h.reviewer_of(a)
    if reviewed_by == "review office":
        assert reviewer.offices.filter(office__code="QS-ZZB").exists()
    data = sheet(reviewer, cycle)
    assert a.pk in keys_in(data)
    before = snapshot(cycle)
    for path in (save(tmp_path, data), resaved(tmp_path, data, "spaces"), resaved(tmp_path, data, "empty_text")):
        report = imported("scores", path, reviewer)
        assert report.ok and report.counts["changed"] == 0, report.lines()
    assert snapshot(cycle) == before

    first, second, _third = items(a)
    path = edit(tmp_path, data, fill({(first.code, "考核得分"): 1, (second.code, "考核得分"): "２"}))
    report = imported("scores", path, reviewer)
    assert report.applied and report.counts["changed"] == 2, report.lines()
    after = snapshot(cycle)
    assert changed_between(before, after) == {(a.pk, first.pk), (a.pk, second.pk)}
    assert (after[(a.pk, first.pk)][2], after[(a.pk, second.pk)][2]) == (Decimal("1"), Decimal("2"))
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW  # saved as a draft, as on the screen


def test_unchanged_rows_of_an_assessment_that_moved_on_are_unchanged_and_a_changed_one_is_refused(tmp_path, cycle):
    a = h.assessment_of(cycle)
    deputy = h.do_self_assessment(a)  # drafted and submitted: now at the secretary's approval
    data = exports.build("scores", deputy, {"cycle": cycle.pk})
    assert keys_in(data) == set()
    from flows.excel import templates

    old = templates.scores_template(cycle.assessments.filter(pk=a.pk))  # as downloaded before the submission
    report = imported("scores", save(tmp_path, old), deputy)
    assert report.ok and report.counts["changed"] == 0 and report.counts["unchanged"] > 0

    first = items(a, 1)[0]
    report = imported("scores", edit(tmp_path, old, fill({(first.code, "自评得分"): 0})), deputy)
    [error] = report.errors
    assert not report.applied and error.column == "F" and "现在不接受评分" in error.message


def test_a_reviewer_cannot_change_the_self_assessment_in_the_sheet(tmp_path, cycle):
    a = h.through_to_review(cycle)
    reviewer = h.reviewer_of(a)
    first = items(a, 1)[0]
    before = snapshot(cycle)
    report = imported(
        "scores", edit(tmp_path, sheet(reviewer, cycle), fill({(first.code, "自评说明"): "改了"})), reviewer
    )
    [error] = report.errors
    assert error.column == "G" and "考核得分、考核意见" in error.message
    assert snapshot(cycle) == before


def test_the_secretary_is_refused_the_self_assessment_only_where_a_score_changes(tmp_path, cycle):
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    data = sheet(deputy, cycle)
    secretary = h.holder(a.organisation.code, Role.SECRETARY)
    assert imported("scores", save(tmp_path, data), secretary).ok  # the same sheet untouched: nothing to refuse
    first = items(a, 1)[0]
    report = imported("scores", edit(tmp_path, data, fill({(first.code, "自评得分"): 1})), secretary)
    [error] = report.errors
    assert error.column == "F" and "您的职责不允许" in error.message
    assert not ItemScore.objects.filter(assessment=a).exists()


# ---- hostile numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("column,letter", [("自评得分", "F"), ("考核得分", "H")])
def test_a_hostile_number_in_a_score_cell_is_refused_at_its_cell(tmp_path, cycle, value, column, letter):
    a = h.through_to_review(cycle) if column == "考核得分" else h.assessment_of(cycle)
    user = h.reviewer_of(a) if column == "考核得分" else h.holder(a.organisation.code, Role.DEPUTY)
    first = items(a, 1)[0]
    before = snapshot(cycle)
    path = edit(tmp_path, sheet(user, cycle), fill({(first.code, column): value}))
    report = imported("scores", path, user)
    [error] = report.errors
    assert (error.sheet, error.column) == ("评分", letter) and error.row >= 2
    assert first.code in error.message and column in error.message and "请输入数字" in error.message
    assert not report.applied and snapshot(cycle) == before

    job = excel_jobs.import_start(by=user, kind="scores", upload=upload(path))
    excel_jobs.import_check(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.REFUSED and job.report["errors"][0]["column"] == letter

    with pytest.raises(CommandError) as refused:
        call_command("import_workbook", "scores", str(path), "--dry-run", "--user", user.username)
    assert refused.value.returncode == 1
    assert snapshot(cycle) == before


def test_the_command_line_prints_the_hostile_cell(tmp_path, cycle, capsys):
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    first = items(a, 1)[0]
    path = edit(tmp_path, sheet(deputy, cycle), fill({(first.code, "自评得分"): "NaN"}))
    with pytest.raises(CommandError) as refused:
        call_command("import_workbook", "scores", str(path), "--dry-run", "--user", deputy.username)
    out = capsys.readouterr()
    assert refused.value.returncode == 1 and "Traceback" not in out.out + out.err
    assert f"：{first.code} 自评得分：请输入数字" in out.out and "评分!F" in out.out


def test_full_width_digits_are_digits_and_out_of_range_is_said(tmp_path, cycle):
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    first, second = items(a, 2)
    data = sheet(deputy, cycle)
    report = imported("scores", edit(tmp_path, data, fill({(first.code, "自评得分"): "８５"})), deputy)
    [error] = report.errors  # read as 85: over the item's maximum, not "not a number"
    assert "应在 0 到" in error.message and "请输入数字" not in error.message
    report = imported("scores", edit(tmp_path, data, fill({(second.code, "自评得分"): "２．５分"})), deputy)
    assert report.applied, report.lines()
    assert ItemScore.objects.get(assessment=a, indicator=second).self_points == Decimal("2.5")


def test_a_numeric_cell_no_spreadsheet_writes_ends_as_refused(tmp_path, cycle):
    """`<v>0x10</v>` in a number cell: openpyxl itself cannot read it. The file is refused; the job is not left."""
    import re
    import zipfile

    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    first = items(a, 1)[0]
    good = edit(tmp_path, sheet(deputy, cycle), fill({(first.code, "自评得分"): 3}))
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                part = re.sub(rb'(<c r="F2"[^>]*><v>)3(</v>)', rb"\g<1>0x10\2", part)
            dst.writestr(info, part)
    report = importing.run_import("scores", bad, deputy)
    assert report.refused and "无法读取" in report.refused
    job = excel_jobs.import_start(by=deputy, kind="scores", upload=upload(bad))
    excel_jobs.import_check(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.REFUSED


# ---- no job is left running ------------------------------------------------------------------------------------


def test_an_unexpected_error_while_checking_or_importing_ends_the_job_as_failed(tmp_path, cycle, monkeypatch):
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    first = items(a, 1)[0]
    path = edit(tmp_path, sheet(deputy, cycle), fill({(first.code, "自评得分"): 1}))

    def broken(self, report):
        raise ZeroDivisionError("a fault of ours")

    job = excel_jobs.import_start(by=deputy, kind="scores", upload=upload(path))
    with monkeypatch.context() as m:
        m.setattr(score_importer.ScoresImporter, "plan", broken)
        excel_jobs.import_check(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and str(job.pk) in job.message and not job.running

    job = excel_jobs.import_start(by=deputy, kind="scores", upload=upload(path))
    excel_jobs.import_check(job.pk)
    job = excel_jobs.import_confirm(by=deputy, job=ExcelJob.objects.get(pk=job.pk))
    real_plan = score_importer.ScoresImporter.plan

    def plan_then_break(self, report):
        steps = real_plan(self, report)

        def boom():
            raise RuntimeError("the service broke")

        return [*steps, ("评分", 2, boom)]

    with monkeypatch.context() as m:
        m.setattr(score_importer.ScoresImporter, "plan", plan_then_break)
        excel_jobs.import_apply(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.running
    assert not ItemScore.objects.filter(assessment=a).exists()  # rolled back: nothing imported

    with monkeypatch.context() as m, pytest.raises(CommandError) as failed:
        m.setattr(score_importer.ScoresImporter, "plan", broken)
        call_command("import_workbook", "scores", str(path), "--dry-run", "--user", deputy.username)
    assert failed.value.returncode == 3 and "ZeroDivisionError" in str(failed.value)
