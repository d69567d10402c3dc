"""Duty lists in Excel (责任清单): the export of one organisation's list or of every list of a cycle under a level,
and the import of duty lines for the organisations of a cycle.

The exported sheet is also the import's template. An import names each organisation by its code; the rows of an
organisation replace its list's lines through the same service as the screen (only a list in draft, only by its
secretary or the cycle's office), so nothing changes that the screen would refuse. Every row is checked first and
shown as a preview; the import is applied only when confirmed, all or nothing, in one transaction.
"""

import logging
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from flows.excel import choices, reading, writing
from flows.excel.cells import safe
from flows.excel.import_rows import CHANGED, UNCHANGED, Importer, Report, RollBack, errors_of
from flows.models import LEADERSHIP_ROLES, ExcelJob, JobDirection, JobState, RoleAssignment
from flows.models.duties import DutyLine, DutyList, DutyRole, LineKind
from flows.models.states import DutyListState
from flows.policy import steps as step_rules
from flows.services import duties as services
from flows.services.audit import audit_record
from flows.services.tasks import AlreadyHandled

logger = logging.getLogger(__name__)

KIND = "duties"
SHEETS = ("责任清单",)
KIND_WORDS = {LineKind.DUTY: "职责", LineKind.TASK: "年度任务"}
ROLE_WORDS = {DutyRole.SECRETARY: "书记", DutyRole.DIRECT_CHARGE: "直接责任人", DutyRole.MEMBER: "班子成员"}
ROLE_ALIASES = {
    "书记": DutyRole.SECRETARY,
    "第一责任人": DutyRole.SECRETARY,
    "直接责任人": DutyRole.DIRECT_CHARGE,
    "分管领导": DutyRole.DIRECT_CHARGE,
    "副书记": DutyRole.DIRECT_CHARGE,
    "班子成员": DutyRole.MEMBER,
    "班子其他成员": DutyRole.MEMBER,
}
KIND_ALIASES = {"职责": LineKind.DUTY, "责任": LineKind.DUTY, "年度任务": LineKind.TASK, "任务": LineKind.TASK}
COLUMNS = [
    reading.Column("code", "组织代码", ("党组织代码", "代码"), required=True),
    reading.Column("name", "组织名称", ("党组织名称", "名称")),
    reading.Column("kind", "类别", ("类型",), required=True),
    reading.Column("role", "岗位", ("角色",), required=True),
    reading.Column("area", "分工领域", ("分工", "领域")),
    reading.Column("holder", "责任人", ()),
    reading.Column("text", "内容", ("职责内容", "任务内容"), required=True),
    reading.Column("project", "书记项目", ()),
    reading.Column("due", "完成时限", ("时限",)),
    reading.Column("indicators", "对应指标", ("指标",)),
]
LABELS = [c.label for c in COLUMNS] + ["状态"]
WIDTHS = [14, 26, 10, 12, 10, 10, 48, 8, 12, 14, 10]


# ---- export -------------------------------------------------------------------------------------------------------


def export(lists, *, title: str, subtitle: str = "") -> bytes:
    """The duty lists as one printed sheet (责任清单), one row per line; also the import's template."""
    wb = writing.new_workbook()
    writing.instructions(
        wb,
        [
            "1. 每行一条职责或年度任务；“类别”填“职责”或“年度任务”，“岗位”填“书记”“直接责任人”或“班子成员”。",
            "2. “书记项目”填“是”标明书记项目（须为年度任务）；“对应指标”填考核指标编号，多个用逗号分隔。",
            "3. 导入时按“组织代码”整组替换该组织尚未确认的责任清单；已确认的清单须由考核办公室退回后才能修改。",
        ],
    )
    ws = writing.printed_sheet(wb, "责任清单", columns=WIDTHS, header_rows=3, freeze="C4")
    writing.title_rows(ws, title, subtitle, len(LABELS))
    writing.header_row(ws, LABELS, required=[c.label for c in COLUMNS if c.required])
    row = 4
    ids = [dl.pk for dl in lists]
    lines = defaultdict(list)
    for line in (
        DutyLine.objects.filter(duty_list_id__in=ids)
        .select_related("holder")
        .prefetch_related("indicators")
        .order_by("duty_list_id", "kind", "order", "pk")
    ):
        lines[line.duty_list_id].append(line)
    for dl in lists:
        for line in lines[dl.pk]:
            writing.wrapped_row(
                ws,
                row,
                [
                    safe(dl.organisation.code),
                    safe(dl.organisation.name),
                    KIND_WORDS[line.kind],
                    ROLE_WORDS[line.role],
                    safe(line.area),
                    safe(line.holder.real_name or line.holder.username) if line.holder else "",
                    safe(line.text),
                    "是" if line.secretary_project else "",
                    line.due.isoformat() if line.due else "",
                    safe(", ".join(i.code for i in line.indicators.all())),
                    choices.zh_label(DutyListState, dl.state),
                ],
                WIDTHS,
            )
            row += 1
    return writing.to_bytes(wb)


