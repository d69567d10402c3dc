"""Offline score sheets (评分 sheet): the self-assessment or the superior review, filled in Excel.

Each row names its assessment by the hidden key column of the template. The step being scored follows from the
assessment's stage, and goes through the same service as the screen: the self-assessment only by the person in
direct charge, the review only by the reviewer; the state machine's rules and audit rows apply."""

from decimal import Decimal

from django.utils.translation import gettext as _

from flows.excel import reading
from flows.excel.import_rows import CHANGED, UNCHANGED, Importer
from flows.models import Assessment, ItemScore, Stage
from flows.policy import access
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
STEP_COLUMNS = {
    Stage.SELF_ASSESSMENT: ("self_points", "self_note"),
    Stage.SUPERIOR_REVIEW: ("superior_points", "superior_note"),
}


class ScoresImporter(Importer):
    kind = "scores"

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def plan(self, report):
        t = self.table
        by_assessment: dict = {}
        for n, rec in t.rows:
            key = reading.number(rec["key"]) if reading.code(rec["key"]).isdigit() else None
            if key is None:
                report.error(t, n, "key", _("The key column of the template is missing or changed."))
                continue
            by_assessment.setdefault(int(key), []).append((n, rec))
        found = {
            a.pk: a
            for a in Assessment.objects.filter(pk__in=list(by_assessment)).select_related("organisation", "template")
        }
        steps = []
        for pk, rows in by_assessment.items():
            a = found.get(pk)
            if a is None or not access.can_view_organisation(self.user, a.organisation):
                for n, _rec in rows:
                    report.error(t, n, "key", _("No assessment of yours has this key."))
                continue
            step = self._plan_one(report, t, a, rows)
            if step:
                steps.append(step)
        return steps

    def _plan_one(self, report, t, a, rows):
        columns = STEP_COLUMNS.get(a.state)
        if columns is None:
            for n, _rec in rows:
                report.error(
                    t,
                    n,
                    "key",
                    _("%(org)s is at the stage “%(stage)s”: no scores are taken now.")
                    % {"org": a.organisation.name, "stage": a.get_state_display()},
                )
            return None
        allowed = (
            access.is_in_direct_charge(self.user, a.organisation)
            if a.state == Stage.SELF_ASSESSMENT
            else access.is_reviewer(self.user, a.organisation)
        )
        if not allowed:
            for n, _rec in rows:
                report.error(
                    t,
                    n,
                    columns[0],
                    _("Your role does not allow you to score this step for %(org)s.") % {"org": a.organisation.name},
                )
            return None
        points_key, note_key = columns
        indicators = {i.code: i for i in a.template.indicators.all()}
        current = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=a)}
        merged = {
            ind_id: (getattr(s, points_key), getattr(s, note_key))
            for ind_id, s in current.items()
            if getattr(s, points_key) is not None
        }
        changed, first = False, rows[0][0]
        for n, rec in rows:
            ind = indicators.get(reading.code(rec["code"]))
            if ind is None:
                report.error(
                    t,
                    n,
                    "code",
                    _("The template of this assessment has no item %(code)s.") % {"code": reading.code(rec["code"])},
                )
                continue
            if ind.veto:
                report.add(t.sheet, n, UNCHANGED, ind.code)
                continue
            try:
                points = reading.number(rec.get(points_key))
            except ValueError:
                report.error(t, n, points_key, _("%(item)s: enter a number.") % {"item": ind.code})
                continue
            if points is not None and (points < 0 or points > ind.max_points or points.as_tuple().exponent < -1):
                report.error(
                    t,
                    n,
                    points_key,
                    _("%(item)s: points must be between 0 and %(max)s, at most one decimal place.")
                    % {"item": ind.code, "max": ind.max_points},
                )
                continue
            note = reading.text(rec.get(note_key))
            old = current.get(ind.pk)
            old_points = getattr(old, points_key) if old else None
            old_note = getattr(old, note_key) if old else ""
            if points is None:
                if not note or old_points is None:  # a blank score never clears a stored one
                    if note and old_points is None:
                        report.error(t, n, points_key, _("%(item)s: enter the points as well.") % {"item": ind.code})
                        continue
                    report.add(t.sheet, n, UNCHANGED, ind.code)
                    continue
                points = Decimal(old_points)
            if old_points is not None and Decimal(old_points) == points and old_note == note:
                report.add(t.sheet, n, UNCHANGED, ind.code)
                continue
            merged[ind.pk] = (str(points) if points is not None else None, note)
            report.add(t.sheet, n, CHANGED, f"{a.organisation.name} {ind.code} {points if points is not None else '—'}")
            changed = True
        if not changed:
            return None
        scores = {k: (str(p) if p is not None else None, note) for k, (p, note) in merged.items()}
        if a.state == Stage.SELF_ASSESSMENT:

            def step():
                services.self_assessment_save(assessment=a, by=self.user, scores=scores, report=a.report)

        else:
            vetoes = list(ItemScore.objects.filter(assessment=a, veto_hit=True).values_list("indicator_id", flat=True))

            def step():
                services.review_save(
                    assessment=a, by=self.user, scores=scores, veto_hits=vetoes, comment=a.review_comment
                )

        return (t.sheet, first, step)
