"""Social evaluation scores (社会评价 sheet): the oversight office enters, for its cycle of a year, each
organisation's social evaluation score and where it comes from (e.g. a survey of service users).

A row names the organisation by its code and the year; the score goes through the same service as the screen
(only the cycle's office, only until the review is submitted, a source required); a row whose score and source
are already recorded is unchanged."""

from django.utils.translation import gettext as _

from flows.domain import numbers
from flows.excel import reading
from flows.excel.import_rows import CHANGED, UNCHANGED, Importer
from flows.models import Assessment
from flows.models.state_groups import STAGES_BEFORE_OUTCOME
from flows.policy import access
from flows.services import assessments as services

SHEETS = ("社会评价", "社会评价得分")
COLUMNS = [
    reading.Column("code", "组织代码", ("党组织代码", "代码"), required=True),
    reading.Column("name", "组织名称", ("党组织名称", "名称")),
    reading.Column("year", "年度", ("考核年度",), required=True),
    reading.Column("score", "社会评价得分", ("得分",), required=True),
    reading.Column("source", "评价来源", ("来源",)),
]


def _number(value):
    """A cell as a plain decimal (number cells, text with 全角 digits or a trailing 分); anything else is passed on
    as it is, for the one number reader to refuse with the column named."""
    try:
        return reading.number(value)
    except ValueError:
        return str(value)


class SocialImporter(Importer):
    kind = "social"

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def plan(self, report):
        t = self.table
        offices = access.offices_of(self.user)
        steps = []
        for n, rec in t.rows:
            code = reading.code(rec["code"])
            try:
                year = numbers.number_in(_number(rec["year"]), field="年度", low=2000, high=2100, places=0)
                score = numbers.number_in(_number(rec["score"]), field="社会评价得分", low=0, high=100, places=2)
            except numbers.NotANumber as exc:
                report.error(t, n, "year" if exc.message.startswith("年度") else "score", exc.message)
                continue
            if year is None:
                report.error(t, n, "year", _("Give the year of the review cycle."))
                continue
            a = (
                Assessment.objects.filter(organisation__code=code, cycle__year=int(year), cycle__office_id__in=offices)
                .select_related("cycle", "organisation")
                .first()
            )
            if a is None:
                report.error(
                    t,
                    n,
                    "code",
                    _("No organisation with this code in a %(year)s cycle of your office.") % {"year": year},
                )
                continue
            source = reading.text(rec.get("source")) or a.cycle.social_source
            if score == a.social_score and (score is None or source == a.social_source):
                report.add(t.sheet, n, UNCHANGED, a.organisation.name)
                continue
            if a.state not in STAGES_BEFORE_OUTCOME:
                report.error(
                    t, n, "score", _("The review has been submitted: the social evaluation can no longer change.")
                )
                continue
            if score is not None and not source:
                report.error(t, n, "source", _("Say where the social evaluation comes from."))
                continue
            report.add(t.sheet, n, CHANGED, f"{a.organisation.name}：{score}")

            def step(a=a, score=score, source=source):
                services.social_score_set(assessment=a, by=self.user, score=score, source=source)

            steps.append((t.sheet, n, step))
        return steps