# ---- import -------------------------------------------------------------------------------------------------------


class DutiesImporter(Importer):
    kind = KIND

    def __init__(self, user, *, cycle, progress=None):
        super().__init__(user, progress=progress)
        self.cycle = cycle

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def _holder(self, org, value):
        name = reading.text(value)
        if not name:
            return None, ""
        found = [
            ra.user
            for ra in RoleAssignment.objects.current()
            .filter(organisation=org, role__in=LEADERSHIP_ROLES)
            .select_related("user")
            if name in (ra.user.real_name, ra.user.username)
        ]
        people = {u.pk: u for u in found}
        if len(people) != 1:
            return None, _("%(name)s is not a current leader of %(org)s.") % {"name": name, "org": org.name}
        return next(iter(people.values())), ""

    def plan(self, report):
        t = self.table
        by_org: dict = {}
        rows_of: dict = defaultdict(list)
        bad_orgs = set()
        for n, rec in t.rows:
            code = reading.code(rec["code"])
            if code not in by_org:
                dl = (
                    DutyList.objects.filter(cycle=self.cycle, organisation__code=code)
                    .select_related("organisation", "cycle")
                    .first()
                )
                by_org[code] = dl
                if dl is None:
                    report.error(t, n, "code", _("No duty list for an organisation with this code in this cycle."))
                elif not step_rules.allows(self.user, "dutylist.edit", dl):
                    report.error(
                        t, n, "code", _("You may not change the duty list of %(org)s.") % {"org": dl.organisation.name}
                    )
                    by_org[code] = None
                elif dl.state != DutyListState.DRAFT:
                    report.error(
                        t,
                        n,
                        "code",
                        _("The duty list of %(org)s is confirmed: the oversight office returns it before it changes.")
                        % {"org": dl.organisation.name},
                    )
                    by_org[code] = None
            dl = by_org[code]
            if dl is None:
                bad_orgs.add(code)
                continue
            kind = KIND_ALIASES.get(reading.label(rec.get("kind")))
            if kind is None:
                report.error(t, n, "kind", _("Write 职责 or 年度任务."))
                bad_orgs.add(code)
                continue
            role = ROLE_ALIASES.get(reading.label(rec.get("role")))
            if role is None:
                report.error(t, n, "role", _("Write 书记, 直接责任人 or 班子成员."))
                bad_orgs.add(code)
                continue
            text = reading.text(rec.get("text"))
            if not text:
                report.error(t, n, "text", _("Write the duty or task."))
                bad_orgs.add(code)
                continue
            try:
                project = bool(reading.yes_no(rec.get("project")))
            except ValueError:
                report.error(t, n, "project", _("Write 是 or 否."))
                bad_orgs.add(code)
                continue
            try:
                due = reading.date(rec.get("due"))
            except ValueError:
                report.error(t, n, "due", _("Write a date such as 2026-06-30."))
                bad_orgs.add(code)
                continue
            holder, problem = self._holder(dl.organisation, rec.get("holder"))
            if problem:
                report.error(t, n, "holder", problem)
                bad_orgs.add(code)
                continue
            codes = [
                c
                for c in reading.text(rec.get("indicators")).replace("，", ",").replace("、", ",").split(",")
                if c.strip()
            ]
            codes = [reading.code(c) for c in codes]
            known = self._indicators(dl)
            unknown = [c for c in codes if c not in known]
            if unknown:
                report.error(
                    t,
                    n,
                    "indicators",
                    _("No indicator %(codes)s in this organisation's template.") % {"codes": "、".join(unknown)},
                )
                bad_orgs.add(code)
                continue
            rows_of[code].append(
                (
                    n,
                    {
                        "kind": kind,
                        "role": role,
                        "area": reading.text(rec.get("area")),
                        "holder": holder,
                        "text": text,
                        "secretary_project": project,
                        "due": due,
                        "indicator_ids": [known[c] for c in codes],
                        "from_template": None,
                    },
                )
            )
        steps = []
        for code, rows in rows_of.items():
            if code in bad_orgs:
                continue
            dl = by_org[code]
            first = rows[0][0]
            lines = [line for _n, line in rows]
            if self._same(dl, lines):
                report.add(t.sheet, first, UNCHANGED, dl.organisation.name)
                continue
            report.add(
                t.sheet, first, CHANGED, _("%(org)s: %(n)s lines") % {"org": dl.organisation.name, "n": len(lines)}
            )

            def step(dl=dl, lines=lines):
                services.duty_list_save(duty_list=dl, by=self.user, lines=lines)

            steps.append((t.sheet, first, step))
        return steps

    def _indicators(self, dl) -> dict:
        cache = getattr(self, "_known", {})
        self._known = cache
        if dl.pk not in cache:
            a = dl.cycle.assessments.filter(organisation_id=dl.organisation_id).select_related("template").first()
            cache[dl.pk] = dict(a.template.indicators.values_list("code", "pk")) if a and a.template_id else {}
        return cache[dl.pk]

    def _same(self, dl, lines) -> bool:
        def key(kind, role, area, holder_id, text, project, due, ids):
            return (kind, role, area, holder_id, text, project, due, tuple(sorted(ids)))

        now = [
            key(
                line.kind,
                line.role,
                line.area,
                line.holder_id,
                line.text,
                line.secretary_project,
                line.due,
                [i.pk for i in line.indicators.all()],
            )
            for line in dl.lines.prefetch_related("indicators").order_by("kind", "order", "pk")
        ]
        new = sorted(
            (
                key(
                    x["kind"],
                    x["role"],
                    x["area"],
                    x["holder"].pk if x["holder"] else None,
                    x["text"],
                    x["secretary_project"],
                    x["due"],
                    x["indicator_ids"],
                )
                for x in lines
            ),
            key=lambda k: k[0],
        )
        return sorted(now, key=lambda k: k[0]) == new


