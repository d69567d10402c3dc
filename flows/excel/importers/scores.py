"""Offline score sheets (评分 sheet): the self-assessment or the superior review, filled in Excel.

Each row names its assessment by the hidden key column of the template. Every score column of every row is compared
with what is stored, the way the sheet comes back from Excel, WPS or LibreOffice (numbers as 85 or 85.0, empty
cells as nothing or "", text with spaces gained or lost): a row whose values are unchanged is unchanged, whoever
uploads it and whatever stage its assessment is at. A changed value is applied only in the columns of the step the
assessment is at, and only by whoever the policy lets take that step (the self-assessment by the person in direct
charge, the review by the reviewer), through the same service as the screen; any other change is refused at its
cell with the reason. A blank score never clears a stored one."""

from decimal import Decimal

from django.utils.translation import gettext as _

from flows.domain import numbers
from flows.excel import reading
from flows.excel.import_rows import CHANGED, UNCHANGED, Importer
from flows.models import Assessment, ItemScore, Stage
from flows.policy import access, steps
from flows.services import assessments as services

SHEETS = ("评分", "评分表", "打分")
COLUMNS = [
    reading.Column("key", "考核编号", ("编号",), required=True),
    reading.Column("org", "组织名称"),
    reading.Column("code", "指标编码", required=True),
    reading.Column("name", "指标名称"),
    reading.Column("max_points", "分值"),
    reading.Column("self_points", "自评得分", ("自评分",)),
    reading.Column("self_note", "自评说明"),
    reading.Column("superior_points", "考核得分", ("上级评分", "考评得分")),
    reading.Column("superior_note", "考核意见", ("评分说明",)),
]
LABELS = {c.key: c.label for c in COLUMNS}
STEP_COLUMNS = {
    Stage.SELF_ASSESSMENT: ("self_points", "self_note"),
    Stage.SUPERIOR_REVIEW: ("superior_points", "superior_note"),
}
STEP_OF_STAGE = {Stage.SELF_ASSESSMENT: "assessment.submit_self", Stage.SUPERIOR_REVIEW: "assessment.submit_review"}
SCORE_COLUMNS = (("self_points", "self_note"), ("superior_points", "superior_note"))


def _key(value) -> int | None:
    k = reading.code(value)
    return int(k) if k.isascii() and k.isdigit() else None


def _cell_points(value, *, field: str, high) -> Decimal | None:
    """A score cell as typed or as a spreadsheet stored it (全角 digits, a trailing 分, thousands commas)."""
    if isinstance(value, str):
        value = reading.code(value).replace(",", "").removesuffix("分")
    return numbers.number_in(value, field=field, low=0, high=high, places=1)


