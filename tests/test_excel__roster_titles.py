"""The roster's 任职 sheet offers 职务 (job title) for editing: a changed title is a change in the preview and is
applied to the person (audited); left empty it changes nothing; two different new titles for one person, or one too
long, are refused at their cell. The same roster back unchanged, also as a spreadsheet program re-saves it, is 0
changes; a changed 姓名 is refused, never ignored."""

import pytest

from flows.excel import templates
from flows.models import AuditEntry, RoleAssignment, User
from flows.policy import access
from tests import cycle_helpers as h
from tests.excel_helpers import edit, header_columns, imported, rows_where, save

pytestmark = pytest.mark.django_db


def roster(user) -> bytes:
    orgs = access.overseen_organisations(user)
    return templates.organisations_template(orgs, RoleAssignment.objects.current().filter(organisation__in=orgs))


def set_cells(values: dict):
    """A `fill(wb)` that writes {(user name, column label): value} into every 任职 row of that user."""

    def fill(wb):
        rs = wb["任职"]
        col = header_columns(rs)
        for (username, label), value in values.items():
            rows = rows_where(rs, col["用户名"], username, 2)
            assert rows, username
            for r in rows:
                rs.cell(r, col[label], value)

    return fill


def test_a_changed_title_is_previewed_as_a_change_and_applied_to_the_person(tmp_path, demo):
    officer = h.county_officer()
    fenguan = User.objects.get(username="fenguan")
    old_title = fenguan.title
    path = edit(tmp_path, roster(officer), set_cells({("fenguan", "职务"): " 东坪村党支部书记 "}))

    preview = imported("organisations", path, officer, commit=False)
    assert preview.ok, preview.lines()
    assert (preview.counts["new"], preview.counts["changed"]) == (0, 1)
    [(sheet, _row, status, summary)] = preview.rows
    assert (sheet, status) == ("任职", "changed") and old_title in summary and "东坪村党支部书记" in summary
    fenguan.refresh_from_db()
    assert fenguan.title == old_title  # the preview writes nothing

    done = imported("organisations", path, officer)
    assert done.applied, done.lines()
    fenguan.refresh_from_db()
    assert fenguan.title == "东坪村党支部书记"
    entry = AuditEntry.objects.get(action="person.title", subject_id=str(fenguan.pk))
    assert (entry.from_value, entry.to_value, entry.actor) == (old_title, "东坪村党支部书记", officer)

    again = imported("organisations", path, officer)
    assert (again.counts["new"], again.counts["changed"]) == (0, 0)
    assert AuditEntry.objects.filter(action="person.title").count() == 1


def test_the_roster_back_unchanged_or_resaved_is_no_change_and_an_empty_title_changes_nothing(tmp_path, demo):
    officer = h.county_officer()
    data = roster(officer)
    titles = dict(User.objects.values_list("username", "title"))

    def resave(wb):  # what a spreadsheet program changes: numbers as floats, text with spaces at its ends
        for ws in wb.worksheets[1:]:
            for row in ws.iter_rows(min_row=2):
                for c in row:
                    if isinstance(c.value, int) and not isinstance(c.value, bool):
                        c.value = float(c.value)
                    elif isinstance(c.value, str):
                        c.value = f" {c.value}\u3000"

    for path in (save(tmp_path, data), edit(tmp_path, data, resave, name="resaved.xlsx")):
        report = imported("organisations", path, officer, commit=False)
        assert report.ok and (report.counts["new"], report.counts["changed"]) == (0, 0), report.lines()
        assert report.counts["unchanged"] > 10

    emptied = imported("organisations", edit(tmp_path, data, set_cells({("fenguan", "职务"): None})), officer)
    assert emptied.ok and emptied.counts["changed"] == 0
    assert dict(User.objects.values_list("username", "title")) == titles


def test_two_titles_for_one_person_and_a_title_too_long_are_refused_at_their_cell(tmp_path, demo):
    officer = h.county_officer()

    def second_role_with_another_title(wb):
        rs = wb["任职"]
        col = header_columns(rs)
        r = rs.max_row + 1
        first = rows_where(rs, col["用户名"], "fenguan", 2)[0]
        rs.cell(first, col["职务"], "东坪村党支部书记")
        for label, value in {
            "用户名": "fenguan",
            "姓名": "周海燕",
            "职务": "河塘镇妇联主席",
            "组织编码": "JC-QS-HT",
            "角色": "班子成员",
            "任职开始日期": "2026-03-01",
        }.items():
            rs.cell(r, col[label], value)

    report = imported("organisations", edit(tmp_path, roster(officer), second_role_with_another_title), officer)
    [error] = report.errors
    assert (error.sheet, error.column) == ("任职", "C") and "东坪村党支部书记" in error.message
    assert not report.applied
    assert User.objects.get(username="fenguan").title != "东坪村党支部书记"

    long = imported(
        "organisations", edit(tmp_path, roster(officer), set_cells({("fenguan", "职务"): "长" * 121})), officer
    )
    [error] = long.errors
    assert (error.sheet, error.column) == ("任职", "C") and "120" in error.message


def test_the_same_new_title_on_every_row_of_a_person_is_one_change(tmp_path, demo):
    officer = h.county_officer()

    def second_role(wb):
        rs = wb["任职"]
        col = header_columns(rs)
        r = rs.max_row + 1
        for label, value in {
            "用户名": "fenguan",
            "姓名": "周海燕",
            "职务": "东坪村党支部书记",
            "组织编码": "JC-QS-HT",
            "角色": "班子成员",
            "任职开始日期": "2026-03-01",
        }.items():
            rs.cell(r, col[label], value)
        rs.cell(rows_where(rs, col["用户名"], "fenguan", 2)[0], col["职务"], "东坪村党支部书记")

    report = imported("organisations", edit(tmp_path, roster(officer), second_role), officer)
    assert report.applied, report.lines()
    assert (report.counts["new"], report.counts["changed"]) == (1, 1)
    assert User.objects.get(username="fenguan").title == "东坪村党支部书记"
    assert AuditEntry.objects.filter(action="person.title").count() == 1
    assert RoleAssignment.objects.filter(user__username="fenguan", organisation__code="JC-QS-HT").exists()


def test_a_changed_name_is_refused_not_ignored(tmp_path, demo):
    officer = h.county_officer()
    report = imported(
        "organisations", edit(tmp_path, roster(officer), set_cells({("fenguan", "姓名"): "周海"})), officer
    )
    [error] = report.errors
    assert (error.sheet, error.column) == ("任职", "B") and "周海燕" in error.message
    assert User.objects.get(username="fenguan").real_name == "周海燕"