def run(path, user, *, cycle, commit: bool = False) -> Report:
    """Check the file and every row; with `commit`, apply everything or (on any error) nothing (as
    `flows.excel.importing.run_import` does for the other workbooks)."""
    report = Report(KIND)
    importer = DutiesImporter(user, cycle=cycle)
    with translation.override("zh-hans"):
        try:
            wb = reading.open_workbook(path)
            try:
                importer.read(wb)
            finally:
                wb.close()
        except reading.Refused as exc:
            report.refused = exc.message
            return report
        except (DatabaseError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a part openpyxl cannot parse
            logger.warning("workbook %s not readable", path, exc_info=True)
            report.refused = _("The workbook cannot be read: %(error)s") % {"error": exc.__class__.__name__}
            return report
        try:
            with transaction.atomic():
                steps = importer.plan(report)
                if commit and report.ok:
                    importer.apply(steps, report)
                    report.applied = True
                else:
                    transaction.set_rollback(True)
        except RollBack:
            report.applied = False
    return report


# ---- the two steps of an import: upload and check, then confirm ----------------------------------------------------


def import_check(*, by, cycle, upload) -> ExcelJob:
    """Keep the uploaded file (refused before it is stored when over the size limit) and check every row."""
    limit = reading.limits()["bytes"]
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is over the limit of %(limit)s MB. Split it into smaller workbooks.")
                % {"limit": round(limit / 1048576, 1)}
            }
        )
    with transaction.atomic():
        job = ExcelJob.objects.create(
            direction=JobDirection.IMPORT,
            kind=KIND,
            params={"cycle": cycle.pk},
            created_by=by,
            original_name=upload.name[:200],
            state=JobState.CHECKING,
        )
        job.upload.save("upload.xlsx", upload, save=True)
        audit_record(actor=by, action="excel.import_upload", subject=job, to_value=f"{KIND}:{job.original_name}")
    report = run(job.upload.path, by, cycle=cycle)
    job.report = report.as_json()
    job.state = JobState.CHECKED if report.ok else JobState.REFUSED
    job.save(update_fields=["report", "state", "updated_at"])
    return job


def import_confirm(*, by, job: ExcelJob, cycle) -> Report:
    """The uploader confirms the preview: check again and apply all or nothing."""
    with transaction.atomic():
        locked = ExcelJob.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != by.pk or locked.kind != KIND:
            raise PermissionDenied
        if locked.state != JobState.CHECKED:
            raise AlreadyHandled(
                _("This import is not waiting for confirmation (it is “%(state)s”).")
                % {"state": locked.get_state_display()}
            )
        locked.state = JobState.APPLYING
        locked.save(update_fields=["state", "updated_at"])
        audit_record(actor=by, action="excel.import_confirm", subject=locked, to_value=KIND)
    try:
        report = run(locked.upload.path, by, cycle=cycle, commit=True)
    except Exception:
        ExcelJob.objects.filter(pk=locked.pk).update(state=JobState.FAILED)
        raise
    locked.report = report.as_json()
    locked.state = JobState.DONE if report.applied else JobState.REFUSED
    locked.save(update_fields=["report", "state", "updated_at"])
    return report


__all__ = ["DutiesImporter", "errors_of", "export", "import_check", "import_confirm", "run"]