class ScoresImporter(Importer):
    kind = "scores"

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def plan(self, report):
        t = self.table
        self.allowed = {}  # assessment id -> may this user take the step of its stage
        by_assessment: dict = {}
        for n, rec in t.rows:
            key = _key(rec["key"])
            if key is None:
                report.error(t, n, "key", _("The key column of the template is missing or changed."))
                continue
            by_assessment.setdefault(key, []).append((n, rec))
        found = {
            a.pk: a
            for a in Assessment.objects.filter(pk__in=list(by_assessment)).select_related("organisation", "template")
        }
        planned = []
        for pk, rows in by_assessment.items():
            a = found.get(pk)
            if a is None or not access.can_view_organisation(self.user, a.organisation):
                for n, _rec in rows:
                    report.error(t, n, "key", _("No assessment of yours has this key."))
                continue
            step = self._plan_one(report, t, a, rows)
            if step:
                planned.append(step)
        return planned

    # ---- one assessment ------------------------------------------------------------------------------------

    def _read_row(self, report, t, ind, rec, n) -> dict | None:
        """{column: value} of the four score columns (None: a blank score), or None if a cell is not a number."""
        values, ok = {}, True
        for points_key, note_key in SCORE_COLUMNS:
            try:
                values[points_key] = _cell_points(
                    rec.get(points_key), field=f"{ind.code} {LABELS[points_key]}", high=ind.max_points
                )
            except numbers.NotANumber as exc:
                report.error(t, n, points_key, exc.message)
                ok = False
            values[note_key] = reading.text(rec.get(note_key))
        return values if ok else None

    @staticmethod
    def _changed_columns(values: dict, stored) -> list[str]:
        """The score columns whose value differs from the stored one. A blank score is no change (it never clears a
        stored score); a note is compared as the sheet reads text (trimmed, runs of spaces as one)."""
        changed = []
        for points_key, note_key in SCORE_COLUMNS:
            old_points = getattr(stored, points_key) if stored else None
            points = values[points_key]
            if points is not None and (old_points is None or Decimal(old_points) != points):
                changed.append(points_key)
            old_note = reading.text(getattr(stored, note_key) if stored else "")
            if values[note_key] != old_note and (values[note_key] or points is not None):
                changed.append(note_key)  # a note is cleared only with the points beside it
        return changed

    def _refusal(self, a, columns_now) -> str | None:
        """Why changes to `columns_now` of this assessment cannot be taken, or None if they can."""
        step_columns = STEP_COLUMNS.get(a.state)
        if step_columns is None:
            return _("%(org)s is at the stage “%(stage)s”: no scores are taken now.") % {
                "org": a.organisation.name,
                "stage": a.get_state_display(),
            }
        if any(c not in step_columns for c in columns_now):
            return _("%(org)s is at the stage “%(stage)s”: only %(columns)s are filled in now.") % {
                "org": a.organisation.name,
                "stage": a.get_state_display(),
                "columns": "、".join(LABELS[c] for c in step_columns),
            }
        if not self._allowed(a):
            return _("Your role does not allow you to score this step for %(org)s.") % {"org": a.organisation.name}
        return None

    def _allowed(self, a) -> bool:
        if a.pk not in self.allowed:
            self.allowed[a.pk] = steps.allows(self.user, STEP_OF_STAGE[a.state], a)
        return self.allowed[a.pk]

    def _plan_one(self, report, t, a, rows):
        indicators = {i.code: i for i in a.template.indicators.all()}
        current = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=a)}
        changes, seen = {}, {}  # indicator id -> (points, note) for the step's columns
        for n, rec in rows:
            code = reading.code(rec["code"])
            ind = indicators.get(code)
            if ind is None:
                report.error(t, n, "code", _("The template of this assessment has no item %(code)s.") % {"code": code})
                continue
            if ind.pk in seen:
                report.error(
                    t,
                    n,
                    "code",
                    _("Item %(code)s appears again (first in row %(row)s).") % {"code": code, "row": seen[ind.pk]},
                )
                continue
            seen[ind.pk] = n
            values = self._read_row(report, t, ind, rec, n)
            if values is None:
                continue
            stored = current.get(ind.pk)
            changed = self._changed_columns(values, stored)
            if not changed:
                report.add(t.sheet, n, UNCHANGED, f"{a.organisation.name} {ind.code}")
                continue
            if ind.veto:
                report.error(t, n, changed[0], _("%(item)s: a veto item is decided on the site.") % {"item": ind.code})
                continue
            refusal = self._refusal(a, changed)
            if refusal:
                report.error(t, n, changed[0], refusal)
                continue
            points_key, note_key = STEP_COLUMNS[a.state]
            old_points = getattr(stored, points_key) if stored else None
            points = values[points_key]
            if points is None and old_points is not None:
                points = Decimal(old_points)  # a note changed beside a stored score
            old_note = getattr(stored, note_key) if stored else ""
            # an unchanged note is kept as stored (line breaks and all); a changed one is taken as the sheet reads it
            note = old_note if note_key not in changed else values[note_key]
            if points is None:
                report.error(t, n, points_key, _("%(item)s: enter the points as well.") % {"item": ind.code})
                continue
            changes[ind.pk] = (str(points), note)
            report.add(
                t.sheet, n, CHANGED, f"{a.organisation.name} {ind.code} {LABELS[points_key]} {points.normalize():f}"
            )
        if not changes:
            return None
        points_key, note_key = STEP_COLUMNS[a.state]
        scores = {
            ind_id: (str(getattr(s, points_key)), getattr(s, note_key))
            for ind_id, s in current.items()
            if getattr(s, points_key) is not None
        } | changes
        if a.state == Stage.SELF_ASSESSMENT:

            def step():
                services.self_assessment_save(assessment=a, by=self.user, scores=scores, report=a.report)

        else:
            vetoes = [ind_id for ind_id, s in current.items() if s.veto_hit]

            def step():
                services.review_save(
                    assessment=a, by=self.user, scores=scores, veto_hits=vetoes, comment=a.review_comment
                )

        return (t.sheet, rows[0][0], step)
