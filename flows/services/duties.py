"""Duty lists (责任清单) and yearly tasks (年度任务, 书记项目 included): see `models.duties`.

* `duty_template_publish`: the cycle's own oversight office publishes the duty-list template of the cycle (the duties
  of the secretary, the person in direct charge and the other members by area, each naming the indicators it covers
  by code); every organisation the cycle assesses gets its own list derived from it, in draft, and the task of
  confirming it (`DutyListFlow`). `duty_lists_derive` does the same for organisations launched later.
* `duty_list_save`: the organisation's secretary (or whoever acts for the post) edits its lines while in draft.
* `duty_list_confirm`: the same person confirms it (draft → confirmed), through the step service; the task ends.
* `duty_list_return`: the cycle's office returns a confirmed list with a reason (→ draft); the task starts again.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.models import LEADERSHIP_ROLES, CycleState, Indicator, ReviewCycle, Role, RoleAssignment
from flows.models.duties import DutyLine, DutyList, DutyRole, DutyTemplate, DutyTemplateLine, LineKind
from flows.models.states import DutyListState
from flows.policy import access
from flows.policy import duties as duty_rules  # registers the duty steps in the permission table
from flows.policy import steps as step_rules
from flows.services.audit import audit_record
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, open_task, task_complete

MAX_TEXT = 1000
MAX_LINES = 200

# The template most offices start from (seed 001 and 003: 书记 第一责任人, 直接责任人, 一岗双责), with the indicator
# codes of the default indicator templates each duty answers to. Offered on the publish form, to be edited.
DEFAULT_TEMPLATE_LINES = [
    {
        "role": DutyRole.SECRETARY,
        "area": "",
        "text": "履行党建工作第一责任人职责，每年专题研究党建工作不少于4次",
        "indicator_codes": ["D1.1"],
    },
    {
        "role": DutyRole.SECRETARY,
        "area": "",
        "text": "领办书记项目，年初定项目、年中抓推进、年底报成效",
        "indicator_codes": ["D4.5"],
    },
    {
        "role": DutyRole.SECRETARY,
        "area": "",
        "text": "带头讲党课，带头参加双重组织生活",
        "indicator_codes": ["D3.1", "D3.3"],
    },
    {
        "role": DutyRole.DIRECT_CHARGE,
        "area": "",
        "text": "协助书记抓好党建工作，牵头制定年度党建工作计划并组织实施",
        "indicator_codes": ["D1.2"],
    },
    {
        "role": DutyRole.DIRECT_CHARGE,
        "area": "",
        "text": "抓好发展党员、党员教育培训和民主评议党员",
        "indicator_codes": ["D2.1", "D2.2", "D2.4"],
    },
    {
        "role": DutyRole.DIRECT_CHARGE,
        "area": "",
        "text": "规范落实“三会一课”，建好党建工作台账",
        "indicator_codes": ["D3.1", "D3.5"],
    },
    {
        "role": DutyRole.MEMBER,
        "area": "组织",
        "text": "落实“一岗双责”，抓好分管领域党建工作和党员管理",
        "indicator_codes": ["D2.5"],
    },
    {
        "role": DutyRole.MEMBER,
        "area": "宣传",
        "text": "落实意识形态工作责任制，抓好党员理论学习",
        "indicator_codes": ["D1.4"],
    },
    {
        "role": DutyRole.MEMBER,
        "area": "纪检",
        "text": "抓好党风廉政建设和作风建设，监督班子成员廉洁自律",
        "indicator_codes": ["D1.4"],
    },
]


def _lock(duty_list) -> DutyList:
    return DutyList.objects.select_for_update().select_related("cycle", "organisation").get(pk=duty_list.pk)


def _clean_text(value, *, field, message, limit=MAX_TEXT) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: _("Keep it under %(n)s characters.") % {"n": limit}})
    return text


def cycle_indicator_codes(cycle) -> set:
    """Every indicator code of the cycle's indicator templates."""
    return set(Indicator.objects.filter(template__cycle_uses__cycle=cycle).values_list("code", flat=True).distinct())


def _holder_for(org, role, on=None):
    if role == DutyRole.SECRETARY:
        ra = RoleAssignment.objects.current(on).filter(organisation=org, role=Role.SECRETARY).order_by("-start").first()
        return ra.user if ra else None
    if role == DutyRole.DIRECT_CHARGE:
        return access.person_in_direct_charge(org, on)
    return None


