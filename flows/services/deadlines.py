"""Deadlines of the human tasks: reminders (催办) before the due date and escalation (督办) when overdue, along
the responsibility chain — the person who holds the task → the secretary (第一责任人) → the oversight office.

`deadlines_sweep` is what the scheduler runs. Each step of each task is recorded once (`Reminder`, unique per
task and kind, enforced by the database): a sweep that runs twice, or two sweeps at once, send nothing twice.
Escalations are written into the assessment's history, so that they can serve as evidence for accountability.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows import selectors
from flows.domain import calendar
from flows.domain.calendar import rag, rag_bounds  # noqa: F401 - read by the sweep; moved to the pure rules
from flows.flow_registry import flow_class
from flows.models import (
    AccountabilityReferral,
    ItemState,
    Notification,
    OfficeMembership,
    OfficeRole,
    Reminder,
    ReminderKind,
    Role,
    RoleAssignment,
)
from flows.policy import steps
from flows.services.assessments import measure_decide, measure_propose
from flows.services.audit import audit_record
from flows.services.rectification import rechecks_open_due
from flows.services.tasks import AlreadyHandled, flow_start, task_complete

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _recipients(kind, task, assessment):
    if kind == ReminderKind.REMIND:
        return [task.owner] if task.owner_id else []
    if kind == ReminderKind.ESCALATE_SECRETARY:
        ids = RoleAssignment.objects.current().filter(organisation=assessment.organisation, role=Role.SECRETARY)
        secretaries = [ra.user for ra in ids.select_related("user")]
        if secretaries:
            return secretaries
        # 岗位空缺: no secretary (and no acting one) to chase it: the oversight office hears of it at once
    ids = OfficeMembership.objects.current().filter(office_id=assessment.cycle.office_id, role=OfficeRole.OFFICER)
    return [m.user for m in ids.select_related("user")]


def _refer_for_accountability(item) -> None:
    """An overdue rectification item becomes an accountability proposal task for the oversight office (once)."""
    referral = AccountabilityReferral.objects.create(item=item)
    flow_start("OverdueRectificationFlow", referral=referral)


def _record(kind, task, assessment, due, item=None) -> bool:
    """Record one step for one task and notify, once. Returns whether this call did it."""
    texts = {
        ReminderKind.REMIND: _("Reminder: “%(task)s” for %(org)s is due on %(due)s."),
        ReminderKind.ESCALATE_SECRETARY: _("Overdue since %(due)s: “%(task)s” for %(org)s. Please see to it."),
        ReminderKind.ESCALATE_OFFICE: _("Long overdue (due %(due)s): “%(task)s” for %(org)s."),
    }
    title = texts[kind] % {"task": task.flow_task.task_title, "org": assessment.organisation.name, "due": due}
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(task=task, kind=kind, due=due)
            link = selectors.task_url(task) if kind == ReminderKind.REMIND else f"/assessments/{assessment.pk}/"
            recipients = _recipients(kind, task, assessment)
            Notification.objects.bulk_create(
                [Notification(user=u, title=title, link=link, reminder=reminder) for u in recipients]
            )
            _email_on_commit(recipients, title, link)
            if kind == ReminderKind.ESCALATE_OFFICE and item is not None and task.flow_task.name == "report":
                _refer_for_accountability(item)
            if kind != ReminderKind.REMIND:
                audit_record(
                    actor=None, action=f"deadline.{kind}", subject=assessment, to_value=str(due), comment=title
                )
    except IntegrityError:
        return False  # another sweep recorded it first
    return True


def _email_on_commit(recipients, title, link):
    """Optional e-mail beside the notification centre (console backend unless configured), after commit."""
    addresses = [u.email for u in recipients if u.email]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(title, f"{title}\n{settings.SITE_URL}{link}", None, addresses, fail_silently=True)
        )


def deadlines_sweep(today: datetime.date | None = None) -> int:
    """Send what is due today: reminders before due dates, escalations after them, and open the re-checks (回头看)
    that fall due. Returns how many steps."""
    today = today or timezone.localdate()
    opened = rechecks_open_due(today)
    done = {(r.task_id, r.kind) for r in Reminder.objects.filter(task__status__in=OPEN).only("task_id", "kind")}
    steps = 0
    tasks = Task.objects.filter(status__in=OPEN, flow_task_type="HUMAN").select_related(*selectors.task_related())
    for task in tasks.iterator(chunk_size=500):
        if task.flow_task.flow_class is flow_class("OverdueRectificationFlow"):
            continue  # the office's own follow-up of a referral is not chased again
        assessment, item = selectors.task_subject(task)
        if assessment is None:
            continue
        if item is not None and item.state == ItemState.EXTENSION_REQUESTED:
            continue  # the clock waits while the reviewer decides on a request for more time (延期申请)
        if item is not None and task.flow_task.name == "recheck":
            continue  # the reviewing side's re-check (回头看) is not chased along the assessed organisation's chain
        due = item.due if item else selectors.stage_due(assessment)
        if due is None:
            continue
        exceptions = calendar.local_exceptions(assessment.cycle.office_id)
        wanted = []
        if today > due:
            wanted.append(ReminderKind.ESCALATE_SECRETARY)
            if calendar.working_days_between(due, today, exceptions) >= settings.ESCALATE_WORKING_DAYS:
                wanted.append(ReminderKind.ESCALATE_OFFICE)
        elif calendar.working_days_between(today, due, exceptions) <= settings.REMIND_WORKING_DAYS:
            wanted.append(ReminderKind.REMIND)
        for kind in wanted:
            if (task.pk, kind) not in done and _record(kind, task, assessment, due, item):
                steps += 1
    return steps + opened


@transaction.atomic
def notification_read(*, user, notification_id) -> None:
    Notification.objects.filter(user=user, pk=notification_id, read_at=None).update(read_at=timezone.now())


@transaction.atomic
def notifications_read_all(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())


@transaction.atomic
def referral_propose(*, referral, by, kind, persons, reason, activation=None):
    """The office proposes a measure for an overdue rectification item."""
    r = (
        AccountabilityReferral.objects.select_for_update(of=("self",))
        .select_related("item__assessment__organisation")
        .get(pk=referral.pk)
    )
    if r.measure_id:
        raise AlreadyHandled()
    if not steps.allows(by, "referral.propose", r):
        raise PermissionDenied(_("Only the oversight office proposes accountability measures."))
    if r.item.state == ItemState.EXTENSION_REQUESTED:
        raise ValidationError(
            {"reason": _("The owner has asked for more time; wait for the reviewer's decision on the extension.")}
        )
    m = measure_propose(assessment=r.item.assessment, by=by, kind=kind, persons=persons, reason=reason)
    r.measure = m
    r.save(update_fields=["measure"])
    task_complete(r.process, "OverdueRectificationFlow.propose", by=by, activation=activation)
    return m


@transaction.atomic
def referral_decide(*, referral, by, approve: bool, comment="", activation=None):
    """A second officer decides on the measure proposed for an overdue item."""
    r = (
        AccountabilityReferral.objects.select_for_update(of=("self",))
        .select_related("measure", "item__assessment__organisation")
        .get(pk=referral.pk)
    )
    if r.measure is not None and not r.measure.decision and not steps.allows(by, "referral.propose", r):
        raise PermissionDenied(_("Only the oversight office decides on accountability measures."))
    m = measure_decide(measure=r.measure, by=by, approve=approve, comment=comment)
    audit_record(
        actor=by,
        action="accountability.decide",
        subject=r.item.assessment,
        to_value=m.decision,
        comment=comment.strip(),
    )
    task_complete(r.process, "OverdueRectificationFlow.decide", by=by, activation=activation)
    return m
