"""Consolidating a weak-and-lax organisation (整顿, issue 20): the plan, its milestones as tasks, progress reports,
the acceptance check, and the reminders and escalation of overdue milestones.

* `plan_save`: the superior level's office draws up (or amends) the plan: measures, responsible leader, work team.
* `milestone_add`: a milestone with its due date; once the plan is under way it becomes a task at once.
* `plan_start`: the plan takes effect; each milestone becomes a task of the secretary (我的待办, 红黄绿).
* `progress_report`: the secretary reports progress on a milestone, and whether it is reached (the task ends).
* `acceptance_record`: the office's acceptance check (验收), passed or not passed with the reasons.
* Lifting the designation is `classifications.weak_and_lax_lift`: it takes the plan's `lift` step, which exists
  only after a passed check.
* `milestones_sweep`: reminders before a milestone's due date to its holder, escalation when overdue to the
  responsible leader and the secretary, and after `ESCALATE_WORKING_DAYS` to the superior level's office.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.domain import calendar
from flows.flow_registry import flow_class
from flows.models import (
    AcceptanceCheck,
    ConsolidationMilestone,
    ConsolidationPlan,
    Notification,
    OfficeMembership,
    OfficeRole,
    Organisation,
    ProgressReport,
    Reminder,
    ReminderKind,
    Role,
    RoleAssignment,
    TeamMember,
    User,
    WeakAndLaxPeriod,
)
from flows.models.states import ConsolidationState, MilestoneState
from flows.policy import access
from flows.policy import consolidation as policy
from flows.selectors import consolidation as reads
from flows.services.audit import audit_record
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, task_complete

FLOW = "ConsolidationMilestoneFlow"
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _date(value, field):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: _("Enter a date such as 2025-03-01.")}) from None


def _office_or_refuse(by, org):
    if not policy.superior_office(by, org):
        raise PermissionDenied(_("Only the office of the superior level consolidates this organisation."))


def _office_of(by, org):
    """The office of the superior level the plan belongs to: the nearest one above `org` that `by` is an officer of
    (the nearest one for a superuser)."""
    offices = reads.superior_offices(org)
    mine = access.offices_of(by)
    for office in offices:
        if office.pk in mine:
            return office
    raise PermissionDenied(_("Only the office of the superior level consolidates this organisation."))


def _lock_plan(plan) -> ConsolidationPlan:
    return ConsolidationPlan.objects.select_for_update().select_related("period__organisation").get(pk=plan.pk)


@transaction.atomic
def plan_save(*, period: WeakAndLaxPeriod, measures: str, leader: User, team=(), by) -> ConsolidationPlan:
    """Draw up or amend the consolidation plan of an open designation. `team`: (person, duty) pairs."""
    period = WeakAndLaxPeriod.objects.select_for_update().select_related("organisation").get(pk=period.pk)
    _office_or_refuse(by, period.organisation)
    if period.end is not None:
        raise AlreadyHandled(_("This designation has been lifted; its plan can no longer change."))
    errors = {}
    if not measures.strip():
        errors["measures"] = _("Describe the consolidation measures.")
    if leader is None:
        errors["leader"] = _("Name the responsible leader.")
    if errors:
        raise ValidationError(errors)
    plan = ConsolidationPlan.objects.select_for_update().filter(period=period).first()
    if plan is not None and plan.state not in (ConsolidationState.DRAFT, ConsolidationState.UNDER_WAY):
        raise AlreadyHandled(_("The acceptance check has passed; the plan can no longer change."))
    created = plan is None
    if created:
        plan = ConsolidationPlan(period=period, created_by=by, office=_office_of(by, period.organisation))
    plan.measures, plan.leader = measures.strip(), leader
    plan.save()
    wanted = {}
    for person, duty in team:
        wanted.setdefault(person.pk, (person, (duty or "").strip()))
    TeamMember.objects.filter(plan=plan).exclude(person_id__in=wanted).delete()
    have = {t.person_id: t for t in TeamMember.objects.filter(plan=plan)}
    for pk, (person, duty) in wanted.items():
        if pk in have:
            if have[pk].duty != duty:
                TeamMember.objects.filter(pk=have[pk].pk).update(duty=duty)
        else:
            TeamMember.objects.create(plan=plan, person=person, duty=duty)
    audit_record(
        actor=by,
        action="consolidation.plan",
        subject=period.organisation,
        from_value="" if created else "amended",
        to_value=leader.get_full_name() or leader.username,
        comment=plan.measures[:500],
    )
    return plan


def _start_milestone(milestone):
    flow_start(FLOW, milestone=milestone)


@transaction.atomic
def milestone_add(*, plan: ConsolidationPlan, title: str, due, by) -> ConsolidationMilestone:
    plan = _lock_plan(plan)
    _office_or_refuse(by, plan.period.organisation)
    if plan.state not in (ConsolidationState.DRAFT, ConsolidationState.UNDER_WAY):
        raise AlreadyHandled(_("The acceptance check has passed; the plan can no longer change."))
    errors = {}
    if not title.strip():
        errors["title"] = _("Name the milestone.")
    try:
        due = _date(due, "due")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if due < plan.period.start:
            errors["due"] = _("The milestone cannot fall before the designation.")
    if errors:
        raise ValidationError(errors)
    m = ConsolidationMilestone.objects.create(plan=plan, title=title.strip(), due=due)
    audit_record(
        actor=by, action="consolidation.milestone", subject=plan.period.organisation, to_value=str(due), comment=m.title
    )
    if plan.state == ConsolidationState.UNDER_WAY:
        _start_milestone(m)
    return m


@transaction.atomic
def plan_start(*, plan: ConsolidationPlan, by) -> ConsolidationPlan:
    """The plan takes effect: every milestone becomes a task of the organisation's secretary."""
    plan = _lock_plan(plan)
    step_take(
        plan,
        "start",
        by=by,
        action="consolidation.start",
        refused=PermissionDenied(_("Only the office of the superior level consolidates this organisation.")),
        unmet=ValidationError(_("Add at least one milestone with its due date first.")),
    )
    for m in plan.milestones.filter(process__isnull=True):
        _start_milestone(m)
    return plan