# ---- the office: publishing the template ---------------------------------------------------------------------


@transaction.atomic
def duty_template_publish(*, by, cycle, name: str, lines: list[dict], organisations=None) -> DutyTemplate:
    """Publish the cycle's duty-list template: `lines` are {"role", "area", "text", "indicator_codes"}. Only the
    cycle's own office, once per cycle, on an open cycle (its organisations are known). `organisations`: only these
    of the cycle's organisations get their lists now (a pilot; `duty_lists_derive` gives the rest theirs later)."""
    cycle = ReviewCycle.objects.select_for_update().select_related("office").get(pk=cycle.pk)
    if not access.can_manage_cycle(by, cycle):
        raise PermissionDenied(_("Only officers of the cycle's oversight office publish its duty lists."))
    if DutyTemplate.objects.filter(cycle=cycle).exists():
        raise AlreadyHandled(_("The duty lists of this cycle have already been published."))
    if cycle.state != CycleState.OPEN:
        raise ValidationError(_("Duty lists are published for an open review cycle."))
    name = _clean_text(name, field="name", message=_("Name the duty lists."), limit=160)
    if not lines:
        raise ValidationError({"lines": _("Give at least one duty.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(n)s lines.") % {"n": MAX_LINES}})
    known = cycle_indicator_codes(cycle)
    rows = []
    for n, line in enumerate(lines, 1):
        role = line.get("role")
        if role not in DutyRole.values:
            raise ValidationError({"lines": _("Line %(n)s: choose the role.") % {"n": n}})
        text = _clean_text(line.get("text"), field="lines", message=_("Line %(n)s: write the duty.") % {"n": n})
        area = " ".join(str(line.get("area") or "").split())[:60]
        if role == DutyRole.MEMBER and not area:
            raise ValidationError({"lines": _("Line %(n)s: name the member's area of work.") % {"n": n}})
        codes = [str(c).strip() for c in line.get("indicator_codes") or [] if str(c).strip()]
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValidationError(
                {
                    "lines": _("Line %(n)s: no indicator %(codes)s in this cycle's templates.")
                    % {"n": n, "codes": "、".join(unknown)}
                }
            )
        rows.append(DutyTemplateLine(role=role, area=area, text=text, indicator_codes=codes, order=n))
    template = DutyTemplate.objects.create(cycle=cycle, office=cycle.office, name=name, published_by=by)
    for row in rows:
        row.template = template
    DutyTemplateLine.objects.bulk_create(rows)
    audit_record(actor=by, action="dutytemplate.publish", subject=template, to_value=str(len(rows)))
    duty_lists_derive(cycle=cycle, organisations=organisations)
    return template


def duty_lists_derive(*, cycle, organisations=None) -> int:
    """Give every organisation the cycle assesses that has no duty list yet its list from the template, with the
    task of confirming it. Returns how many were made."""
    assert transaction.get_connection().in_atomic_block
    template = DutyTemplate.objects.filter(cycle=cycle).first()
    if template is None:
        return 0
    have = set(DutyList.objects.filter(cycle=cycle).values_list("organisation_id", flat=True))
    lines = list(template.lines.all())
    made = 0
    assessments = cycle.assessments.select_related("organisation", "template").exclude(organisation_id__in=have)
    if organisations is not None:
        assessments = assessments.filter(organisation__in=list(organisations))
    for a in assessments.order_by("organisation__path"):
        org = a.organisation
        dl = DutyList.objects.create(cycle=cycle, organisation=org, template=template)
        by_code = {i.code: i for i in a.template.indicators.all()} if a.template_id else {}
        holders = {role: _holder_for(org, role) for role in (DutyRole.SECRETARY, DutyRole.DIRECT_CHARGE)}
        for line in lines:
            row = DutyLine.objects.create(
                duty_list=dl,
                kind=LineKind.DUTY,
                role=line.role,
                area=line.area,
                holder=holders.get(line.role),
                text=line.text,
                from_template=line,
                order=line.order,
            )
            found = [by_code[c] for c in line.indicator_codes if c in by_code]
            if found:
                row.indicators.set(found)
        flow_start("DutyListFlow", duty_list=dl)
        made += 1
    return made


# ---- the organisation: editing and confirming -----------------------------------------------------------------


