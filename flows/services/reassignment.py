"""Who holds an open task when people are away or change: 转办 (the holder hands a task to a colleague who may take
its step), the oversight office's reassignment of any open task in its scope, and the work that follows a hand-over
or an acting head. The person a task goes to must be allowed its step by the permission table; every move is
audited and the people concerned are notified (after commit)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Notification, RectificationItem, User
from flows.models.state_groups import Phase, states_in
from flows.policy import access
from flows.selectors import task_url
from flows.selectors.holders import assessment_behind, may_take, organisation_behind
from flows.services.audit import audit_record
from flows.services.tasks import OPEN_STATUSES, AlreadyHandled


def _move(task, to, *, by, action: str, reason: str) -> None:
    before = task.owner_id
    task.owner = to
    if task.status == STATUS.NEW:
        task.status = STATUS.ASSIGNED
    task.save(update_fields=["owner", "status"])
    subject = task.flow_task.subject(task)
    audit_record(
        actor=by,
        action=action,
        subject=assessment_behind(subject) or subject,
        from_value=before or "",
        to_value=to.pk,
        comment=f"{task.flow_task.task_title} → {to.real_name or to.username}：{reason}",
    )
    title = _("“%(task)s” has been passed to you: %(reason)s") % {"task": task.flow_task.task_title, "reason": reason}
    Notification.objects.create(user=to, title=title[:200], link=task_url(task))  # the inboxes: flows.live.signals


def task_pass_on(*, by, task: Task, to: User, reason: str) -> Task:
    """转办: the task's holder hands it to `to`, or an oversight officer whose scope holds the task's organisation
    reassigns it (a stuck one included). `to` must be allowed the task's step."""
    node = task.flow_task
    with node.flow_class.lock(task.process_id), transaction.atomic():
        fresh = Task.objects.select_for_update().get(pk=task.pk)
        if fresh.status not in OPEN_STATUSES:
            raise AlreadyHandled()
        org = organisation_behind(node.subject(fresh))
        holder = fresh.owner_id is not None and fresh.owner_id == by.pk
        officer = org is not None and access.can_oversee_organisation(by, org)
        if not (holder or officer):
            raise PermissionDenied(_("Only the task's holder, or the oversight office over it, passes a task on."))
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the task is passed on.")})
        if to is None or to.pk == fresh.owner_id:
            raise ValidationError({"to": _("Choose someone other than the task's present holder.")})
        if not may_take(to, fresh):
            raise ValidationError(
                {"to": _("%(person)s may not take this step, so the task cannot go to them.") % {"person": to}}
            )
        _move(fresh, to, by=by, action="task.delegate" if holder else "task.reassign", reason=reason.strip())
        return fresh


def work_follows_holder(*, by, organisation, predecessor: User | None, successor: User, reason: str) -> int:
    """After a hand-over (`predecessor` left) or an acting head's appointment (`predecessor` None: the post was
    vacant): the open rectification items the predecessor owned in the organisation pass to the successor, and every
    open task about the organisation (or one it leads) held by the predecessor — or, for a vacant post, held by
    nobody or by someone who may no longer act — that the successor may take now goes to them. Inside the caller's
    transaction. Returns how many tasks moved."""
    assert transaction.get_connection().in_atomic_block
    if predecessor is not None:
        items = RectificationItem.objects.select_for_update().filter(
            owner=predecessor, assessment__organisation=organisation
        )
        for item in items.exclude(state__in=states_in(RectificationItem, Phase.DONE)):
            item.owner = successor
            item.save(update_fields=["owner"])
            audit_record(
                actor=by,
                action="rectification.owner_changed",
                subject=item,
                from_value=predecessor.pk,
                to_value=successor.pk,
                comment=f"→ {successor.real_name or successor.username}：{reason}",
            )
    about = Task.objects.filter(status__in=OPEN_STATUSES, flow_task_type="HUMAN").filter(
        process__assessment__organisation__path__startswith=organisation.path,
        process__assessment__organisation__depth__lte=organisation.depth + 1,
    )
    held = about.filter(owner=predecessor) if predecessor is not None else about
    rect = Task.objects.filter(
        status__in=OPEN_STATUSES,
        flow_task_type="HUMAN",
        process__rectification_item__assessment__organisation=organisation,
    )
    held_items = rect.filter(owner=predecessor) if predecessor is not None else rect
    moved = 0
    for task in (held | held_items).distinct().select_related("process", "owner"):
        if predecessor is None and task.owner_id is not None and may_take(task.owner, task):
            continue  # a vacant post's work: only what nobody holds, or someone holds who may no longer act
        if may_take(successor, task):
            _move(task, successor, by=by, action="task.handover", reason=reason)
            moved += 1
    return moved