@transaction.atomic
def progress_report(*, milestone: ConsolidationMilestone, text: str, completes: bool, by, activation=None):
    """The secretary reports progress on a milestone; `completes` says it is reached, which ends its task."""
    m = (
        ConsolidationMilestone.objects.select_for_update(of=("self",))
        .select_related("plan__period__organisation")
        .get(pk=milestone.pk)
    )
    org = m.plan.period.organisation
    if not policy.may_report(by, org):
        raise PermissionDenied(_("Only the organisation's secretary reports the consolidation's progress."))
    if m.state != MilestoneState.OPEN or m.plan.state != ConsolidationState.UNDER_WAY:
        raise AlreadyHandled()
    if not text.strip():
        raise ValidationError({"text": _("Describe the progress.")})
    report = ProgressReport.objects.create(milestone=m, text=text.strip(), completes=completes, reported_by=by)
    if completes:
        step_take(
            m,
            "complete",
            by=by,
            action="consolidation.complete",
            comment=report.text,
            params={"on": timezone.localdate()},
        )
        if m.process_id:
            task_complete(m.process, f"{FLOW}.report", by=by, activation=activation)
    else:
        audit_record(actor=by, action="consolidation.progress", subject=m, to_value=m.state, comment=report.text)
    return report


@transaction.atomic
def acceptance_record(*, plan: ConsolidationPlan, passed: bool, on, reasons: str, by) -> AcceptanceCheck:
    """The superior level's acceptance check (验收): passed (the designation may then be lifted), or not passed
    with the reasons (the consolidation goes on)."""
    plan = _lock_plan(plan)
    _office_or_refuse(by, plan.period.organisation)
    if plan.state != ConsolidationState.UNDER_WAY:
        raise AlreadyHandled()
    on = _date(on, "on")
    errors = {}
    if on > timezone.localdate():
        errors["on"] = _("The date cannot lie in the future.")
    elif on < plan.period.start:
        errors["on"] = _("The check cannot fall before the designation.")
    if not passed and not reasons.strip():
        errors["reasons"] = _("Give the reasons why the check was not passed.")
    if errors:
        raise ValidationError(errors)
    check = AcceptanceCheck.objects.create(
        plan=plan, checked_on=on, passed=passed, reasons=reasons.strip(), checked_by=by
    )
    if passed:
        step_take(
            plan,
            "accept",
            by=by,
            action="consolidation.accept",
            comment=check.reasons,
            params={"on": on},
            unmet=ValidationError(_("Every milestone must be reported reached before the check can pass.")),
        )
        WeakAndLaxPeriod.objects.filter(pk=plan.period_id).update(accepted_on=on)
    else:
        audit_record(
            actor=by,
            action="consolidation.not_accepted",
            subject=plan,
            from_value=plan.state,
            to_value=plan.state,
            comment=check.reasons,
        )
    return check