def _leaders(org) -> dict:
    return {
        ra.user_id: ra.user
        for ra in RoleAssignment.objects.current()
        .filter(organisation=org, role__in=LEADERSHIP_ROLES)
        .select_related("user")
    }


@transaction.atomic
def duty_list_save(*, duty_list, by, lines: list[dict]) -> DutyList:
    """Replace the list's lines (in draft): each {"kind", "role", "area", "holder" (a user or None), "text",
    "secretary_project", "due", "indicator_ids", "from_template" (id or None)}. A line refused names its number."""
    dl = _lock(duty_list)
    if not step_rules.allows(by, "dutylist.edit", dl):
        raise PermissionDenied(
            _("Only the organisation's secretary, or whoever acts for the post, edits its duty list.")
        )
    if dl.state != DutyListState.DRAFT:
        raise AlreadyHandled(_("The duty list is confirmed: ask the oversight office to return it before changing it."))
    if not lines:
        raise ValidationError({"lines": _("Keep at least one duty.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(n)s lines.") % {"n": MAX_LINES}})
    leaders = _leaders(dl.organisation)
    kept = set(dl.lines.exclude(holder=None).values_list("holder_id", flat=True))  # a former holder may stay named
    a = dl.cycle.assessments.filter(organisation=dl.organisation).select_related("template").first()
    allowed_indicators = set(a.template.indicators.values_list("pk", flat=True)) if a and a.template_id else set()
    template_lines = set(dl.template.lines.values_list("pk", flat=True)) if dl.template_id else set()
    rows, errors = [], []
    for n, line in enumerate(lines, 1):
        kind = line.get("kind") or LineKind.DUTY
        role = line.get("role")
        text = " ".join(str(line.get("text") or "").split())
        holder = line.get("holder")
        if kind not in LineKind.values:
            errors.append(_("Line %(n)s: choose duty or yearly task.") % {"n": n})
            continue
        if role not in DutyRole.values:
            errors.append(_("Line %(n)s: choose the role.") % {"n": n})
            continue
        if not text:
            errors.append(_("Line %(n)s: write the duty or task.") % {"n": n})
            continue
        if len(text) > MAX_TEXT:
            errors.append(_("Line %(n)s: keep it under %(max)s characters.") % {"n": n, "max": MAX_TEXT})
            continue
        if holder is not None and holder.pk not in leaders and holder.pk not in kept:
            errors.append(
                _("Line %(n)s: %(person)s is not a leader of this organisation.") % {"n": n, "person": holder}
            )
            continue
        project = bool(line.get("secretary_project"))
        if project and kind != LineKind.TASK:
            errors.append(_("Line %(n)s: only a yearly task can be the secretary's project.") % {"n": n})
            continue
        due = line.get("due")
        if due is not None and not isinstance(due, datetime.date):
            errors.append(_("Line %(n)s: the date is not a date.") % {"n": n})
            continue
        ids = {int(i) for i in line.get("indicator_ids") or []}
        if ids - allowed_indicators:
            errors.append(_("Line %(n)s: an indicator is not in this organisation's indicator template.") % {"n": n})
            continue
        origin = line.get("from_template")
        rows.append(
            (
                DutyLine(
                    duty_list=dl,
                    kind=kind,
                    role=role,
                    area=" ".join(str(line.get("area") or "").split())[:60],
                    holder=holder,
                    text=text,
                    secretary_project=project,
                    due=due,
                    from_template_id=origin if origin in template_lines else None,
                    order=n,
                ),
                ids,
            )
        )
    if errors:
        raise ValidationError({"lines": errors})
    dl.lines.all().delete()
    for row, ids in rows:
        row.save()
        if ids:
            row.indicators.set(ids)
    dl.save(update_fields=["updated_at"])
    audit_record(actor=by, action="dutylist.edit", subject=dl, to_value=str(len(rows)))
    return dl


@transaction.atomic
def duty_list_confirm(*, duty_list, by, activation=None) -> DutyList:
    """The organisation's secretary (or acting head) confirms the list with its yearly tasks."""
    dl = _lock(duty_list)
    step_take(
        dl,
        "confirm",
        by=by,
        params={"by": by, "at": timezone.now()},
        stale=AlreadyHandled(_("The duty list has already been confirmed.")),
        refused=PermissionDenied(
            _("Only the organisation's secretary, or whoever acts for the post, confirms its duty list.")
        ),
        unmet=ValidationError(
            _("Before confirming, list the duties and the yearly tasks, with the secretary's project among them.")
        ),
    )
    if dl.process_id and (activation is not None or open_task(dl.process, "DutyListFlow.confirm") is not None):
        task = activation.task if activation is not None else open_task(dl.process, "DutyListFlow.confirm")
        mine = task.owner_id in (None, by.pk)
        task_complete(dl.process, "DutyListFlow.confirm", by=by, activation=activation, system=not mine)
    return dl


