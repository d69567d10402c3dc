"""Rectification in depth (issue 20): the item's plan (整改方案) and interim progress (整改进展), the re-check
(回头看) that the sweep opens after verification, and the cycle's re-check interval.

Reporting, verifying and extensions stay in `flows.services.assessments` (`rectification_report`,
`extension_request`, `extension_decide`, `rectification_verify`, which schedules the re-check). Every state change
goes through the one step service; the plan and progress, which change no state, are audited all the same.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from flows.models import ItemState, RectificationItem, ReviewCycle, Stage
from flows.models.assessments import RecheckState, RectificationProgress, RectificationRecheck
from flows.models.people import today
from flows.policy import access, steps
from flows.policy import rectification as _rectification_steps  # noqa: F401 - registers its rules in the table
from flows.services import handoffs
from flows.services.audit import audit_record
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, handle_run, open_task, task_complete

# while the item is being worked on (before its report, or while an extension is asked)
WORKING = (ItemState.OPEN, ItemState.EXTENSION_REQUESTED)


def _item(item) -> RectificationItem:
    return (
        RectificationItem.objects.select_for_update(of=("self",))
        .select_related("assessment__organisation", "assessment__cycle")
        .get(pk=item.pk)
    )


@transaction.atomic
def rectification_plan_save(*, item, by, plan: str) -> RectificationItem:
    """The owner (or the organisation's secretary or leader in charge) writes or revises the item's plan."""
    it = _item(item)
    if not steps.allows(by, "rectificationitem.write_plan", it):
        raise PermissionDenied(_("Only the owner of the item, or the organisation's secretary, writes its plan."))
    if it.state not in WORKING:
        raise AlreadyHandled(_("The item has been reported; its plan can no longer be changed."))
    text = (plan or "").strip()
    if not text:
        raise ValidationError({"plan": _("Describe the measures, the steps and who does what.")})
    if text == it.plan:
        return it
    revised = bool(it.plan)
    it.plan, it.plan_by, it.plan_at = text, by, timezone.now()
    it.save(update_fields=["plan", "plan_by", "plan_at"])
    audit_record(
        actor=by,
        action="rectification.plan_revised" if revised else "rectification.plan",
        subject=it,
        comment=text[:500],
    )
    return it


@transaction.atomic
def rectification_progress_add(*, item, by, on: datetime.date, text: str) -> RectificationProgress:
    """An interim progress report before the end: dated, by whom."""
    it = _item(item)
    if not steps.allows(by, "rectificationitem.report_progress", it):
        raise PermissionDenied(_("Only the owner of the item, or the organisation's secretary, reports progress."))
    if it.state not in WORKING:
        raise AlreadyHandled(_("The item has been reported; report on it in its verification instead."))
    errors = {}
    if not (text or "").strip():
        errors["text"] = _("Say what has been done so far.")
    if on is None:
        errors["on"] = _("Give the date of the progress.")
    elif on > today():
        errors["on"] = _("Progress cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    row = RectificationProgress.objects.create(item=it, on=on, text=text.strip(), by=by)
    audit_record(actor=by, action="rectification.progress", subject=it, to_value=str(on), comment=text.strip()[:500])
    return row


def rechecks_open_due(day: datetime.date | None = None) -> int:
    """The sweep's part: open the re-check task of every item whose re-check falls due (idempotent: each re-check
    is opened once, under its row lock). Returns how many were opened."""
    day = day or today()
    opened = 0
    due = RectificationRecheck.objects.filter(state=RecheckState.SCHEDULED, opened_at=None, due__lte=day)
    for pk in list(due.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            rc = (
                RectificationRecheck.objects.select_for_update(of=("self",))
                .select_related("item__process")
                .filter(pk=pk, opened_at=None, state=RecheckState.SCHEDULED)
                .first()
            )
            if rc is None:
                continue  # another sweep opened it first
            process = rc.item.process
            if process is not None and open_task(process, "RectificationItemFlow.await_recheck") is not None:
                handle_run(process, "RectificationItemFlow.await_recheck")
                opened += 1
            rc.opened_at = timezone.now()
            rc.save(update_fields=["opened_at"])
    return opened


@transaction.atomic
def recheck_decide(*, item, by, confirm: bool, comment: str = "", new_due=None, activation=None):
    """The reviewing side's re-check: the rectification holds (recorded, the item stays verified), or the problem
    is back and the item is reopened with a new due date and the reason."""
    it = _item(item)
    rc = RectificationRecheck.objects.select_for_update().filter(item=it, state=RecheckState.SCHEDULED).first()
    if rc is None or it.state != ItemState.VERIFIED:
        raise AlreadyHandled()
    comment = (comment or "").strip()
    refused = PermissionDenied(_("Only the reviewing organisation re-checks a rectification item."))
    now = timezone.now()
    if confirm:
        step_take(
            rc,
            "confirm",
            by=by,
            params={"by": by, "at": now, "comment": comment},
            comment=comment,
            action="rectification.recheck_confirm",
            audit_value="",
            refused=refused,
        )
        it.recheck_due = None
        it.save(update_fields=["recheck_due"])
    else:
        errors = {}
        if not comment:
            errors["comment"] = _("Say what the re-check found.")
        if new_due is None or new_due <= today():
            errors["new_due"] = _("Give a new due date after today.")
        if errors:
            raise ValidationError(errors)
        step_take(
            rc,
            "reopen",
            by=by,
            params={"by": by, "at": now, "comment": comment, "new_due": new_due},
            comment=comment,
            action="rectification.recheck_reopen",
            audit_value=str(new_due),
            refused=refused,
        )
        step_take(
            it,
            "reopen",
            by=by,
            params={"due": new_due, "reason": comment},
            comment=f"{new_due} {comment}",
            action="rectification.reopen",
            refused=refused,
        )
        a = it.assessment.__class__.objects.select_for_update().get(pk=it.assessment_id)
        if a.state == Stage.CLOSED:
            step_take(a, "reopen_rectification", by=by, system=True, action="assessment.reopen_by_recheck")
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Rectification item reopened by the re-check: %(problem)s") % {"problem": it.problem[:40]}
        handoffs.notify([it.owner], title, f"/rectification/items/{it.pk}/")
    task_complete(it.process, "RectificationItemFlow.recheck", by=by, activation=activation)
    return rc


@transaction.atomic
def cycle_recheck_interval_set(*, cycle, by, days) -> ReviewCycle:
    """The oversight office sets how long after verification items are re-checked (later verifications use it)."""
    c = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if not access.can_manage_cycle(by, c):
        raise PermissionDenied(_("Only officers of the oversight office change the cycle's settings."))
    if days is None or not 1 <= days <= 730:
        raise ValidationError({"recheck_interval_days": _("Give a number of days from 1 to 730.")})
    if days == c.recheck_interval_days:
        return c
    before = c.recheck_interval_days
    c.recheck_interval_days = days
    c.save(update_fields=["recheck_interval_days"])
    audit_record(actor=by, action="cycle.recheck_interval", subject=c, from_value=str(before), to_value=str(days))
    return c