def lift_step(*, period: WeakAndLaxPeriod, end: datetime.date, by) -> None:
    """The plan's `lift` step, taken by the lift service inside its transaction: refused unless the plan passed its
    acceptance check on or before `end`."""
    refusal = ValidationError(_("The designation can only be lifted after a passed acceptance check (验收)."))
    plan = ConsolidationPlan.objects.select_for_update().filter(period=period).first()
    if plan is None or plan.state != ConsolidationState.ACCEPTED or plan.accepted_on is None:
        raise refusal
    if end < plan.accepted_on:
        raise ValidationError({"end": _("The designation cannot be lifted before the acceptance check passed.")})
    step_take(
        plan,
        "lift",
        by=by,
        action="consolidation.lift",
        stale=refusal,
        refused=PermissionDenied(_("Only the office of the superior level lifts this designation.")),
    )


def flag_change_refused(org: Organisation, fields: dict) -> None:
    """Changing an organisation's weak-and-lax flag as an attribute (the roster's 软弱涣散 column): taking it off
    is refused, since lifting needs a passed acceptance check and is done on the consolidation's page."""
    if org.weak_and_lax and "weak_and_lax" in fields and not fields["weak_and_lax"]:
        raise ValidationError(
            {
                "weak_and_lax": _(
                    "The weak-and-lax designation is lifted only after a passed acceptance check (验收), "
                    "on the organisation's consolidation page."
                )
            }
        )


# ---- reminders and escalation of milestones -----------------------------------------------------------------


def _officers(plan):
    ids = OfficeMembership.objects.current().filter(office_id=plan.office_id, role=OfficeRole.OFFICER)
    return [m.user for m in ids.select_related("user")]


def _recipients(kind, task, milestone):
    org = milestone.plan.period.organisation
    if kind == ReminderKind.REMIND:
        if task.owner_id:
            return [task.owner]
        return [ra.user for ra in RoleAssignment.objects.current().filter(organisation=org, role=Role.SECRETARY)]
    if kind == ReminderKind.ESCALATE_SECRETARY:
        people = {milestone.plan.leader_id: milestone.plan.leader}
        for ra in RoleAssignment.objects.current().filter(organisation=org, role=Role.SECRETARY).select_related("user"):
            people.setdefault(ra.user_id, ra.user)
        return list(people.values())
    return _officers(milestone.plan) or [milestone.plan.leader]


def _record(kind, task, milestone) -> bool:
    texts = {
        ReminderKind.REMIND: _("Reminder: consolidation milestone “%(task)s” of %(org)s is due on %(due)s."),
        ReminderKind.ESCALATE_SECRETARY: _("Overdue since %(due)s: consolidation milestone “%(task)s” of %(org)s."),
        ReminderKind.ESCALATE_OFFICE: _("Long overdue (due %(due)s): consolidation milestone “%(task)s” of %(org)s."),
    }
    org = milestone.plan.period.organisation
    title = texts[kind] % {"task": milestone.title, "org": org.name, "due": milestone.due}
    link = f"/consolidation/{milestone.plan.period_id}/"
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(task=task, kind=kind, due=milestone.due)
            recipients = _recipients(kind, task, milestone)
            Notification.objects.bulk_create(
                [Notification(user=u, title=title[:200], link=link, reminder=reminder) for u in recipients]
            )
            if kind != ReminderKind.REMIND:
                audit_record(
                    actor=None, action=f"deadline.{kind}", subject=org, to_value=str(milestone.due), comment=title
                )
    except IntegrityError:
        return False
    return True


def milestones_sweep(today: datetime.date | None = None) -> int:
    """Reminders and escalation of the open milestone tasks, each step once (the `Reminder` table's constraint)."""
    today = today or timezone.localdate()
    try:
        flow = flow_class(FLOW)
    except KeyError:
        return 0
    done = set(
        Reminder.objects.filter(task__status__in=OPEN, task__flow_task_type="HUMAN").values_list("task_id", "kind")
    )
    count = 0
    tasks = Task.objects.filter(status__in=OPEN, flow_task_type="HUMAN", process__flow_class=flow).select_related(
        "owner",
        "process__consolidation_milestone__plan__period__organisation",
        "process__consolidation_milestone__plan__leader",
    )
    for task in tasks:
        milestone = getattr(task.process, "consolidation_milestone", None)
        if milestone is None or milestone.state != MilestoneState.OPEN:
            continue
        exceptions = calendar.local_exceptions(milestone.plan.office_id)
        due, wanted = milestone.due, []
        if today > due:
            wanted.append(ReminderKind.ESCALATE_SECRETARY)
            if calendar.working_days_between(due, today, exceptions) >= settings.ESCALATE_WORKING_DAYS:
                wanted.append(ReminderKind.ESCALATE_OFFICE)
        elif calendar.working_days_between(today, due, exceptions) <= settings.REMIND_WORKING_DAYS:
            wanted.append(ReminderKind.REMIND)
        for kind in wanted:
            if (task.pk, kind) not in done and _record(kind, task, milestone):
                count += 1
    return count
