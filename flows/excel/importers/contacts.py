"""Contact points and visits (联系点 and 走访督导 sheets): an oversight office enters its leaders' contact points and
visits into its ledger. Either sheet may be left out; the ledger export (flows/excel/visits.py) reads back
unchanged.

Every row goes through the same services as the screens: the organisation must be under the office's scope, each
leader must lead it from above; a contact point already kept and a visit already recorded (same organisation, date,
kind and what was seen) are unchanged. Problems found come in as recorded; making them rectification items is done
on the organisation's visits page, where the due date is set."""

from django.utils.translation import gettext as _

from flows.excel import choices, reading
from flows.excel.import_rows import NEW, UNCHANGED, Importer
from flows.excel.visits import KIND_LABELS
from flows.models import Organisation, User
from flows.models.contacts import ContactPoint, Visit, VisitKind
from flows.models.people import today
from flows.policy import contacts as policy
from flows.services import contacts as services

POINT_SHEETS = ("联系点", "联系点清单")
POINT_COLUMNS = [
    reading.Column("year", "年度", ("联系年度",), required=True),
    reading.Column("leader", "领导账号", ("账号",), required=True),
    reading.Column("leader_name", "领导姓名", ("姓名",)),
    reading.Column("code", "组织编码", ("组织代码", "党组织编码"), required=True),
    reading.Column("name", "组织名称", ("党组织名称",)),
    reading.Column("note", "备注"),
]
VISIT_SHEETS = ("走访督导", "观摩督导", "走访记录")
VISIT_COLUMNS = [
    reading.Column("date", "走访日期", ("日期", "观摩督导日期"), required=True),
    reading.Column("code", "组织编码", ("组织代码", "党组织编码"), required=True),
    reading.Column("name", "组织名称", ("党组织名称",)),
    reading.Column("kind", "类型", ("走访类型",), required=True),
    reading.Column("leaders", "领导账号", ("账号",), required=True),
    reading.Column("leader_names", "领导姓名", ("姓名",)),
    reading.Column("seen", "看到的情况", ("主要情况", "观摩督导情况"), required=True),
    reading.Column("problems", "发现的问题", ("存在问题", "问题")),
]
KINDS = {reading.label(label): value for value, label in KIND_LABELS.items()} | choices.lookup(VisitKind)
SEPARATORS = ("、", ",", "，", ";", "；", "\n", " ")


def _usernames(value) -> list[str]:
    text = reading.text(value).replace("\n", " ")
    for sep in SEPARATORS:
        text = text.replace(sep, "|")
    return [reading.code(part) for part in text.split("|") if reading.code(part)]


def _year(value):
    try:
        n = reading.number(value)
    except ValueError:
        return None
    if n is None or n != int(n):
        return None
    return int(n)