@transaction.atomic
def duty_list_return(*, duty_list, by, reason: str) -> DutyList:
    """The cycle's office returns a confirmed list with the reason; the organisation gets the task again."""
    dl = _lock(duty_list)
    reason = " ".join(str(reason or "").split())
    if not step_rules.allows(by, "dutylist.return_list", dl):
        raise PermissionDenied(_("Only officers of the cycle's oversight office return a duty list."))
    if dl.state != DutyListState.CONFIRMED:
        raise AlreadyHandled(_("The duty list is not confirmed: there is nothing to return."))
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why the duty list is returned.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    step_take(
        dl,
        "return_list",
        by=by,
        comment=reason,
        params={"by": by, "at": timezone.now(), "reason": reason},
    )
    flow_start("DutyListFlow", duty_list=dl)
    return dl


# ---- the demo city -------------------------------------------------------------------------------------------------

DEMO_TASKS = {
    "JC-QS-HT-01": [("发展壮大村集体经济，年内村集体经营性收入达到15万元", True, ["D4.1", "D4.5"])],
    "JC-QS-HT-02": [("规范“三会一课”和主题党日，建立党员积分台账", True, ["D3.1", "D2.3"])],
    "JC-QS-HT-04": [("推进网格化党建，在职党员进社区报到全覆盖", True, ["D3.3", "D2.3"])],
}


def demo_duties(cycle) -> None:
    """The city's 2026 duty lists, piloted in 河塘镇: 东坪村 and 河塘社区 confirmed, 西岭村 confirmed and returned by
    the office, 南坳村 and 北山村 not yet confirmed."""
    from flows.models import Organisation, User

    if cycle is None or DutyTemplate.objects.filter(cycle=cycle).exists():
        return
    officer = User.objects.get(username="zuzhibu")
    pilot = Organisation.objects.filter(code__startswith="JC-QS-HT-")
    with transaction.atomic():
        duty_template_publish(
            by=officer,
            cycle=cycle,
            name=f"{cycle.year}年度基层党建工作责任清单",
            lines=DEFAULT_TEMPLATE_LINES,
            organisations=pilot,
        )
    for code, tasks in DEMO_TASKS.items():
        dl = DutyList.objects.select_related("organisation", "cycle").get(cycle=cycle, organisation__code=code)
        secretary = _holder_for(dl.organisation, DutyRole.SECRETARY)
        a = cycle.assessments.get(organisation=dl.organisation)
        by_code = dict(a.template.indicators.values_list("code", "pk"))
        lines = [
            {
                "kind": line.kind,
                "role": line.role,
                "area": line.area,
                "holder": line.holder,
                "text": line.text,
                "indicator_ids": [i.pk for i in line.indicators.all()],
                "from_template": line.from_template_id,
            }
            for line in dl.lines.order_by("order", "pk")
        ]
        lines += [
            {
                "kind": LineKind.TASK,
                "role": DutyRole.SECRETARY,
                "holder": secretary,
                "text": text,
                "secretary_project": project,
                "due": datetime.date(cycle.year, 11, 30),
                "indicator_ids": [by_code[c] for c in codes if c in by_code],
            }
            for text, project, codes in tasks
        ]
        with transaction.atomic():
            duty_list_save(duty_list=dl, by=secretary, lines=lines)
        with transaction.atomic():
            duty_list_confirm(duty_list=dl, by=secretary)
    with transaction.atomic():
        duty_list_return(
            duty_list=DutyList.objects.get(cycle=cycle, organisation__code="JC-QS-HT-02"),
            by=officer,
            reason="年度任务未体现软弱涣散整顿要求，请补充后重新确认",
        )


__all__ = [
    "DEFAULT_TEMPLATE_LINES",
    "demo_duties",
    "cycle_indicator_codes",
    "duty_lists_derive",
    "duty_list_confirm",
    "duty_list_return",
    "duty_list_save",
    "duty_rules",
    "duty_template_publish",
]