class ContactsImporter(Importer):
    kind = "contacts"

    def read(self, wb):
        self.points = reading.read_table(wb, POINT_SHEETS, POINT_COLUMNS, optional=True, progress=self.progress)
        self.visits = reading.read_table(wb, VISIT_SHEETS, VISIT_COLUMNS, optional=True, progress=self.progress)
        if self.points is None and self.visits is None:
            raise reading.Refused(
                _("No sheet has the header row this import needs. Required columns: %(cols)s. Use the template.")
                % {
                    "cols": "、".join(c.label for c in POINT_COLUMNS if c.required)
                    + " / "
                    + "、".join(c.label for c in VISIT_COLUMNS if c.required)
                }
            )

    def _lookups(self):
        codes, names = set(), set()
        for table, leader_key in ((self.points, "leader"), (self.visits, "leaders")):
            for _n, rec in table.rows if table else []:
                codes.add(reading.code(rec["code"]))
                names.update(_usernames(rec[leader_key]))
        self.orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
        self.users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}

    def _org(self, report, t, n, rec):
        org = self.orgs.get(reading.code(rec["code"]))
        if org is None or not policy.may_enter_for(self.user, org):
            report.error(t, n, "code", _("No organisation with this code under your office's scope."))
            return None
        return org

    def plan(self, report):
        self._lookups()
        steps = []
        if self.points is not None:
            steps += self._plan_points(report)
        if self.visits is not None:
            steps += self._plan_visits(report)
        return steps

    def _plan_points(self, report):
        t, steps, seen_rows = self.points, [], {}
        this_year = today().year
        for n, rec in t.rows:
            year = _year(rec["year"])
            if year is None or not (this_year - 1 <= year <= this_year + 1):
                report.error(t, n, "year", _("Contact points are kept for this year, the last or the next."))
                continue
            org = self._org(report, t, n, rec)
            if org is None:
                continue
            names = _usernames(rec["leader"])
            leader = self.users.get(names[0]) if len(names) == 1 else None
            if leader is None:
                report.error(t, n, "leader", _("Give the user name of one leader."))
                continue
            if not policy.may_visit(leader, org):
                report.error(
                    t,
                    n,
                    "leader",
                    _("%(org)s is not among the organisations %(name)s leads from above.")
                    % {"org": org.name, "name": leader.real_name or leader.username},
                )
                continue
            key = (leader.pk, org.pk, year)
            if key in seen_rows:
                report.error(t, n, "code", _("The same contact point as in row %(row)s.") % {"row": seen_rows[key]})
                continue
            seen_rows[key] = n
            if ContactPoint.objects.filter(leader=leader, organisation=org, year=year).exists():
                report.add(t.sheet, n, UNCHANGED, org.name)
                continue
            report.add(t.sheet, n, NEW, f"{year} {leader.real_name or leader.username}：{org.name}")
            note = reading.text(rec.get("note"))

            def step(leader=leader, org=org, year=year, note=note):
                services.contact_point_add(by=self.user, leader=leader, organisation=org, year=year, note=note)

            steps.append((t.sheet, n, step))
        return steps

    def _plan_visits(self, report):
        t, steps, seen_rows = self.visits, [], {}
        for n, rec in t.rows:
            try:
                date = reading.date(rec["date"])
            except ValueError:
                date = None
            if date is None or date > today():
                report.error(t, n, "date", _("Give the date of the visit (not in the future), e.g. 2026-03-01."))
                continue
            org = self._org(report, t, n, rec)
            if org is None:
                continue
            kind = KINDS.get(reading.label(rec["kind"]))
            if kind is None:
                report.error(t, n, "kind", _("Choose one of: %(kinds)s.") % {"kinds": "、".join(KIND_LABELS.values())})
                continue
            names = _usernames(rec["leaders"])
            leaders = [self.users.get(u) for u in names]
            if not names or None in leaders:
                report.error(t, n, "leaders", _("Give the user names of the leaders, separated by 、."))
                continue
            wrong = [u for u in leaders if not policy.may_visit(u, org, on=date)]
            if wrong:
                report.error(
                    t,
                    n,
                    "leaders",
                    _("%(org)s is not among the organisations %(name)s leads from above.")
                    % {"org": org.name, "name": "、".join(u.real_name or u.username for u in wrong)},
                )
                continue
            seen = reading.text(rec["seen"])
            if not seen:
                report.error(t, n, "seen", _("Write what was seen on the visit."))
                continue
            problems = "\n".join(line.strip() for line in str(rec.get("problems") or "").splitlines() if line.strip())
            key = (org.pk, date, kind, seen)
            if key in seen_rows:
                report.error(t, n, "seen", _("The same visit as in row %(row)s.") % {"row": seen_rows[key]})
                continue
            seen_rows[key] = n
            if Visit.objects.filter(organisation=org, date=date, kind=kind, seen=seen).exists():
                report.add(t.sheet, n, UNCHANGED, org.name)
                continue
            report.add(t.sheet, n, NEW, f"{date} {KIND_LABELS[kind]}：{org.name}")

            def step(org=org, date=date, kind=kind, leaders=leaders, seen=seen, problems=problems):
                services.visit_record(
                    by=self.user, organisation=org, date=date, kind=kind, leaders=leaders, seen=seen, problems=problems
                )

            steps.append((t.sheet, n, step))
        return steps
